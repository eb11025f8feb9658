"""Read paths for call and application lists: a fixed number of queries whatever the row count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from kakehashi.accounts.models import Startup, StartupMember
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Vertical
from kakehashi.core import cache
from kakehashi.core.pagination import page_number
from kakehashi.core.timezones import tokyo_day_bounds
from kakehashi.extensions import db


@dataclass(frozen=True)
class PublicVertical:
    name: dict[str, str]


@dataclass(frozen=True)
class PublicCall:
    """What the public call lists show of a call (a plain value: it is shared between requests)."""

    id: int
    title: dict[str, str]
    summary: dict[str, str]
    opens_at: datetime
    closes_at: datetime
    state: CallState
    vertical: PublicVertical

    def is_open_at(self, moment: datetime) -> bool:
        return Call.is_open_at(self, moment)  # type: ignore[arg-type]


# The home page and the calls page show the open calls on every request: the calls in the "open" state
# (staff open a handful a year) are read once per change to calls or sectors (core.cache), and the
# clock picks those still open from them on each request.
cache.watch("public_calls", Call, Vertical)

_OPEN_CALLS = (
    select(Call.id, Call.title, Call.summary, Call.opens_at, Call.closes_at, Call.state, Vertical.id, Vertical.name)
    .join(Vertical, Vertical.id == Call.vertical_id)
    .where(Call.state == CallState.OPEN)
    .order_by(Call.closes_at, Call.id)
)


def _open_calls() -> tuple[PublicCall, ...]:
    verticals: dict[int, PublicVertical] = {}
    return tuple(
        PublicCall(
            call_id, title, summary, opens_at, closes_at, state, verticals.setdefault(vertical_id, PublicVertical(name))
        )
        for call_id, title, summary, opens_at, closes_at, state, vertical_id, name in db.session.execute(_OPEN_CALLS)
    )


def public_calls(now: datetime) -> list[PublicCall]:
    """Open and upcoming calls, soonest deadline first."""
    return [call for call in cache.cached("public_calls", "open", _open_calls) if call.closes_at > now]


def staff_calls() -> list[tuple[Call, int, int]]:
    """Every call with its submitted and total application counts (one query)."""
    submitted = func.count(Application.id).filter(Application.state.not_in(NOT_COUNTED))
    rows = db.session.execute(
        select(Call, submitted, func.count(Application.id))
        .outerjoin(Application, Application.call_id == Call.id)
        .options(joinedload(Call.vertical))
        .group_by(Call.id)
        .order_by(Call.opens_at.desc(), Call.id.desc())
    ).all()
    return [(call, sub, total) for call, sub, total in rows]


# Applications that count towards a call's target: submitted, not drafts or withdrawn ones.
NOT_COUNTED = (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)


def state_counts(call: Call) -> dict[ApplicationState, int]:
    rows = db.session.execute(
        select(Application.state, func.count(Application.id))
        .where(Application.call_id == call.id)
        .group_by(Application.state)
    ).all()
    counts = {state: 0 for state in ApplicationState}
    counts.update(dict(rows))
    return counts


def counts_and_countries(call: Call) -> tuple[dict[ApplicationState, int], list[str]]:
    """:func:`state_counts` and :func:`country_codes` of a call in one query (one row per state and
    country): the staff list shows both."""
    rows = db.session.execute(
        select(Application.state, Startup.country, func.count(Application.id))
        .join(Startup, Application.startup_id == Startup.id)
        .where(Application.call_id == call.id)
        .group_by(Application.state, Startup.country)
    ).all()
    counts = {state: 0 for state in ApplicationState}
    for state, _country, n in rows:
        counts[state] += n
    return counts, sorted({country for _state, country, _n in rows})


def submitted_count(counts: dict[ApplicationState, int]) -> int:
    return sum(n for state, n in counts.items() if state not in NOT_COUNTED)


def country_codes(call: Call) -> list[str]:
    return list(
        db.session.scalars(
            select(Startup.country)
            .join(Application, Application.startup_id == Startup.id)
            .where(Application.call_id == call.id)
            .distinct()
            .order_by(Startup.country)
        )
    )


@dataclass
class ApplicationFilters:
    q: str | None = None
    status: str | None = None
    country: str | None = None
    overseas: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None

    @classmethod
    def from_form(cls, form: Any) -> ApplicationFilters:
        if not form.validate():
            return cls()
        return cls(
            q=(form.q.data or "").strip() or None,
            status=form.status.data or None,
            country=form.country.data or None,
            overseas=form.overseas.data or None,
            submitted_from=form.submitted_from.data,
            submitted_to=form.submitted_to.data,
        )


def _filtered_applications(call: Call, filters: ApplicationFilters, *columns: Any) -> Select[Any]:
    """A call's applications joined to their startup, filtered, newest submission first (the
    ``Application`` entities, or plain rows of ``columns``)."""
    query = (
        select(*(columns or (Application,)))
        .select_from(Application)
        .join(Startup, Application.startup_id == Startup.id)
        .where(Application.call_id == call.id)
    )
    if filters.q:
        query = query.where(Startup.search_name.contains(filters.q.lower(), autoescape=True))
    if filters.status in set(ApplicationState):
        query = query.where(Application.state == ApplicationState(filters.status))
    if filters.country:
        query = query.where(Startup.country == filters.country.upper())
    if filters.overseas in ("yes", "no"):
        query = query.where(Startup.is_overseas.is_(filters.overseas == "yes"))
    if filters.submitted_from:
        query = query.where(Application.submitted_at >= tokyo_day_bounds(filters.submitted_from)[0])
    if filters.submitted_to:
        query = query.where(Application.submitted_at < tokyo_day_bounds(filters.submitted_to)[1])
    return query.order_by(Application.submitted_at.desc().nulls_last(), Application.id.desc())


def call_applications(call: Call, filters: ApplicationFilters) -> Select[Any]:
    """The staff list of a call's applications, filtered, with startup and deck loaded in the same query
    (the export's rows: every column).

    The startup comes from the join the filters use (``contains_eager``), not from a second join of the
    same table.
    """
    return _filtered_applications(call, filters).options(
        contains_eager(Application.startup), joinedload(Application.deck)
    )


# The columns the staff list shows, as plain rows (no ORM objects to build for a page of 50).
_LIST_COLUMNS = (
    Application.id,
    Application.state,
    Application.submitted_at,
    Application.funding_raised_jpy,
    Application.deck_id,
    Startup.name,
    Startup.country,
    Startup.is_overseas,
)


class RowPagination(Pagination):
    """A page of plain rows (``Row`` objects) of a ``select()`` of columns, and their count.

    Flask-SQLAlchemy's ``SelectPagination`` returns the first column of each row only.
    ``total`` may be given when the caller already knows it (no count query then).
    """

    def _query_items(self) -> list[Any]:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(db.session.execute(query))

    def _query_count(self) -> int:
        if self._query_args.get("total") is not None:
            return int(self._query_args["total"])
        sub = self._query_args["select"].order_by(None).subquery()
        return int(db.session.execute(select(func.count()).select_from(sub)).scalar_one())


def call_application_page(
    call: Call, filters: ApplicationFilters, counts: dict[ApplicationState, int] | None = None
) -> Pagination:
    """The requested page of the staff list of a call's applications: plain rows of the columns it shows
    (``id, state, submitted_at, funding_raised_jpy, deck_id, name, country, is_overseas``).

    Unfiltered, the total is the sum of the call's ``counts`` by state, when given (no count query).
    """
    total = sum(counts.values()) if counts is not None and filters == ApplicationFilters() else None
    return RowPagination(
        page=page_number(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=200,
        error_out=False,
        select=_filtered_applications(call, filters, *_LIST_COLUMNS),
        total=total,
    )


def my_applications(user: Any) -> list[Application]:
    """Applications of every startup the user belongs to, newest first."""
    return list(
        db.session.scalars(
            select(Application)
            .join(StartupMember, StartupMember.startup_id == Application.startup_id)
            .where(StartupMember.user_id == user.id)
            .options(joinedload(Application.call).joinedload(Call.vertical), joinedload(Application.startup))
            .order_by(Application.created_at.desc(), Application.id.desc())
        ).unique()
    )


def startups_of(user: Any) -> list[Startup]:
    return list(
        db.session.scalars(
            select(Startup)
            .join(StartupMember, StartupMember.startup_id == Startup.id)
            .where(StartupMember.user_id == user.id)
            .order_by(Startup.id)
        )
    )
