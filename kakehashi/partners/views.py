from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from kakehashi.core import permissions as access
from kakehashi.core.templating import add_nav

bp = Blueprint("partners", __name__, template_folder="templates")
add_nav("partners.index", _l("Partner hubs"), order=40)


@bp.get("/hubs/")
@access.public
def index() -> Any:
    return render_template("partners/index.html")
