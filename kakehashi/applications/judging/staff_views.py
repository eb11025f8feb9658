"""Staff's side of judging: a call's judges and conflicts of interest, automatic and manual assignment.

Staff see judges' identities here (never judges or applicants). Every action is load → validate →
one service call → one commit → redirect; the read paths below use a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased, joinedload

from kakehashi.accounts.models import Startup, User
from kakehashi.applications.judging import services
from kakehashi.applications.judging.forms import AddAssignmentForm, InviteJudgeForm, RecordConflictForm
from kakehashi.applications.judging.models import AssignmentState, CallJudge, Conflict, JudgeAssignment
from kakehashi.applications.judging.views import bp
from kakehashi.applications.models import Application, Call
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.forms import PostForm
from kakehashi.core.i18n import pick
from kakehashi.core.pagination import paginate
from kakehashi.extensions import db

# --- read paths -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JudgeRow:
    call_judge: CallJudge
    user: User
    assigned: int  # live assignments in this call (conflicted ones left out)
    submitted: int


def judge_rows(call: Call) -> list[JudgeRow]:
    """The call's judges with their load: one query, the counts aggregated by the database."""
    live = func.sum(case((JudgeAssignment.state != AssignmentState.CONFLICTED, 1), else_=0))
    done = func.sum(case((JudgeAssignment.state == AssignmentState.SUBMITTED, 1), else_=0))
    load = (
        select(JudgeAssignment.judge_id, live.label("assigned"), done.label("submitted"))
        .where(JudgeAssignment.call_id == call.id)
        .group_by(JudgeAssignment.judge_id)
        .subquery()
    )
    rows = db.session.execute(
        select(CallJudge, User, func.coalesce(load.c.assigned, 0), func.coalesce(load.c.submitted, 0))
        .join(User, User.id == CallJudge.user_id)
        .outerjoin(load, load.c.judge_id == CallJudge.user_id)
        .where(CallJudge.call_id == call.id)
        .order_by(User.name, User.id)
    ).all()
    return [JudgeRow(call_judge, user, int(assigned), int(submitted)) for call_judge, user, assigned, submitted in rows]


def judged_applications(call: Call) -> list[tuple[Application, str]]:
    """The applications being judged with their startup's name in the viewer's language (one query)."""
    rows = db.session.execute(
        select(Application, Startup.name)
        .join(Startup, Startup.id == Application.startup_id)
        .where(Application.call_id == call.id, Application.state.in_(services.JUDGED_STATES))
        .order_by(Application.id)
    ).all()
    return [(application, pick(name)) for application, name in rows]


@dataclass(frozen=True)
class ConflictRow:
    conflict: Conflict
    judge: User
    startup: Startup
    recorded_by: User | None


def conflict_rows(call: Call) -> list[ConflictRow]:
    """Conflicts between this call's judges and the startups that applied to it (one query)."""
    recorder = aliased(User)
    rows = db.session.execute(
        select(Conflict, User, Startup, recorder)
        .join(User, User.id == Conflict.judge_id)
        .join(Startup, Startup.id == Conflict.startup_id)
        .outerjoin(recorder, recorder.id == Conflict.recorded_by_id)
        .where(
            Conflict.judge_id.in_(select(CallJudge.user_id).where(CallJudge.call_id == call.id)),
            Conflict.startup_id.in_(select(Application.startup_id).where(Application.call_id == call.id)),
        )
        .order_by(Conflict.created_at.desc(), Conflict.id.desc())
    ).all()
    return [ConflictRow(*row) for row in rows]


@dataclass(frozen=True)
class AssignmentRow:
    assignment: JudgeAssignment
    judge: User


def assignments_of(applications: list[Application]) -> dict[int, list[AssignmentRow]]:
    """Application id → its assignments with the judge (one query for the whole page)."""
    found: dict[int, list[AssignmentRow]] = {application.id: [] for application in applications}
    if not found:
        return found
    rows = db.session.execute(
        select(JudgeAssignment, User)
        .join(User, User.id == JudgeAssignment.judge_id)
        .where(JudgeAssignment.application_id.in_(found))
        .order_by(JudgeAssignment.application_id, User.name, JudgeAssignment.id)
    ).all()
    for assignment, judge in rows:
        found[assignment.application_id].append(AssignmentRow(assignment, judge))
    return found


def conflicted_pairs(call: Call, applications: list[Application]) -> set[tuple[int, int]]:
    """(judge id, startup id) for conflicts between the call's judges and these startups (one query)."""
    startup_ids = {application.startup_id for application in applications}
    if not startup_ids:
        return set()
    rows = db.session.execute(
        select(Conflict.judge_id, Conflict.startup_id).where(
            Conflict.startup_id.in_(startup_ids),
            Conflict.judge_id.in_(select(CallJudge.user_id).where(CallJudge.call_id == call.id)),
        )
    ).all()
    return {(judge_id, startup_id) for judge_id, startup_id in rows}


