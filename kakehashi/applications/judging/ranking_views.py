"""Staff: a call's ranking (raw and normalised), decisions one by one or in bulk, their release, the export.

Every route is staff only. The ranking page reads everything in a fixed number of queries
(``queries.ranking``); decisions stay private (``Application.decision``) until staff release them,
which tells each applicant in their language, moves the call to decided and forms its cohort.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kakehashi.applications.judging import decisions, exports, queries, services
from kakehashi.applications.judging.ranking import DISAGREEMENT_SHARE, MIN_REVIEWS, Result
from kakehashi.applications.judging.views import bp
from kakehashi.applications.models import APPLICATION_STATE_LABELS, Application, ApplicationState, Call, CallState
from kakehashi.core import audit, cache, pagecache
from kakehashi.core import permissions as access
from kakehashi.core.errors import DomainError
from kakehashi.core.forms import PostForm
from kakehashi.core.freshness import fresh_login_required
from kakehashi.core.i18n import current_locale, pick
from kakehashi.extensions import db

Row = tuple[Application, Result]

FEEDBACK_LIMIT = 5000
UNDECIDED = "undecided"
DECISION_CHOICES = [
    SelectChoice(ApplicationState.ACCEPTED.value, APPLICATION_STATE_LABELS[ApplicationState.ACCEPTED]),
    SelectChoice(ApplicationState.WAITLISTED.value, APPLICATION_STATE_LABELS[ApplicationState.WAITLISTED]),
    SelectChoice(ApplicationState.REJECTED.value, APPLICATION_STATE_LABELS[ApplicationState.REJECTED]),
    SelectChoice(UNDECIDED, _l("Undecided")),
]


def _decision(value: str | None) -> ApplicationState | None:
    return None if value in (None, "", UNDECIDED) else ApplicationState(value)


# --- forms ----------------------------------------------------------------------------------------


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=DECISION_CHOICES, validators=[InputRequired()])
    feedback = TextAreaField(
        _l("Feedback to the applicant (optional)"),
        validators=[Optional(), Length(max=FEEDBACK_LIMIT)],
        description=_l(
            "Sent with the decision email when the decisions are released. "
            "Applicants never see scores or who judged them."
        ),
        render_kw={"rows": 5},
    )


class BulkDecisionForm(FlaskForm):
    application_ids = SelectMultipleField(
        _l("Applications"),
        coerce=int,
        validate_choice=False,  # the view loads them within the call
        validators=[DataRequired(message=_l("Select at least one application."))],
    )
    decision = SelectField(_l("Decision"), choices=DECISION_CHOICES, validators=[InputRequired()])


# --- the ranking page -----------------------------------------------------------------------------


def _sort_key(sort: str, locale: str) -> Callable[[Row], Any]:
    """Highest first and unranked last for scores; equal ranks (and names) in application order."""
    if sort == "raw":
        return lambda row: (row[1].raw_rank is None, row[1].raw_rank or 0, row[0].id)
    if sort == "spread":
        return lambda row: (row[1].spread is None, -(row[1].spread or 0.0), row[0].id)
    if sort == "name":
        return lambda row: (pick(row[0].startup.name, locale).casefold(), row[0].id)
    return lambda row: (row[1].normalised_rank is None, row[1].normalised_rank or 0, row[0].id)


SORTS = ("normalised", "raw", "spread", "name")
DEFAULT_SORT = "normalised"


def _decision_counts(rows: Sequence[Row]) -> dict[str, int]:
    """How many are marked accepted / waitlisted / rejected, and how many under review have no decision."""
    counts = {state.value: 0 for state in decisions.OUTCOMES} | {UNDECIDED: 0}
    for application, _result in rows:
        if application.decision is not None:
            counts[application.decision.value] += 1
        elif application.state is ApplicationState.UNDER_REVIEW:
            counts[UNDECIDED] += 1
    return counts


@dataclass(frozen=True)
class RankedTable:
    """What the ranking page derives from a call's applications and reviews (cached: ``core.cache``)."""

    # The rendered rows (up to thousands; ~400 KB): rendering them is most of the page's cost. Kept
    # encoded: the page is spliced around them as bytes (``ranking``), so they are neither copied into
    # the template's output (Jinja's escaping of a 400 KB ``Markup`` copies it slowly) nor encoded again.
    table: bytes
    counts: dict[str, int]
    rows: int
    any_fallback: bool
    any_disagreement: bool


# Where the cached table goes in the page: a comment (escaped text never holds "<"), replaced once.
_TABLE_SLOT = Markup("<!--kakehashi:ranking-table-->")


def _ranked_table(call: Call, sort: str, locale: str, judging_open: bool) -> RankedTable:
    rows = sorted(queries.ranking(call), key=_sort_key(sort, locale))
    table = render_template(
        "judging/_ranking_table.html",
        call=call,
        rows=rows,
        sort=sort,
        judging_open=judging_open,
        min_reviews=MIN_REVIEWS,
        # Translated once for the whole table, not once per row.
        locale=locale,
        state_labels={state: state.label for state in ApplicationState},
    )
    return RankedTable(
        table=table.encode(),
        counts=_decision_counts(rows),
        rows=len(rows),
        any_fallback=any(result.fallback_judges for _a, result in rows),
        any_disagreement=any(result.disagreement for _a, result in rows),
    )


