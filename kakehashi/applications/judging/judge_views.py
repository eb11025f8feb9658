"""The judge's side: the queue across calls, the scoring page, declaring a conflict, the deck.

Every route but the queue names an assignment and answers 404 to anyone but its judge
(``permissions.can_score``): other judges, staff and applicants cannot tell it exists. Judges see
only their own review, and never the fields the call hides from them (blind review).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from kakehashi.applications import formatting
from kakehashi.applications.forms import ApplicationForm
from kakehashi.applications.judging import queries, services
from kakehashi.applications.judging.forms import DeclareConflictForm, ReviewForm, review_form
from kakehashi.applications.judging.models import AssignmentState, JudgeAssignment
from kakehashi.applications.judging.permissions import can_declare_conflict, can_score
from kakehashi.applications.judging.views import bp
from kakehashi.applications.models import Application, Call, CallState
from kakehashi.core import audit, pagecache, storage
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.i18n import pick
from kakehashi.extensions import db

# --- the queue ------------------------------------------------------------------------------------


def judging_phase(call: Call) -> str:
    """``"open"`` while judges may score, ``"not_yet"`` before the call closes, ``"ended"`` after."""
    if services.judging_open(call):
        return "open"
    return "not_yet" if call.state in (CallState.DRAFT, CallState.OPEN) else "ended"


@dataclass
class QueueRow:
    id: int
    state: AssignmentState
    name: str
    url: str


@dataclass
class CallQueue:
    call: Call
    phase: str
    rows: list[QueueRow] = field(default_factory=list)
    submitted: int = 0

    @property
    def total(self) -> int:
        return len(self.rows)


def hides_startup_name(call: Call) -> bool:
    return "startup_name" in (call.blind_fields or [])


def application_name(application: Application, startup_name: dict[str, str] | None) -> str:
    """What a judge calls the application: the startup's name, or its number under blind review."""
    if hides_startup_name(application.call) or not startup_name:
        return _("Application #%(id)d", id=application.id)
    return pick(startup_name)


@bp.get("/judging/")
@pagecache.page
@access.signed_in
def queue() -> Any:
    """Calls to judge in full; calls whose judging is over in one line each (``?call=`` lists one of them).

    Two queries whatever the judge sits on (the calls with their counts, then the rows as plain tuples);
    labels, links and the "Application #n" wording are worked out once, not per row.
    """
    call_id = request.args.get("call", type=int)
    groups: dict[int, CallQueue] = {}
    ended: list[tuple[Call, int, int]] = []
    for call, total, submitted in queries.judge_calls(current_user, call_id=call_id):
        if call_id is None and call.state in queries.ENDED_CALL_STATES:
            ended.append((call, total, submitted))
        else:
            groups[call.id] = CallQueue(call, judging_phase(call))
    named = [call_id_ for call_id_, group in groups.items() if not hides_startup_name(group.call)]
    rows = queries.queue_rows(current_user, list(groups), named)
    fmt = formatting.formats()
    score_url = formatting.url_pattern(".score", "assignment_id")
    numbered = _("Application #%(id)d")  # formatted per row below, as gettext would with ``id=``
    for row in rows:
        group = groups[row.call_id]
        name = fmt.localized(row.startup_name) if row.startup_name else numbered % {"id": row.application_id}
        group.rows.append(QueueRow(row.id, row.state, name, score_url(row.id)))
        if row.state is AssignmentState.SUBMITTED:
            group.submitted += 1
    return render_template(
        "judging/queue.html",
        calls=list(groups.values()),
        ended=ended,
        one_call=call_id,
        state_labels=formatting.labels(AssignmentState),
    )


# --- one assignment -------------------------------------------------------------------------------


def _load_own(assignment_id: int) -> JudgeAssignment:
    """The assignment with what its page shows loaded; 404 unless it is the current judge's own."""
    assignment = db.session.get(
        JudgeAssignment,
        assignment_id,
        options=[
            joinedload(JudgeAssignment.application).options(
                joinedload(Application.call), joinedload(Application.startup), joinedload(Application.deck)
            )
        ],
    )
    if assignment is None:
        abort(404)
    access.require(can_score(current_user, assignment), hide=True)
    return assignment


