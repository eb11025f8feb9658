"""Public call pages and the applicant's side: apply, edit the draft, submit, withdraw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from kakehashi.applications import permissions, queries, services
from kakehashi.applications.forms import ApplicationForm, ApplyForm
from kakehashi.applications.models import REQUIRED_FOR_SUBMISSION, Application, ApplicationState, Call
from kakehashi.core import pagecache
from kakehashi.core import permissions as access
from kakehashi.core.db import utcnow
from kakehashi.core.errors import DomainError, InvalidTransition
from kakehashi.core.forms import PostForm
from kakehashi.core.i18n import pick
from kakehashi.core.storage import FileTooLarge
from kakehashi.core.templating import add_nav, for_signed_in
from kakehashi.core.views import add_home_context
from kakehashi.extensions import db

bp = Blueprint("applications", __name__, template_folder="templates")
add_nav("applications.index", _l("Calls"), order=10)
add_nav("applications.my_applications", _l("My applications"), visible=for_signed_in, order=15)
add_home_context(lambda: {"open_calls": queries.public_calls(utcnow()), "now": utcnow()})


# --- public --------------------------------------------------------------------------------------


@bp.get("/calls/")
@pagecache.page
@access.public
def index() -> Any:
    now = utcnow()
    calls = queries.public_calls(now)
    return render_template("applications/calls.html", calls=calls, now=now)


@bp.get("/calls/<int:call_id>")
@access.public
def call_detail(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    access.require(permissions.can_view_call(current_user, call), hide=True)
    startups = queries.startups_of(current_user) if current_user.is_authenticated else []
    existing = {}
    for startup in startups:
        application = services.existing_application(call, startup)
        if application is not None:
            existing[startup.id] = application
    return render_template(
        "applications/call_detail.html",
        call=call,
        now=utcnow(),
        startups=startups,
        existing=existing,
        form=_apply_form(startups),
    )


def _apply_form(startups: list[Any]) -> ApplyForm:
    form = ApplyForm()
    form.startup_id.choices = [(s.id, pick(s.name)) for s in startups]
    return form


# --- applying ----------------------------------------------------------------------------------


@bp.post("/calls/<int:call_id>/apply")
@access.signed_in
def apply(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    access.require(permissions.can_view_call(current_user, call), hide=True)
    startups = queries.startups_of(current_user)
    if not startups:
        flash(_("First create your startup's profile; then you can apply."), "info")
        return redirect(url_for("startups.new", next=url_for(".call_detail", call_id=call.id)))
    form = _apply_form(startups)
    if not form.validate_on_submit():
        flash(_("Choose the startup you are applying for."), "danger")
        return redirect(url_for(".call_detail", call_id=call.id))
    startup = next(s for s in startups if s.id == form.startup_id.data)
    try:
        application = services.start_application(call, startup, by=current_user)
    except services.AlreadyApplied as error:
        flash(str(error), "info")
        return redirect(url_for(".application_detail", application_id=error.existing.id))
    except DomainError as error:
        flash(str(error), "danger")
        return redirect(url_for(".call_detail", call_id=call.id))
    db.session.commit()
    return redirect(url_for(".edit_application", application_id=application.id))


@bp.get("/applications/")
@access.signed_in
def my_applications() -> Any:
    return render_template(
        "applications/my_applications.html",
        applications=queries.my_applications(current_user),
        startups=queries.startups_of(current_user),
        now=utcnow(),
    )


def _refuse(application: Application, error: DomainError, category: str) -> Any:
    """A member acting on a page that has gone stale (a second click on submit, an application decided
    meanwhile) is told why and sent to the application; staff, who read but never write, get 403."""
    if current_user.is_staff:
        abort(403)
    flash(str(error), category)
    return redirect(url_for(".application_detail", application_id=application.id))


def _load_visible(application_id: int) -> Application:
    application = services.load_application(application_id)
    if application is None:
        abort(404)
    access.require(permissions.can_view_application(current_user, application), hide=True)
    return application


@bp.get("/applications/<int:application_id>")
@access.rule("can_view_application")
def application_detail(application_id: int) -> Any:
    application = _load_visible(application_id)
    return render_template(
        "applications/application_detail.html",
        application=application,
        form=PostForm(),
        now=utcnow(),
        labels=ApplicationForm.labels(),
    )


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@access.rule("can_edit_application")
def edit_application(application_id: int) -> Any:
    application = _load_visible(application_id)
    if not permissions.can_edit_application(current_user, application):
        return _refuse(application, services.NotEditable(), "info")
    form = ApplicationForm(obj=application)
    status = 200
    if form.validate_on_submit():
        submitting = "submit" in request.form
        try:
            services.save_draft(application, by=current_user, values=form.values(), deck=_upload(form.deck.data))
        except FileTooLarge as error:
            db.session.rollback()
            form.deck.errors = [error.message]
            status = 413
        except DomainError as error:
            db.session.rollback()
            form.deck.errors = [str(error)]
        else:
            db.session.commit()
            if not submitting:
                flash(_("Your draft has been saved."), "success")
                return redirect(url_for(".edit_application", application_id=application.id))
            return _submit(application, form)
    elif form.errors:
        status = 200
    return _render_edit(application, form), status


def _upload(data: Any) -> FileStorage | None:
    """The file sent with the form, if any. Without one, ``obj=application`` fills the deck field with
    the stored deck, which is not an upload."""
    return data if isinstance(data, FileStorage) else None


def _submit(application: Application, form: ApplicationForm) -> Any:
    try:
        services.submit_application(application, by=current_user)
    except services.IncompleteApplication as error:
        db.session.rollback()
        application = services.load_application(application.id)
        for name in error.missing:
            field = form.deck if name == "deck" else getattr(form, name)
            field.errors = [*field.errors, _("Required to submit.")]
        flash(_("Your draft has been saved. %(message)s", message=str(error)), "warning")
        return _render_edit(application, form)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".application_detail", application_id=application.id))
    db.session.commit()
    flash(_("Your application has been submitted. We have sent a confirmation by email."), "success")
    return redirect(url_for(".application_detail", application_id=application.id))


def _render_edit(application: Application, form: ApplicationForm) -> str:
    return render_template(
        "applications/edit_application.html",
        application=application,
        form=form,
        required=REQUIRED_FOR_SUBMISSION,
        now=utcnow(),
    )


@bp.post("/applications/<int:application_id>/submit")
@access.rule("can_edit_application")
def submit(application_id: int) -> Any:
    application = _load_visible(application_id)
    if not permissions.can_edit_application(current_user, application):
        return _refuse(application, services.NotEditable(), "info")
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.submit_application(application, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".edit_application", application_id=application_id))
    db.session.commit()
    flash(_("Your application has been submitted. We have sent a confirmation by email."), "success")
    return redirect(url_for(".application_detail", application_id=application_id))


@bp.post("/applications/<int:application_id>/withdraw")
@access.rule("can_withdraw_application")
def withdraw(application_id: int) -> Any:
    application = _load_visible(application_id)
    if not permissions.can_withdraw_application(current_user, application):
        return _refuse(application, InvalidTransition(application.state, ApplicationState.WITHDRAWN), "danger")
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw_application(application, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Your application has been withdrawn."), "info")
    return redirect(url_for(".application_detail", application_id=application_id))


from kakehashi.applications import staff_views  # noqa: E402, F401 - registers the staff routes on bp
