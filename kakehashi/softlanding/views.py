"""Soft-landing pages: the founder's checklist and tasks, the staff queue and case pages, the calendar feed.

Every action: load (404 where the case is not the viewer's), check the permission, validate the form,
call one service, commit once, redirect with a message. The template editor's routes live on this
blueprint too (``template_views``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import FileStorage

from kakehashi.applications import formatting
from kakehashi.core import pagecache
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.forms import PostForm, flash_form_errors
from kakehashi.core.freshness import require_fresh_login
from kakehashi.core.i18n import current_locale, pick
from kakehashi.core.storage import FileTooLarge, download_response
from kakehashi.core.templating import add_nav, for_signed_in, for_staff
from kakehashi.extensions import db
from kakehashi.softlanding import feeds, permissions, queries, services
from kakehashi.softlanding.forms import (
    ApproveForm,
    CommentForm,
    DeleteDocumentsForm,
    NewCaseForm,
    NotApplicableForm,
    QueueFilterForm,
    RequestChangesForm,
    SubmitForm,
    UploadForm,
)
from kakehashi.softlanding.models import CaseState, CaseTask, LandingCase, Party, StepCategory, TaskState
from kakehashi.softlanding.schedule import plan_case, tokyo_today

bp = Blueprint("softlanding", __name__, template_folder="templates")
add_nav(
    "softlanding.index", _l("Soft landing"), visible=lambda user: for_signed_in(user) and not for_staff(user), order=30
)
add_nav("softlanding.queue", _l("Landing queue"), visible=for_staff, order=30)
add_nav("softlanding.cases", _l("Landing cases"), visible=for_staff, order=40, area="admin")


# --- loading and checking ----------------------------------------------------------------------------


def _visible_case(case_id: int) -> LandingCase:
    case = access.load_or_404(LandingCase, case_id)
    access.require(permissions.can_view_case(current_user, case), hide=True)
    return case


def _visible_task(task_id: int) -> CaseTask:
    task = access.load_or_404(CaseTask, task_id)
    access.require(permissions.can_view_case(current_user, task.case), hide=True)
    return task


def _reviewable_task(task_id: int) -> CaseTask:
    """Staff only; the case's founder gets 403, anyone else 404."""
    task = _visible_task(task_id)
    access.require(permissions.can_review(current_user))
    return task


def _reviewable_case(case_id: int) -> LandingCase:
    case = _visible_case(case_id)
    access.require(permissions.can_review(current_user))
    return case


def _task_url(task: CaseTask) -> str:
    return url_for(".task", task_id=task.id)


def _case_url(case_id: int) -> str:
    return url_for(".case", case_id=case_id)