def _active(rows: list[JudgeRow]) -> list[User]:
    return [row.user for row in rows if row.user.active]


# --- judges and conflicts -------------------------------------------------------------------------


def _judges_page(
    call: Call, *, invite_form: InviteJudgeForm | None = None, conflict_form: RecordConflictForm | None = None
) -> Any:
    rows = judge_rows(call)
    applications = judged_applications(call)
    if conflict_form is None:
        conflict_form = RecordConflictForm(formdata=None, judges=_active(rows), applications=applications)
    names = {application.id: name for application, name in applications}
    short = services.short_of_judges(call)
    return render_template(
        "judging/judges.html",
        call=call,
        rows=rows,
        invite_form=invite_form or InviteJudgeForm(formdata=None),
        conflict_form=conflict_form,
        conflicts=conflict_rows(call),
        short=[(app_id, names.get(app_id, ""), short[app_id]) for app_id in sorted(short)],
        applications_count=len(applications),
        form=PostForm(),
    )


@bp.route("/admin/calls/<int:call_id>/judges", methods=["GET", "POST"])
@access.staff
def judges(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    form = InviteJudgeForm()
    if form.validate_on_submit():
        try:
            judge = services.invite_judge(call, by=current_user, **form.values())
        except DomainError as error:
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(error)]
        else:
            db.session.commit()
            flash(_("%(name)s is now a judge of this call.", name=judge.user.name), "success")
            return redirect(url_for(".judges", call_id=call.id))
    return _judges_page(call, invite_form=form)


@bp.post("/admin/calls/<int:call_id>/conflicts")
@access.staff
def record_conflict(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    form = RecordConflictForm(judges=_active(judge_rows(call)), applications=judged_applications(call))
    if not form.validate_on_submit():
        return _judges_page(call, conflict_form=form)
    try:
        services.record_conflict(form.judge, form.application, reason=form.reason_text, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(
            _(
                "The conflict of interest has been recorded. This judge will not be assigned to the startup, "
                "and any review they had not submitted has been given to another judge where one is available."
            ),
            "success",
        )
    return redirect(url_for(".judges", call_id=call.id, _anchor="conflicts"))


@bp.post("/admin/calls/<int:call_id>/assign")
@access.staff
def auto_assign(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    if not PostForm().validate_on_submit():
        abort(400)
    plan = services.auto_assign(call, by=current_user)
    db.session.commit()
    flash(ngettext("%(num)d assignment created.", "%(num)d assignments created.", len(plan.new)), "success")
    if plan.short:
        flash(
            ngettext(
                "%(num)d application cannot get enough judges.",
                "%(num)d applications cannot get enough judges.",
                len(plan.short),
            ),
            "warning",
        )
    return redirect(url_for(".judges", call_id=call.id))


# --- assignments ----------------------------------------------------------------------------------


def _assignments_url(call_id: int, application_id: int | None = None) -> str:
    page = request.args.get("page", type=int)
    anchor = f"application-{application_id}" if application_id else None
    return url_for(".assignments", call_id=call_id, page=page if page and page > 1 else None, _anchor=anchor)


@bp.get("/admin/calls/<int:call_id>/assignments")
@access.staff
def assignments(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    page = paginate(
        select(Application)
        .where(Application.call_id == call.id, Application.state.in_(services.JUDGED_STATES))
        .options(joinedload(Application.startup))
        .order_by(Application.id)
    )
    applications = list(page.items)
    rows = judge_rows(call)
    return render_template(
        "judging/assignments.html",
        call=call,
        page=page,
        assignments=assignments_of(applications),
        judges=_active(rows),
        loads={row.user.id: row.assigned for row in rows},
        conflicted=conflicted_pairs(call, applications),
        form=PostForm(),
    )


@bp.post("/admin/applications/<int:application_id>/assignments")
@access.staff
def add_assignment(application_id: int) -> Any:
    application = access.load_or_404(Application, application_id)
    form = AddAssignmentForm(judges=_active(judge_rows(application.call)))
    back = _assignments_url(application.call_id, application.id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "danger")
        return redirect(back)
    judge = form.judge
    try:
        services.add_assignment(application, judge, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("%(judge)s has been assigned to this application.", judge=judge.name), "success")
    return redirect(back)


@bp.post("/admin/assignments/<int:assignment_id>/delete")
@access.staff
def remove_assignment(assignment_id: int) -> Any:
    assignment = access.load_or_404(JudgeAssignment, assignment_id)
    if not PostForm().validate_on_submit():
        abort(400)
    back = _assignments_url(assignment.call_id, assignment.application_id)
    try:
        services.remove_assignment(assignment, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("The assignment has been removed."), "success")
    return redirect(back)
