from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from kakehashi.core import permissions as access
from kakehashi.core.templating import add_nav, for_signed_in

bp = Blueprint("softlanding", __name__, template_folder="templates")
add_nav("softlanding.index", _l("Soft landing"), visible=for_signed_in, order=30)


@bp.get("/landing/")
@access.signed_in
def index() -> Any:
    return render_template("softlanding/index.html")