def _perform(action: Callable[[], Any], back: str, success: Callable[[Any], str] | str) -> Any:
    """Run one service; commit and flash ``success``, or roll back and flash the refusal. Then go ``back``."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(back)
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return redirect(back)


def _cannot_work(task: CaseTask) -> Any:
    """A founder on a stale page (the step was submitted or locked meanwhile) is told why."""
    flash(
        _(
            "This step cannot be changed now: it is waiting for other steps, awaiting review or finished,"
            " or the case is closed."
        ),
        "warning",
    )
    return redirect(_task_url(task))


# --- what the viewer may do with a task --------------------------------------------------------------

REVIEWER_COMPLETES = (Party.STAFF, Party.PROFESSIONAL)
EDITABLE_DOCUMENTS = (TaskState.TODO, TaskState.IN_PROGRESS, TaskState.NEEDS_CHANGES)


def task_actions(user: Any, task: CaseTask) -> frozenset[str]:
    """The buttons to show (the routes check again; the services have the last word)."""
    if task.case.state is not CaseState.OPEN or not permissions.can_view_case(user, task.case):
        return frozenset()
    actions = {"comment"} if permissions.can_comment(user, task) else set()
    state = task.state
    if permissions.can_work_on_task(user, task):
        if state in EDITABLE_DOCUMENTS:
            actions.add("upload")
        if permissions.is_case_founder(user, task.case) and task.party is not Party.STAFF:
            if state in (TaskState.TODO, TaskState.NEEDS_CHANGES):
                actions.add("start")
            if state in EDITABLE_DOCUMENTS:
                actions.add("submit")
    if permissions.can_review(user):
        if state is TaskState.SUBMITTED:
            actions.update({"approve", "request_changes"})
        if task.party in REVIEWER_COMPLETES and state in (TaskState.TODO, TaskState.IN_PROGRESS):
            actions.add("complete")
        if not state.is_finished:
            actions.add("not_applicable")
    return frozenset(actions)


def _by_category(tasks: list[CaseTask]) -> list[tuple[StepCategory, list[CaseTask]]]:
    """Tasks grouped by category, the groups in the order their first task comes."""
    groups: dict[StepCategory, list[CaseTask]] = {}
    for task in tasks:
        groups.setdefault(task.category, []).append(task)
    return list(groups.items())


def _feed_url(case: LandingCase) -> str | None:
    if not case.feed_token:
        return None
    return current_app.config["BASE_URL"].rstrip("/") + url_for(".feed", token=case.feed_token)


def _titles(keys: tuple[str, ...] | list[str], by_key: dict[str, CaseTask]) -> list[str]:
    return [pick(by_key[key].title) for key in keys if key in by_key]


# --- founders and staff: the landing page, a case, a task --------------------------------------------


@bp.get("/landing/")
@access.signed_in
def index() -> Any:
    rows = queries.founder_case_rows(current_user, tokyo_today())
    if len(rows) == 1:
        return redirect(_case_url(rows[0].case.id))
    if not rows and current_user.is_staff:
        return redirect(url_for(".queue"))
    return render_template("softlanding/index.html", rows=rows)


@bp.get("/landing/cases/<int:case_id>")
@pagecache.page
@access.rule("can_view_case")
def case(case_id: int) -> Any:
    case = queries.case_with_people(case_id)
    if case is None:
        abort(404)
    access.require(permissions.can_view_case(current_user, case), hide=True)
    today = tokyo_today()
    steps = queries.cached_steps(
        ("case steps", case.id, today, current_locale(), request.script_root),
        lambda: _case_steps(case.id, today),
    )
    return render_template(
        "softlanding/case.html",
        case=case,
        steps=steps,
        feed_url=_feed_url(case),
        post_form=PostForm(),
        delete_form=DeleteDocumentsForm(formdata=None),
        is_staff=permissions.can_review(current_user),
    )


def _case_steps(case_id: int, today: date) -> Markup:
    """The checklist's progress, next steps and steps (``_case_steps.html``): the same for every viewer."""
    row = queries.case_row(case_id, today)
    if row is None:  # pragma: no cover - loaded just before, in the same transaction
        abort(404)
    by_key = row.by_key
    html = render_template(
        "softlanding/_case_steps.html",
        case=row.case,
        plan=row.plan,
        groups=_by_category(row.tasks),
        next_tasks=[by_key[key] for key in row.plan.next_keys if key in by_key],
        counts=queries.task_counts(row.case),
        titles=lambda keys: _titles(keys, by_key),
        fmt=formatting.formats(),
        task_url=formatting.url_pattern(".task", "task_id"),
    )
    return Markup(html)  # noqa: S704  # nosec B704  # our own template's output, autoescaped


def _render_task(task: CaseTask, *, status: int = 200, loaded: bool = False, **forms: Any) -> Any:
    """The task page; ``forms`` replaces a blank form with one that carries the submitted data and errors.

    ``loaded``: ``task`` comes from :func:`queries.load_task` (else it is loaded again with all it shows).
    """
    fresh = task if loaded else queries.load_task(task.id)
    if fresh is None:
        abort(404)
    case = fresh.case
    tasks = list(case.tasks)
    plan = plan_case(case, tasks, tokyo_today())
    by_key = {t.key: t for t in tasks}
    blank = {
        "upload_form": UploadForm,
        "submit_form": SubmitForm,
        "approve_form": ApproveForm,
        "changes_form": RequestChangesForm,
        "na_form": NotApplicableForm,
        "comment_form": CommentForm,
    }
    context = {name: forms.get(name) or form_class(formdata=None) for name, form_class in blank.items()}
    return render_template(
        "softlanding/task.html",
        task=fresh,
        case=case,
        plan=plan,
        task_plan=plan.tasks.get(fresh.key),
        by_key=by_key,
        titles=lambda keys: _titles(keys, by_key),
        actions=task_actions(current_user, fresh),
        is_staff=permissions.can_review(current_user),
        post_form=PostForm(),
        **context,
    ), status


@bp.get("/landing/tasks/<int:task_id>")
@access.rule("can_view_case")
def task(task_id: int) -> Any:
    found = queries.load_task(task_id)
    if found is None:
        abort(404)
    access.require(permissions.can_view_case(current_user, found.case), hide=True)
    return _render_task(found, loaded=True)


@bp.get("/landing/documents/<int:document_id>")
@access.rule("can_view_case")
def document(document_id: int) -> Any:
    found = queries.load_document(document_id)
    if found is None:
        abort(404)
    access.require(permissions.can_view_case(current_user, found.task.case), hide=True)
    response = download_response(found.file)
    services.record_document_access(found, by=current_user, action="download")
    db.session.commit()
    return response


# --- the founder's work on a task ----------------------------------------------------------------------


