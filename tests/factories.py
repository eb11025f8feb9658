"""factory_boy factories: one per model, committing through the test's session."""

from __future__ import annotations

from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from kakehashi.accounts import services
from kakehashi.accounts.models import Invitation, InvitedRole, MemberRole, Startup, StartupMember, User
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