def _render(
    assignment: JudgeAssignment,
    form: ReviewForm,
    conflict_form: DeclareConflictForm | None = None,
    *,
    error: str | None = None,
    level: str = "danger",
) -> str:
    application = assignment.application
    call = application.call
    hidden = set(call.blind_fields or [])
    editable = services.judging_open(call)
    if not editable:  # a read-only page shows what is stored, never what a refused POST sent
        form = review_form(form.criteria, queries.saved_review(assignment), posted=False)
    return render_template(
        "judging/score.html",
        assignment=assignment,
        application=application,
        call=call,
        startup=application.startup,
        hidden=hidden,
        name=application_name(application, None if "startup_name" in hidden else application.startup.name),
        labels={name: label for name, label in ApplicationForm.labels().items() if name not in hidden},
        form=form,
        conflict_form=conflict_form or DeclareConflictForm(formdata=None),
        editable=editable,
        phase=judging_phase(call),
        conflict_allowed=can_declare_conflict(current_user, assignment),
        error=error,
        level=level,
    )


@bp.route("/judging/assignments/<int:assignment_id>", methods=["GET", "POST"])
@access.rule("can_score")
def score(assignment_id: int) -> Any:
    assignment = _load_own(assignment_id)
    criteria = services.criteria_of(assignment.application.call)
    form = review_form(criteria, queries.saved_review(assignment))
    if not form.validate_on_submit():
        return _render(assignment, form)
    # A submitted review has no draft: saving it again re-submits it (complete, or not at all).
    already_submitted = assignment.state is AssignmentState.SUBMITTED
    submitting = "submit" in request.form or already_submitted
    review = {"scores": form.scores(), "comment": form.comment.data, "recommendation": form.recommendation.data}
    if not already_submitted:
        try:
            services.save_review(assignment, by=current_user, submit=False, **review)
        except DomainError as error:  # e.g. ScoreOutOfRange, JudgingClosed: nothing is saved
            db.session.rollback()
            return _render(assignment, form, error=str(error))
        db.session.commit()
        if not submitting:
            flash(_("Your draft has been saved. You can come back and change it until you submit."), "success")
            return redirect(url_for(".score", assignment_id=assignment_id))
    return _submit(assignment, form, review, draft_saved=not already_submitted)


def _submit(assignment: JudgeAssignment, form: ReviewForm, review: dict[str, Any], *, draft_saved: bool) -> Any:
    try:
        services.save_review(assignment, by=current_user, submit=True, **review)
    except services.IncompleteReview as error:
        db.session.rollback()
        for criterion_id in error.missing:
            field_ = form[f"score_{criterion_id}"]
            field_.errors = [*field_.errors, _("Required to submit.")]
        if review["recommendation"] is None:
            form.recommendation.errors = [*form.recommendation.errors, _("Required to submit.")]
        message = _("Your draft has been saved. %(message)s", message=str(error)) if draft_saved else str(error)
        return _render(assignment, form, error=message, level="warning" if draft_saved else "danger")
    except DomainError as error:
        db.session.rollback()
        return _render(assignment, form, error=str(error))
    db.session.commit()
    flash(_("Your review has been submitted. Thank you."), "success")
    return redirect(url_for(".queue"))


@bp.post("/judging/assignments/<int:assignment_id>/conflict")
@access.rule("can_score")
def declare_conflict(assignment_id: int) -> Any:
    assignment = _load_own(assignment_id)
    conflict_form = DeclareConflictForm()
    if not conflict_form.validate_on_submit():
        criteria = services.criteria_of(assignment.application.call)
        form = review_form(criteria, queries.saved_review(assignment), posted=False)
        return _render(assignment, form, conflict_form)
    if not can_declare_conflict(current_user, assignment):
        flash(_("A conflict can be declared only on an application you have not reviewed, before decisions."), "danger")
        return redirect(url_for(".score", assignment_id=assignment_id))
    try:
        services.declare_conflict(assignment, reason=conflict_form.reason.data, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".score", assignment_id=assignment_id))
    db.session.commit()
    flash(_("Thank you for telling us. The application has been taken off your list."), "info")
    return redirect(url_for(".queue"))


@bp.get("/judging/assignments/<int:assignment_id>/deck")
@access.rule("can_score")
def deck(assignment_id: int) -> Any:
    assignment = _load_own(assignment_id)
    application = assignment.application
    stored = application.deck
    if stored is None:
        abort(404)
    # Under blind review the file's own name (often the startup's) must not reach the judge.
    filename = f"application-{application.id}-deck.pdf" if hides_startup_name(application.call) else None
    response = storage.download_response(stored, filename=filename)
    audit.record(current_user, "file.downloaded", stored, {"purpose": stored.purpose, "assignment": assignment.id})
    db.session.commit()
    return response