@bp.get("/admin/calls/<int:call_id>/ranking")
@pagecache.page
@access.staff
def ranking(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    sort = request.args.get("sort", DEFAULT_SORT)
    if sort not in SORTS:
        sort = DEFAULT_SORT
    locale = current_locale()
    judging_open = services.judging_open(call)
    # Everything the table shows comes from the "judging" models (core.cache watches them); the key holds
    # the rest: the call and its state, the order, the language, and where the app is mounted (links).
    ranked = cache.cached(
        "judging",
        ("ranking", call.id, call.state.value, sort, locale, request.script_root),
        lambda: _ranked_table(call, sort, locale, judging_open),
    )
    counts = ranked.counts
    page = render_template(
        "judging/ranking.html",
        table_slot=_TABLE_SLOT,
        call=call,
        ranked=ranked,
        rows=ranked.rows,
        sort=sort,
        counts=counts,
        accepted=counts[ApplicationState.ACCEPTED.value],
        undecided=counts[UNDECIDED],
        cohort=queries.cohort_of(call),
        judging_open=judging_open,
        any_fallback=ranked.any_fallback,
        any_disagreement=ranked.any_disagreement,
        min_reviews=MIN_REVIEWS,
        disagreement_share=DISAGREEMENT_SHARE * 100,
        form=PostForm(),
        decision_choices=DECISION_CHOICES,
    )
    head, tail = page.split(_TABLE_SLOT, 1)
    return current_app.response_class(b"".join((head.encode(), ranked.table, tail.encode())), mimetype="text/html")


# --- decisions ------------------------------------------------------------------------------------


def _ranking_url(call_id: int, application_id: int | None = None) -> str:
    anchor = f"application-{application_id}" if application_id else None
    return url_for(".ranking", call_id=call_id, _anchor=anchor)


@bp.route("/admin/applications/<int:application_id>/decision", methods=["GET", "POST"])
@access.staff
def decision(application_id: int) -> Any:
    application = access.load_or_404(Application, application_id)
    call = application.call
    form = DecisionForm(
        data={
            "decision": application.decision.value if application.decision else UNDECIDED,
            "feedback": application.feedback,
        }
    )
    if form.validate_on_submit():
        try:
            decisions.set_decision(
                application, _decision(form.decision.data), feedback=form.feedback.data or "", by=current_user
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".decision", application_id=application_id))
        db.session.commit()
        flash(
            _(
                "The decision for %(startup)s has been saved. The applicant will be told when the decisions "
                "are released.",
                startup=pick(application.startup.name),
            ),
            "success",
        )
        return redirect(_ranking_url(call.id, application.id))
    result = next((r for a, r in queries.ranking(call) if a.id == application.id), None)
    return render_template(
        "judging/ranking_decision.html",
        call=call,
        application=application,
        result=result,
        reviews=exports.review_details(call, application_id=application.id),
        # What the service will refuse, said before staff fill the form in.
        decidable=decisions.can_decide(application),
        refusal=decisions.NotDecidable(),
        form=form,
    )


@bp.post("/admin/calls/<int:call_id>/decisions")
@access.staff
def bulk_decision(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    form = BulkDecisionForm()
    if not form.validate_on_submit():
        messages = [str(message) for errors in form.errors.values() for message in errors]
        flash(" ".join(messages) or _("Select at least one application."), "danger")
        return redirect(_ranking_url(call.id))
    wanted = set(form.application_ids.data)
    applications = list(
        db.session.scalars(
            select(Application)
            .where(Application.call_id == call.id, Application.id.in_(wanted))
            .order_by(Application.id)
        )
    )
    if len(applications) != len(wanted):
        abort(404)
    decided = _decision(form.decision.data)
    try:
        decisions.set_decisions(applications, decided, by=current_user)
    except decisions.NotDecidable as error:
        db.session.rollback()
        startup = pick(error.application.startup.name) if error.application else ""
        flash(_("%(startup)s: %(reason)s Nothing was changed.", startup=startup, reason=str(error)), "danger")
        return redirect(_ranking_url(call.id))
    db.session.commit()
    label = APPLICATION_STATE_LABELS[decided] if decided else _l("Undecided")
    flash(
        ngettext(
            "%(num)d application marked “%(decision)s”.",
            "%(num)d applications marked “%(decision)s”.",
            len(applications),
            decision=label,
        ),
        "success",
    )
    return redirect(_ranking_url(call.id))


@bp.post("/admin/calls/<int:call_id>/release")
@access.staff
def release(call_id: int) -> Any:
    call = access.load_or_404(Call, call_id)
    if not PostForm().validate_on_submit():
        abort(400)
    already_released = call.state is CallState.DECIDED
    try:
        decisions.release_decisions(call, by=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(_ranking_url(call.id))
    db.session.commit()
    if already_released:
        flash(_("The decisions had already been released: nothing was sent again."), "info")
    else:
        flash(_("The decisions have been released: each applicant is being told by email."), "success")
    return redirect(_ranking_url(call.id))


# --- export ---------------------------------------------------------------------------------------


@bp.get("/admin/calls/<int:call_id>/ranking.<any(csv, xlsx):fmt>")
@access.staff
@fresh_login_required
def ranking_export(call_id: int, fmt: str) -> Any:
    call = access.load_or_404(Call, call_id)
    table = exports.ranking_table(call)
    response = exports.response(call, table, fmt)  # before the commit, which would expire (and reload) the call
    audit.record(current_user, "judging.ranking_exported", call, {"format": fmt, "rows": len(table.rows)})
    db.session.commit()
    return response