@bp.post("/landing/tasks/<int:task_id>/start")
@access.rule("can_work_on_task")
def start_task(task_id: int) -> Any:
    task = _visible_task(task_id)
    if not permissions.can_work_on_task(current_user, task):
        return _cannot_work(task)
    if not PostForm().validate_on_submit():
        abort(400)
    return _perform(
        lambda: services.start_task(task, by=current_user), _task_url(task), _("You have started this step.")
    )


@bp.post("/landing/tasks/<int:task_id>/submit")
@access.rule("can_work_on_task")
def submit_task(task_id: int) -> Any:
    task = _visible_task(task_id)
    if not permissions.can_work_on_task(current_user, task):
        return _cannot_work(task)
    form = SubmitForm()
    if not form.validate_on_submit():
        return _render_task(task, submit_form=form)
    note = (form.note.data or "").strip() or None
    return _perform(
        lambda: services.submit_task(task, by=current_user, note=note),
        _task_url(task),
        _("The step has been sent to programme staff for review. We will email you when they have looked at it."),
    )


@bp.post("/landing/tasks/<int:task_id>/documents")
@access.rule("can_work_on_task")
def upload_document(task_id: int) -> Any:
    task = _visible_task(task_id)
    if not permissions.can_work_on_task(current_user, task):
        return _cannot_work(task)
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_task(task, upload_form=form)
    upload = form.document.data
    if not isinstance(upload, FileStorage):
        abort(400)
    try:
        services.add_document(task, upload, by=current_user)
    except FileTooLarge as error:
        db.session.rollback()
        form.document.errors = [str(error.message)]
        return _render_task(task, status=413, upload_form=form)
    except DomainError as error:
        db.session.rollback()
        form.document.errors = [str(error)]
        return _render_task(task, upload_form=form)
    db.session.commit()
    flash(_("The document has been uploaded."), "success")
    return redirect(_task_url(task))


@bp.post("/landing/documents/<int:document_id>/remove")
@access.rule("can_work_on_task")
def remove_document(document_id: int) -> Any:
    found = queries.load_document(document_id)
    if found is None:
        abort(404)
    task = found.task
    access.require(permissions.can_view_case(current_user, task.case), hide=True)
    if not permissions.can_work_on_task(current_user, task):
        return _cannot_work(task)
    require_fresh_login(back=_task_url(task))
    if not PostForm().validate_on_submit():
        abort(400)
    return _perform(
        lambda: services.remove_document(found, by=current_user),
        _task_url(task),
        _("The document has been removed."),
    )


@bp.post("/landing/tasks/<int:task_id>/comments")
@access.rule("can_comment")
def comment(task_id: int) -> Any:
    task = _visible_task(task_id)
    if not permissions.can_comment(current_user, task):
        flash(_("You can write here once the step is open to you."), "warning")
        return redirect(_task_url(task))
    form = CommentForm()
    if not form.validate_on_submit():
        return _render_task(task, comment_form=form)
    body = form.body.data.strip()
    return _perform(
        lambda: services.add_comment(task, by=current_user, body=body),
        _task_url(task) + "#comments",
        _("Your message has been added to the thread."),
    )


# --- staff review --------------------------------------------------------------------------------------


def _unlocked_message(done: str) -> Callable[[list[CaseTask]], str]:
    def message(unlocked: list[CaseTask] | None) -> str:
        if not unlocked:
            return done
        return _(
            "%(done)s Now open: %(steps)s.",
            done=done,
            steps=_(", ").join(pick(t.title) for t in unlocked),
        )

    return message


