"""A startup's profile and team, kept by its members."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kakehashi.accounts import permissions, services
from kakehashi.accounts.forms import MemberForm, StartupForm
from kakehashi.accounts.models import Startup, StartupMember
from kakehashi.accounts.views import safe_next
from kakehashi.applications.models import Application, Call
from kakehashi.cohorts import permissions as tracker_permissions
from kakehashi.cohorts import queries as tracker_queries
from kakehashi.cohorts import services as tracker_services
from kakehashi.cohorts.fiscal import fiscal_year_of
from kakehashi.cohorts.forms import ValuationMarkForm
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.i18n import current_locale
from kakehashi.extensions import db

bp = Blueprint("startups", __name__, template_folder="templates")


@bp.route("/startups/new", methods=["GET", "POST"])
@access.signed_in
def new() -> Any:
    form = StartupForm(country="JP")
    if form.validate_on_submit():
        startup = services.create_startup(founder=current_user, **form.values())
        db.session.commit()
        flash(_("Your startup's profile has been created."), "success")
        return redirect(safe_next(request.args.get("next")) or url_for(".detail", startup_id=startup.id))
    return render_template("accounts/startup_form.html", form=form, startup=None)


def _load(startup_id: int) -> Startup:
    startup = access.load_or_404(Startup, startup_id)
    access.require(permissions.can_view_startup(current_user, startup), hide=True)
    return startup


@bp.get("/startups/<int:startup_id>")
@access.rule("can_view_startup")
def detail(startup_id: int) -> Any:
    startup = _load(startup_id)
    members = db.session.scalars(
        select(StartupMember)
        .where(StartupMember.startup_id == startup.id)
        .options(joinedload(StartupMember.user))
        .order_by(StartupMember.id)
    ).all()
    applications = db.session.scalars(
        select(Application)
        .where(Application.startup_id == startup.id)
        .options(joinedload(Application.call).joinedload(Call.vertical))
        .order_by(Application.id.desc())
    ).all()
    today = tracker_services.tokyo_today()
    return render_template(
        "accounts/startup_detail.html",
        startup=startup,
        members=members,
        applications=applications,
        member_form=MemberForm(locale=current_locale()),
        can_manage=permissions.can_manage_startup(current_user, startup),
        timeline=tracker_queries.startup_timeline(startup, list(applications)),
        can_report=tracker_permissions.can_report_for(current_user, startup),
        can_mark=tracker_permissions.can_mark_valuation(current_user),
        mark_form=ValuationMarkForm(as_of=today),
        report_years=[fiscal_year_of(today) - 1, fiscal_year_of(today)],
        is_staff=permissions.is_staff(current_user),
    )


@bp.route("/startups/<int:startup_id>/edit", methods=["GET", "POST"])
@access.rule("can_manage_startup")
def edit(startup_id: int) -> Any:
    startup = _load(startup_id)
    access.require(permissions.can_manage_startup(current_user, startup))
    form = StartupForm(obj=startup)
    if request.method == "GET":
        form.name.process(None, data=startup.name or {})
    if form.validate_on_submit():
        services.update_startup(startup, by=current_user, **form.values())
        db.session.commit()
        flash(_("The profile has been saved."), "success")
        return redirect(url_for(".detail", startup_id=startup.id))
    return render_template("accounts/startup_form.html", form=form, startup=startup)


@bp.post("/startups/<int:startup_id>/members")
@access.rule("can_manage_startup")
def add_member(startup_id: int) -> Any:
    startup = _load(startup_id)
    access.require(permissions.can_manage_startup(current_user, startup))
    form = MemberForm()
    if form.validate_on_submit():
        try:
            user = services.add_member(
                startup, email=form.email.data, name=form.name.data, locale=form.locale.data, by=current_user
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("%(name)s has been added to the team and notified by email.", name=user.name), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    return redirect(url_for(".detail", startup_id=startup.id))
