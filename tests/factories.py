"""factory_boy factories: one per model, committing through the test's session."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from kakehashi.accounts import services
from kakehashi.accounts.models import Invitation, InvitedRole, MemberRole, Startup, StartupMember, User
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Criterion, Vertical
from kakehashi.core.db import utcnow
from kakehashi.extensions import db

PASSWORD = "correct horse battery staple"


@cache
def _password_hash() -> str:
    return services._hasher().hash(PASSWORD)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Sequence(lambda n: f"User {n}")
    password_hash = factory.LazyFunction(_password_hash)
    locale = "en"
    is_staff = False
    active = True
    email_verified_at = factory.LazyFunction(utcnow)
    session_version = 1


class StaffFactory(UserFactory):
    is_staff = True


class InvitedUserFactory(UserFactory):
    password_hash = None
    email_verified_at = None
    invitation = factory.RelatedFactory(
        "tests.factories.InvitationFactory", factory_related_name="user", role=InvitedRole.JUDGE
    )


class InvitationFactory(BaseFactory):
    class Meta:
        model = Invitation

    user = factory.SubFactory(UserFactory)
    role = InvitedRole.JUDGE


class StartupFactory(BaseFactory):
    class Meta:
        model = Startup

    name = factory.Sequence(lambda n: {"ja": f"スタートアップ{n}株式会社", "en": f"Startup {n} Inc."})
    country = "JP"
    website = factory.Sequence(lambda n: f"https://startup{n}.example")
    is_overseas = False


class StartupMemberFactory(BaseFactory):
    class Meta:
        model = StartupMember

    startup = factory.SubFactory(StartupFactory)
    user = factory.SubFactory(UserFactory)
    role = MemberRole.FOUNDER


# --- calls and applications ------------------------------------------------------------------


def _now():
    return utcnow()


class VerticalFactory(BaseFactory):
    class Meta:
        model = Vertical

    name = factory.Sequence(lambda n: {"ja": f"分野{n}", "en": f"Vertical {n}"})
    active = True


class CallFactory(BaseFactory):
    """An open call: opened yesterday, closes in two weeks."""

    class Meta:
        model = Call

    vertical = factory.SubFactory(VerticalFactory)
    title = factory.Sequence(lambda n: {"ja": f"アクセラレーター{n}期", "en": f"Accelerator batch {n}"})
    summary = {"ja": "区のアクセラレーター", "en": "The ward's accelerator"}
    opens_at = factory.LazyFunction(lambda: _now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: _now() + timedelta(days=14))
    state = CallState.OPEN
    seats = 10
    target_applications = 100
    judges_per_application = 3
    deck_max_mb = 20
    blind_fields = factory.LazyFunction(list)


class CriterionFactory(BaseFactory):
    class Meta:
        model = Criterion

    call = factory.SubFactory(CallFactory)
    position = factory.Sequence(int)
    name = factory.Sequence(lambda n: {"ja": f"基準{n}", "en": f"Criterion {n}"})
    weight = Decimal("1")
    scale_min = 1
    scale_max = 5


class ApplicationFactory(BaseFactory):
    """A complete draft (everything but the deck) of a startup with one founder."""

    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory)
    startup = factory.SubFactory(StartupFactory)
    state = ApplicationState.DRAFT
    company_summary = "We make payments simple."
    founders = "Hanako Yamada (CEO)"
    team_size = 4
    problem = "Payments are slow."
    solution = "Instant settlement."
    market = "SMEs in Japan."
    traction = "20 pilot customers."
    funding_raised_jpy = 50_000_000
    why_programme = "To reach Asia."


def member_of(startup, **kwargs):
    """A user who belongs to ``startup``."""
    return StartupMemberFactory(startup=startup, **kwargs).user


def pdf_bytes(pages: int = 1) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attach_deck(application, filename: str = "deck.pdf", data: bytes | None = None):
    """Store a real PDF through the storage service and make it the application's deck."""
    import io

    from werkzeug.datastructures import FileStorage

    from kakehashi.core.storage import store_upload

    stored = store_upload(
        FileStorage(io.BytesIO(data or pdf_bytes()), filename=filename), purpose="pitch_deck", by=None
    )
    application.deck = stored
    db.session.commit()
    return stored


# --- cohorts and trackers ---------------------------------------------------------------------

from datetime import date  # noqa: E402

from kakehashi.cohorts.models import (  # noqa: E402
    AnnualReport,
    Cohort,
    CohortMember,
    FundingRound,
    MemberStatus,
    RoundStage,
    ValuationBasis,
    ValuationMark,
    Verification,
)


class CohortFactory(BaseFactory):
    """A cohort added by hand (no call), programme April 2024 – March 2025."""

    class Meta:
        model = Cohort

    call = None
    name = factory.Sequence(lambda n: {"ja": f"第{n}期", "en": f"Cohort {n}"})
    starts_on = date(2024, 4, 1)
    ends_on = date(2025, 3, 31)


class CohortMemberFactory(BaseFactory):
    class Meta:
        model = CohortMember

    cohort = factory.SubFactory(CohortFactory)
    startup = factory.SubFactory(StartupFactory)
    status = MemberStatus.ACTIVE


class FundingRoundFactory(BaseFactory):
    """A reported seed round, ¥100,000,000 unless money is given; the JPY amount comes from ``set_money``."""

    class Meta:
        model = FundingRound

    startup = factory.SubFactory(StartupFactory)
    announced_on = date(2025, 6, 1)
    stage = RoundStage.SEED
    status = Verification.REPORTED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        money = {
            "currency": kwargs.pop("currency", "JPY"),
            "amount": Decimal(kwargs.pop("amount", "100000000")),
            "fx_rate_to_jpy": Decimal(kwargs.pop("fx_rate_to_jpy", "1")),
            "pre_money": kwargs.pop("pre_money", None),
            "post_money": kwargs.pop("post_money", None),
        }
        funding_round = model_class(*args, **kwargs)
        funding_round.set_money(**money)
        db.session.add(funding_round)
        db.session.commit()
        return funding_round


class ValuationMarkFactory(BaseFactory):
    class Meta:
        model = ValuationMark

    startup = factory.SubFactory(StartupFactory)
    as_of = date(2025, 6, 1)
    valuation_jpy = 1_000_000_000
    basis = ValuationBasis.STAFF_ESTIMATE


class AnnualReportFactory(BaseFactory):
    class Meta:
        model = AnnualReport

    startup = factory.SubFactory(StartupFactory)
    fiscal_year = 2024
    revenue_jpy = 100_000_000
    overseas_revenue_jpy = 20_000_000
    employees = 10
    status = Verification.REPORTED
