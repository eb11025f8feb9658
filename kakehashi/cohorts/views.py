from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from kakehashi.core import permissions as access
from kakehashi.core.templating import add_nav, for_staff

bp = Blueprint("cohorts", __name__, template_folder="templates")
add_nav("cohorts.index", _l("Cohorts"), visible=for_staff, order=20)


@bp.get("/cohorts/")
@access.staff
def index() -> Any:
    return render_template("cohorts/index.html")
