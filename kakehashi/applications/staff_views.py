"""Staff pages: verticals, calls and their rubric, the applications of a call and their export."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from kakehashi.applications import exports, formatting, queries, services
from kakehashi.applications.forms import ApplicationFilterForm, CallForm, CriterionForm, VerticalForm
from kakehashi.applications.models import BLINDABLE_FIELDS, Call, CallState, Criterion, Vertical
from kakehashi.applications.views import bp
from kakehashi.core import audit, pagecache
from kakehashi.core import permissions as access
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError
from kakehashi.core.forms import PostForm
from kakehashi.core.freshness import fresh_login_required
from kakehashi.core.templating import add_nav, for_staff
from kakehashi.extensions import db

add_nav("applications.staff_calls", _l("Manage calls"), visible=for_staff, order=10, area="admin")
add_nav("applications.verticals", _l("Verticals"), visible=for_staff, order=11, area="admin")


# --- verticals ----------------------------------------------------------------------------------


@bp.route("/admin/verticals", methods=["GET", "POST"])
@access.staff
def verticals() -> Any:
    form = VerticalForm()
    if form.validate_on_submit():
        services.save_vertical(None, by=current_user, **form.values())
        db.session.commit()
        flash(_("The vertical has been added."), "success")
        return redirect(url_for(".verticals"))
    items = db.session.scalars(select(Vertical).order_by(Vertical.id)).all()
    return render_template("applications/staff/verticals.html", verticals=items, form=form)


@bp.route("/admin/verticals/<int:vertical_id>", methods=["GET", "POST"])
@access.staff
def edit_vertical(vertical_id: int) -> Any:
    vertical = access.load_or_404(Vertical, vertical_id)
    form = VerticalForm(obj=vertical)
    if request.method == "GET":
        form.name.process(None, data=vertical.name or {})
        form.description.process(None, data=vertical.description or {})
    if form.validate_on_submit():
        services.save_vertical(vertical, by=current_user, **form.values())
        db.session.commit()
        flash(_("The vertical has been saved."), "success")
        return redirect(url_for(".verticals"))
    return render_template("applications/staff/vertical_form.html", vertical=vertical, form=form)


# --- calls -------------------------------------------------------------------------------------


def _verticals_for_form(current: Call | None = None) -> list[Vertical]:
    query = select(Vertical).where(Vertical.active.is_(True))
    if current is not None:
        query = select(Vertical).where((Vertical.active.is_(True)) | (Vertical.id == current.vertical_id))
    return list(db.session.scalars(query.order_by(Vertical.id)))


@bp.get("/admin/calls")
@access.staff
def staff_calls() -> Any:
    return render_template("applications/staff/calls.html", rows=queries.staff_calls(), now=utcnow())


@bp.route("/admin/calls/new", methods=["GET", "POST"])
@access.staff
def new_call() -> Any:
    form = CallForm(verticals=_verticals_for_form())
    if not form.vertical_id.choices:
        flash(_("Add a vertical first: every call belongs to one."), "info")
        return redirect(url_for(".verticals"))
    if form.validate_on_submit():
        call = services.save_call(None, by=current_user, **form.values())
        db.session.commit()
        flash(_("The call has been created as a draft. Add its rubric, then open it."), "success")
        return redirect(url_for(".staff_call", call_id=call.id))
    return render_template("applications/staff/call_form.html", form=form, call=None)


@bp.route("/admin/calls/<int:call_id>/edit", methods=["GET", "POST"])
@access.staff
def edit_call(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    form = CallForm(obj=call, verticals=_verticals_for_form(call))
    if request.method == "GET":
        form.fill_from(call)
    if form.validate_on_submit():
        services.save_call(call, by=current_user, **form.values())
        db.session.commit()
        flash(_("The call has been saved."), "success")
        return redirect(url_for(".staff_call", call_id=call.id))
    return render_template("applications/staff/call_form.html", form=form, call=call)


@bp.get("/admin/calls/<int:call_id>")
@access.staff
def staff_call(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.call_id == call.id).order_by(Criterion.position, Criterion.id)
    ).all()
    counts = queries.state_counts(call)
    return render_template(
        "applications/staff/call.html",
        call=call,
        criteria=criteria,
        counts=counts,
        submitted=queries.submitted_count(counts),
        criterion_form=CriterionForm(),
        form=PostForm(),
        # Decided is reached only by releasing the decisions (judging), so it gets no button here.
        next_states=sorted(Call.TRANSITIONS[call.state] - {CallState.DECIDED}, key=list(CallState).index),
        now=utcnow(),
        blindable=BLINDABLE_FIELDS,
    )


@bp.post("/admin/calls/<int:call_id>/state/<state>")
@access.staff
def change_call_state(call_id: int, state: str) -> Any:
    call = access.load_or_404(Call, call_id)
    try:
        new = CallState(state)
    except ValueError:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.change_call_state(call, new, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The call is now “%(state)s”.", state=new.label), "success")
    return redirect(url_for(".staff_call", call_id=call.id))


@bp.post("/admin/calls/<int:call_id>/criteria")
@access.staff
def add_criterion(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            services.save_criterion(call, None, by=current_user, **form.values())
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The criterion has been added."), "success")
        return redirect(url_for(".staff_call", call_id=call.id))
    return render_template("applications/staff/criterion_form.html", call=call, form=form, criterion=None)


@bp.route("/admin/calls/<int:call_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@access.staff
def edit_criterion(call_id: int, criterion_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    criterion = access.load_or_404(Criterion, criterion_id)
    if criterion.call_id != call.id:
        abort(404)
    form = CriterionForm(obj=criterion)
    if request.method == "GET":
        form.name.process(None, data=criterion.name or {})
        form.guidance.process(None, data=criterion.guidance or {})
    if form.validate_on_submit():
        try:
            services.save_criterion(call, criterion, by=current_user, **form.values())
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The criterion has been saved."), "success")
        return redirect(url_for(".staff_call", call_id=call.id))
    return render_template("applications/staff/criterion_form.html", call=call, form=form, criterion=criterion)


@bp.post("/admin/calls/<int:call_id>/criteria/<int:criterion_id>/delete")
@access.staff
def delete_criterion(call_id: int, criterion_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    criterion = access.load_or_404(Criterion, criterion_id)
    if criterion.call_id != call.id:
        abort(404)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.delete_criterion(call, criterion, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The criterion has been removed."), "success")
    return redirect(url_for(".staff_call", call_id=call.id))


# --- a call's applications ------------------------------------------------------------------------


def _filters(call: Call, country_codes: list[str]) -> tuple[ApplicationFilterForm, queries.ApplicationFilters]:
    form = ApplicationFilterForm(request.args, country_codes=country_codes)
    return form, queries.ApplicationFilters.from_form(form)


@bp.get("/admin/calls/<int:call_id>/applications")
@pagecache.page
@access.staff
def call_applications(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    counts, country_codes = queries.counts_and_countries(call)
    form, filters = _filters(call, country_codes)
    page = queries.call_application_page(call, filters, counts)
    return render_template(
        "applications/staff/applications.html",
        call=call,
        page=page,
        rows=formatting.application_rows(page.items),
        filters=form,
        counts=counts,
        submitted=queries.submitted_count(counts),
        fmt=formatting.formats(),
        list_url=url_for(".call_applications", call_id=call.id),
    )


@bp.get("/admin/calls/<int:call_id>/applications.<any(csv, xlsx):fmt>")
@access.staff
@fresh_login_required
def export_applications(call_id: int, fmt: str) -> Any:
    call = access.load_or_404(Call, call_id)
    _form, filters = _filters(call, queries.country_codes(call))
    applications = db.session.scalars(queries.call_applications(call, filters)).unique().all()
    audit.record(current_user, "call.applications_exported", call, {"format": fmt, "rows": len(applications)})
    db.session.commit()
    return exports.response(call, applications, fmt)
