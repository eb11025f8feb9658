"""Demo partner-hub exchange: the ward's home hub, four partner hubs abroad, bookings in every state, joint events.

- **Hubs**: the Kakehashi Incubation Centre (home, yen) and partner incubators in Berlin (EUR), Singapore (SGD),
  San Francisco (USD) and Bangalore (INR), each with its agreement dates, desks, daily rate and refund rule.
  The demo partner-hub staff user (``hub@demo.kakehashi.jp``) is on the Berlin hub's staff.
- **Bookings**: outbound stays of demo cohort startups (requested by programme staff on their behalf, since the
  demo cohort startups have no members) and inbound stays of partners' startups at the home hub, in every
  state — requested, approved and awaiting a bank transfer, confirmed (paid, or fee waived), completed,
  declined and cancelled (refunded). Payments are manual (bank transfer): the demo has no Stripe keys.
- **Joint events**: past events with the partner hubs abroad in each of the last six fiscal years and this
  one so far — four in two years, fewer in the others — so the KPI "joint events with overseas partner hubs"
  shows years met, behind and on track.

Dates are relative to the day the demo is loaded; nothing but requests and stays to come is dated after today.
Created once (keyed on a home hub existing). The names are invented demo data, not interface strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import Startup, User
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.cohorts.models import CohortMember, MemberStatus
from kakehashi.core import audit
from kakehashi.core.db import utcnow
from kakehashi.core.timezones import TOKYO
from kakehashi.extensions import db
from kakehashi.partners.models import (
    BookingState,
    Direction,
    EventKind,
    ExchangeBooking,
    HubMember,
    PartnerEvent,
    PartnerHub,
)
from kakehashi.partners.services import booking_fee
from kakehashi.payments.models import Payment, PaymentMethod, PaymentState

DEMO_HUB_STAFF = "hub@demo.kakehashi.jp"
DEMO_STAFF = "staff@demo.kakehashi.jp"

HOME = "home"
HUBS = {
    HOME: {
        "name": {"ja": "かけはしインキュベーションセンター", "en": "Kakehashi Incubation Centre"},
        "city": {"ja": "東京", "en": "Tokyo"},
        "description": {
            "ja": "区が運営するインキュベーション施設。海外パートナー拠点のスタートアップを受け入れています。",
            "en": "The ward's own incubation centre, hosting startups sent by our partner hubs abroad.",
        },
        "country": "JP",
        "timezone": "Asia/Tokyo",
        "website": "https://incubation.kakehashi.example",
        "capacity_desks": 20,
        "daily_rate": "2500",
        "currency": "JPY",
        "refund_days_before": 7,
        "payment_instructions": {
            "ja": "かけはし信用金庫 本店営業部 普通預金 1234567 口座名義：カケハシクインキュベーション",
            "en": "Kakehashi Shinkin Bank, head office, ordinary account 1234567, "
            "account name: Kakehashi Ku Incubation (SWIFT: KKHSJPJT)",
        },
        "is_home": True,
        "agreement": None,
    },
    "berlin": {
        "name": {"ja": "シュプレーフォージ・ベルリン", "en": "Spreeforge Berlin"},
        "city": {"ja": "ベルリン", "en": "Berlin"},
        "description": {
            "ja": "クロイツベルクの運河沿いにあるハードウェア・モビリティ系インキュベーター。",
            "en": "A hardware and mobility incubator on the canal in Kreuzberg.",
        },
        "country": "DE",
        "timezone": "Europe/Berlin",
        "website": "https://spreeforge.example",
        "capacity_desks": 12,
        "daily_rate": "28.00",
        "currency": "EUR",
        "refund_days_before": 14,
        "payment_instructions": {
            "en": "Spreeforge GmbH, IBAN DE02 1001 0010 0006 8201 01, BIC PBNKDEFF. Please quote the reference.",
            "ja": "Spreeforge GmbH（IBAN DE02 1001 0010 0006 8201 01、BIC PBNKDEFF）へお振込みください。"
            "参照番号を必ずご記入ください。",
        },
        "agreement": (-6, 2),  # fiscal years before/after the current one
    },
    "singapore": {
        "name": {"ja": "ライオンシティ・ローンチパッド", "en": "Lion City Launchpad"},
        "city": {"ja": "シンガポール", "en": "Singapore"},
        "description": {
            "ja": "ワンノース地区のフィンテック・ディープテック拠点。",
            "en": "A fintech and deep-tech hub in one-north.",
        },
        "country": "SG",
        "timezone": "Asia/Singapore",
        "website": "https://lioncitylaunchpad.example",
        "capacity_desks": 8,
        "daily_rate": "45.00",
        "currency": "SGD",
        "refund_days_before": 10,
        "payment_instructions": {
            "en": "Lion City Launchpad Pte. Ltd., account 072-123456-7, SWIFT LCLPSGSG.",
            "ja": "Lion City Launchpad Pte. Ltd.（口座 072-123456-7、SWIFT LCLPSGSG）へお振込みください。",
        },
        "agreement": (-5, 1),
    },
    "san_francisco": {
        "name": {"ja": "ミッションベイ・ファウンドリー", "en": "Mission Bay Foundry"},
        "city": {"ja": "サンフランシスコ", "en": "San Francisco"},
        "description": {
            "ja": "ライフサイエンスとAIのスタートアップが集まるミッションベイのコワーキング。",
            "en": "A Mission Bay co-working space for life-science and AI startups.",
        },
        "country": "US",
        "timezone": "America/Los_Angeles",
        "website": "https://missionbayfoundry.example",
        "capacity_desks": 10,
        "daily_rate": "60.00",
        "currency": "USD",
        "refund_days_before": 21,
        "payment_instructions": {
            "en": "Mission Bay Foundry LLC, ABA 121000358, account 000123456789.",
            "ja": "Mission Bay Foundry LLC（ABA 121000358、口座 000123456789）へお振込みください。",
        },
        "agreement": (-4, 1),
    },
    "bangalore": {
        "name": {"ja": "コラマンガラ・スタートアップ・コモンズ", "en": "Koramangala Startup Commons"},
        "city": {"ja": "ベンガルール", "en": "Bengaluru"},
        "description": {
            "ja": "SaaS・アグリテック系スタートアップのためのインキュベーター。",
            "en": "An incubator for SaaS and agritech startups.",
        },
        "country": "IN",
        "timezone": "Asia/Kolkata",
        "website": "https://koramangalacommons.example",
        "capacity_desks": 15,
        "daily_rate": "1200.00",
        "currency": "INR",
        "refund_days_before": 7,
        "payment_instructions": {
            "en": "Koramangala Startup Commons Pvt. Ltd., IFSC KSCB0000123, account 50100123456789.",
            "ja": "Koramangala Startup Commons Pvt. Ltd.（IFSC KSCB0000123、口座 50100123456789）へお振込みください。",
        },
        "agreement": (-2, 1),
    },
}

# Partners' startups that come to the home hub (inbound), by requesting hub.
INBOUND_STARTUPS = {
    "kreuzberg": ("berlin", {"en": "Kreuzberg Kinetics GmbH"}, "DE"),
    "havel": ("berlin", {"en": "Havel Health GmbH"}, "DE"),
    "tanjong": ("singapore", {"en": "Tanjong Ledger Pte. Ltd."}, "SG"),
    "presidio": ("san_francisco", {"en": "Presidio Bio, Inc."}, "US"),
}


@dataclass(frozen=True)
class BookingSpec:
    hub: str
    startup: str | int  # an inbound startup's key, or the index of a demo cohort startup (outbound)
    starts_in: int  # days from today
    days: int
    desks: int
    state: BookingState
    purpose: str
    waived: bool = False
    paid: bool = True  # confirmed/completed/cancelled: was the fee paid (and, if cancelled, refunded)?
    note: str | None = None


S = BookingState
BOOKINGS = [
    # Outbound: demo cohort startups at partner hubs abroad.
    BookingSpec("berlin", 0, 12, 5, 1, S.REQUESTED, "Meetings with German insurers about a pilot."),
    BookingSpec("singapore", 1, 30, 10, 2, S.REQUESTED, "Regulatory sandbox application with MAS."),
    BookingSpec("berlin", 2, 21, 7, 2, S.APPROVED, "Test rides with a Berlin fleet operator.", note="Welcome!"),
    BookingSpec("san_francisco", 3, 45, 14, 1, S.CONFIRMED, "Investor meetings in the Bay Area."),
    BookingSpec("bangalore", 4, 18, 10, 3, S.CONFIRMED, "Hiring engineers for the India office.", waived=True),
    BookingSpec("berlin", 5, -60, 5, 1, S.COMPLETED, "Demo day of the Berlin autumn programme."),
    BookingSpec("singapore", 0, -120, 10, 2, S.COMPLETED, "Customer visits to regional banks."),
    BookingSpec(
        "san_francisco",
        6,
        40,
        5,
        4,
        S.DECLINED,
        "Team offsite.",
        note="We cannot host four desks that week: our demo day takes the whole floor. Any other week works.",
    ),
    BookingSpec("berlin", 7, 9, 4, 1, S.CANCELLED, "Trade fair visit (postponed).", paid=True),
    BookingSpec("singapore", 8, 25, 3, 1, S.CANCELLED, "Conference (cancelled by the organiser).", paid=False),
    # Inbound: partners' startups at the home hub.
    BookingSpec(HOME, "kreuzberg", 14, 20, 2, S.REQUESTED, "Meeting Japanese carmakers' R&D teams."),
    BookingSpec(HOME, "havel", 28, 10, 1, S.APPROVED, "Clinical partner meetings in Tokyo."),
    BookingSpec(HOME, "tanjong", 7, 30, 2, S.CONFIRMED, "Setting up the Japan entity.", waived=True),
    BookingSpec(HOME, "presidio", -90, 14, 1, S.COMPLETED, "Pharma partnering week."),
]

# Joint events per fiscal year, oldest first (offsets from the current fiscal year): the policy's 4 met in
# two past years, fewer in the others, and this year on track so far.
EVENTS = [
    (-6, 7, 15, EventKind.WEBINAR, ("berlin",), 85, ("ドイツ市場参入ウェビナー", "Entering Germany (webinar)")),
    (-6, 11, 20, EventKind.PITCH, ("berlin",), 60, ("ベルリン共同ピッチ", "Berlin joint pitch night")),
    (-5, 9, 10, EventKind.MEETUP, ("singapore",), 45, ("シンガポール交流会", "Singapore founders' meet-up")),
    (-4, 6, 18, EventKind.PITCH, ("singapore", "berlin"), 120, ("アジア・欧州共同ピッチ", "Asia–Europe joint pitch")),
    (-4, 10, 5, EventKind.WEBINAR, ("san_francisco",), 150, ("米国資金調達ウェビナー", "Fundraising in the US")),
    (-4, 2, 22, EventKind.DEMO_DAY, ("berlin", "singapore"), 200, ("国際デモデイ", "International demo day")),
    (-3, 8, 8, EventKind.MEETUP, ("san_francisco",), 70, ("ベイエリア交流会", "Bay Area meet-up")),
    (-3, 1, 25, EventKind.PITCH, ("singapore",), 55, ("フィンテック共同ピッチ", "FinTech joint pitch")),
    (-2, 5, 28, EventKind.WEBINAR, ("bangalore",), 130, ("インド市場ウェビナー", "The Indian market (webinar)")),
    (-2, 11, 12, EventKind.DEMO_DAY, ("berlin", "san_francisco"), 240, ("国際デモデイ", "International demo day")),
    (-2, 7, 9, EventKind.MEETUP, ("singapore",), 50, ("シンガポール交流会", "Singapore founders' meet-up")),
    (-2, 3, 3, EventKind.PITCH, ("berlin",), 75, ("ベルリン共同ピッチ", "Berlin joint pitch night")),
    (-1, 9, 17, EventKind.PITCH, ("bangalore",), 65, ("ベンガルール共同ピッチ", "Bengaluru joint pitch")),
    # This year so far (events after the day the demo is loaded are skipped).
    (0, 4, 20, EventKind.WEBINAR, ("berlin",), 90, ("欧州展開ウェビナー", "Expanding to Europe (webinar)")),
    (0, 6, 12, EventKind.MEETUP, ("singapore", "bangalore"), 80, ("アジア交流会", "Asia founders' meet-up")),
    (0, 10, 2, EventKind.PITCH, ("san_francisco",), 110, ("シリコンバレー共同ピッチ", "Silicon Valley joint pitch")),
]

REPORT = {
    "ja": "参加者アンケートの満足度は高く、{n}名が参加しました。次回は個別面談の時間を増やします。",
    "en": "{n} people took part and the feedback was good. Next time we will leave more time for one-to-one meetings.",
}


def partners_loaded() -> bool:
    return db.session.scalar(select(PartnerHub.id).where(PartnerHub.is_home.is_(True))) is not None


def load_partners(today: date | None = None) -> bool:
    """The hubs, hub staff, bookings, payments and joint events, unless a home hub exists."""
    if partners_loaded():
        return False
    _Loader(today or utcnow().astimezone(TOKYO).date()).load()
    db.session.commit()
    return True


load = load_partners


class _Loader:
    def __init__(self, today: date) -> None:
        self.today = today
        self.current = fiscal_year_of(today)
        self.staff = accounts.find_user_by_email(DEMO_STAFF) or db.session.scalar(
            select(User).where(User.is_staff.is_(True)).order_by(User.id)
        )
        self.hub_user = accounts.find_user_by_email(DEMO_HUB_STAFF)
        self.hubs: dict[str, PartnerHub] = {}
        self.inbound: dict[str, tuple[Startup, PartnerHub]] = {}

    def load(self) -> None:
        for key, spec in HUBS.items():
            self.hubs[key] = self.hub(spec)
        db.session.flush()
        if self.hub_user is not None:
            db.session.add(HubMember(hub_id=self.hubs["berlin"].id, user_id=self.hub_user.id))
        for key, (hub_key, name, country) in INBOUND_STARTUPS.items():
            startup = Startup(name=name, country=country, is_overseas=True, website=None)
            db.session.add(startup)
            self.inbound[key] = (startup, self.hubs[hub_key])
        db.session.flush()
        cohort_startups = self.cohort_startups()
        for spec in BOOKINGS:
            self.booking(spec, cohort_startups)
        for spec in EVENTS:
            self.event(*spec)
        db.session.flush()

    def hub(self, spec: dict) -> PartnerHub:
        agreement = spec["agreement"]
        starts = ends = None
        if agreement is not None:
            starts = fiscal_year_bounds(self.current + agreement[0])[0]
            ends = fiscal_year_bounds(self.current + agreement[1])[1]
        hub = PartnerHub(
            name=spec["name"],
            description=spec["description"],
            city=spec["city"],
            country=spec["country"],
            timezone=spec["timezone"],
            website=spec["website"],
            agreement_starts_on=starts,
            agreement_ends_on=ends,
            capacity_desks=spec["capacity_desks"],
            daily_rate=Decimal(spec["daily_rate"]),
            currency=spec["currency"],
            refund_days_before=spec["refund_days_before"],
            payment_instructions=spec["payment_instructions"],
            is_home=spec.get("is_home", False),
            is_active=True,
            feed_token=None,
        )
        db.session.add(hub)
        db.session.flush()
        hub.feed_token = f"demo-feed-{hub.id}-{spec['currency'].lower()}-kakehashi-calendar"
        return hub

    def cohort_startups(self) -> list[Startup]:
        """Startups of the demo cohorts (active members of the decided call's cohort first, then graduates)."""
        rows = db.session.execute(
            select(Startup, CohortMember.status)
            .join(CohortMember, CohortMember.startup_id == Startup.id)
            .where(CohortMember.status.in_((MemberStatus.ACTIVE, MemberStatus.GRADUATED)))
            .order_by(CohortMember.status, CohortMember.id)
        ).all()
        seen: dict[int, Startup] = {}
        for startup, _status in rows:
            seen.setdefault(startup.id, startup)
        return list(seen.values())

    def at(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=TOKYO).astimezone(UTC)

    def booking(self, spec: BookingSpec, cohort_startups: list[Startup]) -> None:
        if isinstance(spec.startup, int):
            if not cohort_startups:
                return
            startup = cohort_startups[spec.startup % len(cohort_startups)]
            hub, requesting_hub, direction, requester = self.hubs[spec.hub], None, Direction.OUTBOUND, self.staff
        else:
            startup, requesting_hub = self.inbound[spec.startup]
            hub, direction = self.hubs[spec.hub], Direction.INBOUND
            requester = self.hub_user if requesting_hub is self.hubs["berlin"] else self.staff
        starts_on = self.today + timedelta(days=spec.starts_in)
        ends_on = starts_on + timedelta(days=spec.days - 1)
        # Requested some weeks before the stay (or a few days ago for stays still to come).
        requested_on = min(starts_on - timedelta(days=35), self.today - timedelta(days=3))
        booking = ExchangeBooking(
            hub_id=hub.id,
            direction=direction,
            startup_id=startup.id,
            requesting_hub_id=requesting_hub.id if requesting_hub else None,
            requested_by_id=requester.id if requester else None,
            starts_on=starts_on,
            ends_on=ends_on,
            desks=spec.desks,
            purpose=spec.purpose,
            state=BookingState.REQUESTED,
            fee=booking_fee(hub, starts_on, ends_on, spec.desks),
            currency=hub.currency,
            fee_waived=spec.waived,
            created_at=self.at(requested_on),
        )
        db.session.add(booking)
        db.session.flush()
        event = audit.record(requester, "booking.requested", booking, {"hub": hub.id, "direction": direction.value})
        event.at = self.at(requested_on)
        decider = self.hub_user if hub is self.hubs["berlin"] else self.staff
        decided_on = requested_on + timedelta(days=2)
        if spec.waived:
            event = audit.record(self.staff, "booking.fee_waived", booking, {"fee": booking.fee})
            event.at = self.at(decided_on, 9)
        path = {
            S.REQUESTED: [],
            S.APPROVED: [S.APPROVED],
            S.CONFIRMED: [S.CONFIRMED] if spec.waived else [S.APPROVED, S.CONFIRMED],
            S.COMPLETED: [S.APPROVED, S.CONFIRMED, S.COMPLETED],
            S.DECLINED: [S.DECLINED],
            S.CANCELLED: [S.APPROVED, S.CONFIRMED, S.CANCELLED] if spec.paid else [S.APPROVED, S.CANCELLED],
        }[spec.state]
        payment = None
        day = decided_on
        for step in path:
            by = decider
            if step in (S.APPROVED, S.DECLINED):
                booking.decided_by_id = decider.id if decider else None
                booking.decided_at = self.at(day, 11)
                booking.decision_note = spec.note
            elif step is S.COMPLETED:
                by, day = None, ends_on + timedelta(days=1)
            elif step is S.CANCELLED:
                by = requester
                booking.cancelled_by_id = requester.id if requester else None
                booking.cancelled_at = self.at(day, 15)
            booking.transition_to(step, by=by)
            self.date_last_audit(booking, self.at(day, 11))
            if step is S.APPROVED and not spec.waived:
                payment = self.payment(booking, day)
            elif step is S.CONFIRMED and payment is not None:
                payment.transition_to(PaymentState.PAID, by=self.staff, kind="manual.received")
                payment.paid_at = self.at(day, 16)
            elif step is S.CANCELLED and payment is not None and payment.state is PaymentState.PAID:
                payment.refunded_amount = payment.amount
                payment.transition_to(
                    PaymentState.REFUNDED,
                    by=requester,
                    kind="manual.refund_due",
                    data={"amount": str(payment.amount), "currency": payment.currency},
                )
            day = min(day + timedelta(days=4), max(self.today, decided_on))
        db.session.flush()

    def date_last_audit(self, booking: ExchangeBooking, moment: datetime) -> None:
        for obj in db.session.new:
            if getattr(obj, "action", None) == "booking.state" and obj.object_id == booking.id and obj.at is None:
                obj.at = moment

    def payment(self, booking: ExchangeBooking, day: date) -> Payment:
        payment = Payment(
            booking_id=booking.id,
            method=PaymentMethod.MANUAL,
            state=PaymentState.PENDING,
            amount=booking.amount_due,
            currency=booking.currency,
            refunded_amount=Decimal(0),
            created_at=self.at(day, 11),
        )
        db.session.add(payment)
        db.session.flush()
        return payment

    def event(
        self,
        offset: int,
        month: int,
        day_of_month: int,
        kind: EventKind,
        hubs: tuple[str, ...],
        participants: int,
        title: tuple[str, str],
    ) -> None:
        fy = self.current + offset
        held_on = date(fy if month >= 4 else fy + 1, month, day_of_month)
        if held_on > self.today:
            return
        event = PartnerEvent(
            kind=kind,
            title={"ja": title[0], "en": title[1]},
            held_on=held_on,
            participants=participants,
            report={code: text.format(n=participants) for code, text in REPORT.items()},
            created_by_id=self.staff.id if self.staff else None,
        )
        event.hubs = [self.hubs[key] for key in hubs]
        db.session.add(event)
