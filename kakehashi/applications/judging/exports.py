"""A call's ranking with every review's detail, as CSV (UTF-8 with a BOM, for Excel in Japan) or XLSX.

One row per submitted review: the application, the judge, a column per criterion, the review's
weighted mean and its normalised value, the recommendation and comment, then the application's raw
and normalised scores and ranks. Rows follow the normalised ranking. A fixed number of queries,
whatever the size of the call.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import select

from kakehashi.accounts.models import User
from kakehashi.applications.judging import queries, services
from kakehashi.applications.judging.models import AssignmentState, JudgeAssignment, Recommendation, Score
from kakehashi.applications.judging.ranking import Result, normalised_reviews
from kakehashi.applications.models import Application, ApplicationState
from kakehashi.core.exports import spreadsheet_response
from kakehashi.core.i18n import current_locale, pick
from kakehashi.extensions import db

PLACES = 2  # as on the ranking page

# Control characters a spreadsheet cell cannot hold (openpyxl refuses them).


@dataclass
class ReviewDetail:
    """One submitted review as staff see it (never shown to applicants or other judges)."""

    assignment_id: int
    application_id: int
    judge_id: int
    judge_name: str
    judge_email: str
    recommendation: Recommendation | None
    comment: str | None
    scores: dict[int, int] = field(default_factory=dict)  # criterion id → value
    score: float | None = None  # weighted mean on the rubric's scale
    normalised: float | None = None
    fell_back: bool = False  # the judge's raw score was used (too few reviews, or no variance)


def review_details(call: Any, *, application_id: int | None = None) -> list[ReviewDetail]:
    """The submitted reviews of a call (or of one of its applications): three queries.

    Normalisation always looks at every review of the call: a judge's z-scores depend on all of
    their reviews, not only on those of one application.
    """
    reviews = queries.review_scores(call)
    weighted = {(r.application_id, r.judge_id): r.score for r in reviews}
    normalised = normalised_reviews(reviews)
    where = [JudgeAssignment.call_id == call.id, JudgeAssignment.state == AssignmentState.SUBMITTED]
    if application_id is not None:
        where.append(JudgeAssignment.application_id == application_id)
    details = [
        ReviewDetail(assignment_id, app_id, judge_id, name, email, recommendation, comment)
        for assignment_id, app_id, judge_id, name, email, recommendation, comment in db.session.execute(
            select(
                JudgeAssignment.id,
                JudgeAssignment.application_id,
                JudgeAssignment.judge_id,
                User.name,
                User.email,
                JudgeAssignment.recommendation,
                JudgeAssignment.comment,
            )
            .join(User, User.id == JudgeAssignment.judge_id)
            .where(*where)
            .order_by(JudgeAssignment.application_id, User.name, JudgeAssignment.id)
        )
    ]
    scores: dict[int, dict[int, int]] = defaultdict(dict)
    for assignment_id, criterion_id, value in db.session.execute(
        select(Score.assignment_id, Score.criterion_id, Score.value)
        .join(JudgeAssignment, JudgeAssignment.id == Score.assignment_id)
        .where(*where)
    ):
        scores[assignment_id][criterion_id] = value
    for detail in details:
        key = (detail.application_id, detail.judge_id)
        detail.scores = scores.get(detail.assignment_id, {})
        detail.score = weighted.get(key)
        if key in normalised:
            detail.normalised, detail.fell_back = normalised[key]
    return details


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]


def _number(value: float | None) -> float | None:
    return round(value, PLACES) if value is not None else None


def ranking_table(call: Any) -> Table:
    """The export's header row and body, in the viewer's language (a fixed number of queries)."""
    criteria = services.criteria_of(call)
    ranked: dict[int, tuple[Application, Result]] = {a.id: (a, r) for a, r in queries.ranking(call)}
    details = [d for d in review_details(call) if d.application_id in ranked]

    def order(detail: ReviewDetail) -> tuple[Any, ...]:
        result = ranked[detail.application_id][1]
        rank = result.normalised_rank
        return (rank is None, rank or 0, detail.application_id, detail.judge_name, detail.assignment_id)

    # Translated once, not once per row (an export may have thousands).
    yes_no = {True: _("Yes"), False: _("No")}
    recommendations = {r: r.label for r in Recommendation} | {None: ""}
    states = {state: state.label for state in ApplicationState} | {None: ""}
    locale = current_locale()
    headers = [
        _("Application ID"),
        _("Startup (Japanese)"),
        _("Startup (English)"),
        _("Judge"),
        _("Judge's email"),
        *(pick(criterion.name, locale) for criterion in criteria),
        _("Review score (weighted mean)"),
        _("Review score (normalised)"),
        _("Judge's raw score used (not normalised)"),
        _("Recommendation"),
        _("Comment"),
        _("Raw score"),
        _("Normalised score"),
        _("Rank (raw)"),
        _("Rank (normalised)"),
        _("Spread"),
        _("High disagreement"),
        _("Decision"),
        _("Status"),
    ]
    rows = []
    for detail in sorted(details, key=order):
        application, result = ranked[detail.application_id]
        rows.append(
            [
                application.id,
                application.startup.name.get("ja", ""),
                application.startup.name.get("en", ""),
                detail.judge_name,
                detail.judge_email,
                *(detail.scores.get(criterion.id) for criterion in criteria),
                _number(detail.score),
                _number(detail.normalised),
                yes_no[detail.fell_back],
                recommendations[detail.recommendation],
                detail.comment or "",
                _number(result.raw),
                _number(result.normalised),
                result.raw_rank,
                result.normalised_rank,
                _number(result.spread),
                yes_no[result.disagreement],
                states[application.decision],
                states[application.state],
            ]
        )
    return Table(headers, rows)


def response(call: Any, table: Table, fmt: str) -> Response:
    return spreadsheet_response(
        table.headers, table.rows, fmt, stem=f"call-{call.id}-ranking", sheet_title=pick(call.title)
    )