@bp.post("/landing/tasks/<int:task_id>/approve")
@access.rule("can_review")
def approve(task_id: int) -> Any:
    task = _reviewable_task(task_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _render_task(task, approve_form=form)
    note = (form.comment.data or "").strip() or None
    return _perform(
        lambda: services.approve_task(task, by=current_user, comment=note),
        _case_url(task.case_id),
        _unlocked_message(_("The step has been approved.")),
    )


@bp.post("/landing/tasks/<int:task_id>/request-changes")
@access.rule("can_review")
def request_changes(task_id: int) -> Any:
    task = _reviewable_task(task_id)
    form = RequestChangesForm()
    if not form.validate_on_submit():
        return _render_task(task, changes_form=form)
    changes = form.changes.data.strip()
    return _perform(
        lambda: services.request_changes(task, by=current_user, comment=changes),
        _task_url(task),
        _("The founder has been asked for changes and has been emailed."),
    )


@bp.post("/landing/tasks/<int:task_id>/complete")
@access.rule("can_review")
def complete(task_id: int) -> Any:
    task = _reviewable_task(task_id)
    if not PostForm().validate_on_submit():
        abort(400)
    return _perform(
        lambda: services.complete_task(task, by=current_user),
        _case_url(task.case_id),
        _unlocked_message(_("The step has been marked done.")),
    )


@bp.post("/landing/tasks/<int:task_id>/not-applicable")
@access.rule("can_review")
def not_applicable(task_id: int) -> Any:
    task = _reviewable_task(task_id)
    form = NotApplicableForm()
    if not form.validate_on_submit():
        return _render_task(task, na_form=form)
    reason = form.reason.data.strip()
    return _perform(
        lambda: services.mark_not_applicable(task, by=current_user, reason=reason),
        _case_url(task.case_id),
        _unlocked_message(_("The step has been marked not applicable.")),
    )


# --- the case: close, reopen, delete documents, the calendar feed ------------------------------------


@bp.post("/landing/cases/<int:case_id>/close")
@access.rule("can_review")
def close_case(case_id: int) -> Any:
    case = _reviewable_case(case_id)
    if not PostForm().validate_on_submit():
        abort(400)
    return _perform(
        lambda: services.close_case(case, by=current_user), _case_url(case_id), _("The case has been closed.")
    )


@bp.post("/landing/cases/<int:case_id>/reopen")
@access.rule("can_review")
def reopen_case(case_id: int) -> Any:
    case = _reviewable_case(case_id)
    if not PostForm().validate_on_submit():
        abort(400)
    return _perform(
        lambda: services.reopen_case(case, by=current_user), _case_url(case_id), _("The case has been reopened.")
    )


@bp.post("/landing/cases/<int:case_id>/delete-documents")
@access.rule("can_review")
def delete_documents(case_id: int) -> Any:
    case = _reviewable_case(case_id)
    require_fresh_login(back=_case_url(case_id) + "#personal-data")
    form = DeleteDocumentsForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(_case_url(case_id) + "#personal-data")
    return _perform(
        lambda: services.delete_case_documents(case, by=current_user),
        _case_url(case_id),
        lambda count: ngettext(
            "%(num)d document has been deleted, with its stored file.",
            "%(num)d documents have been deleted, with their stored files.",
            count or 0,
        ),
    )


@bp.post("/landing/cases/<int:case_id>/feed/rotate")
@access.rule("can_manage_feed")
def rotate_feed(case_id: int) -> Any:
    case = _visible_case(case_id)
    access.require(permissions.can_manage_feed(current_user, case))
    if not PostForm().validate_on_submit():
        abort(400)
    return _perform(
        lambda: services.rotate_feed_token(case, by=current_user),
        _case_url(case_id) + "#calendar",
        _("Your calendar has a new address. The old address no longer works."),
    )


@bp.post("/landing/cases/<int:case_id>/feed/revoke")
@access.rule("can_manage_feed")
def revoke_feed(case_id: int) -> Any:
    case = _visible_case(case_id)
    access.require(permissions.can_manage_feed(current_user, case))
    if not PostForm().validate_on_submit():
        abort(400)
    return _perform(
        lambda: services.revoke_feed_token(case, by=current_user),
        _case_url(case_id) + "#calendar",
        _("The calendar address has been switched off."),
    )


@bp.get("/landing/feeds/<token>.ics")
@access.public
def feed(token: str) -> Any:
    case = queries.case_by_feed_token(token)
    if case is None:
        abort(404)
    tasks = list(case.tasks)
    body = feeds.case_calendar(case, tasks, plan_case(case, tasks, tokyo_today()))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- staff: open a case, the queue, every case ---------------------------------------------------------


@bp.route("/landing/cases/new", methods=["GET", "POST"])
@access.staff
def new_case() -> Any:
    templates = queries.active_templates()
    staff = queries.staff_users()
    form = NewCaseForm(templates=templates, staff=staff)
    if request.method == "GET":
        form.concierge_id.data = str(current_user.id)
    if form.validate_on_submit():
        values = form.values(templates={t.id: t for t in templates}, staff={u.id: u for u in staff})
        try:
            opened = services.open_case(**values, by=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The case has been opened and the founder has been emailed."), "success")
            return redirect(_case_url(opened.id))
    return render_template("softlanding/new_case.html", form=form, has_templates=bool(templates))


@bp.get("/landing/queue")
@access.staff
def queue() -> Any:
    filters = QueueFilterForm(request.args)
    mine = bool(filters.mine.data)
    today = tokyo_today()
    return render_template(
        "softlanding/queue.html",
        queue=queries.staff_queue(today, concierge=current_user if mine else None),
        filters=filters,
        mine=mine,
        today=today,
    )


@bp.get("/landing/cases/")
@access.staff
def cases() -> Any:
    return render_template("softlanding/cases.html", rows=queries.all_case_rows(tokyo_today()))


# The template editor's routes live on this blueprint too (kept in their own module).
from kakehashi.softlanding import template_views  # noqa: E402,F401
