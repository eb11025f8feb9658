"""Registration, email verification, sign-in/out, password reset, invitations, profile and sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from kakehashi.accounts import services
from kakehashi.accounts.models import Invitation, InvitedRole, User
from kakehashi.core.audit import AuditEvent
from kakehashi.core.db import utcnow
from kakehashi.extensions import db
from tests.factories import PASSWORD, InvitedUserFactory, StaffFactory, UserFactory

GOOD_PASSWORD = "a sturdy passphrase 2026"


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def link_in(email, path_prefix: str) -> str:
    match = re.search(r"http://kakehashi\.test(" + re.escape(path_prefix) + r"[^\s]+)", email.body_text)
    assert match, email.body_text
    return match.group(1)


def signed_in_as(client) -> str | None:
    """The name in the navigation bar, i.e. who the site thinks you are."""
    page = client.get("/account")
    if page.status_code != 200:
        return None
    match = re.search(r'name="name" required type="text" value="([^"]*)"', page.text) or re.search(
        r'id="name"[^>]*value="([^"]*)"', page.text
    )
    return match.group(1) if match else "?"


# --- registration -----------------------------------------------------------------------------


def register(client, **overrides):
    data = {
        "name": "Kenji Sato",
        "email": "Kenji@Example.org",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "locale": "ja",
    }
    data.update(overrides)
    return client.post("/register?lang=en", data=data)


def test_registration_creates_an_account_signs_in_and_sends_a_verification_link(client, outbox):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "kenji@example.org"
    assert user.locale == "ja"
    assert user.email_verified is False
    assert signed_in_as(client) == "Kenji Sato"
    [email] = outbox()
    assert email.to_address == "kenji@example.org"
    assert email.locale == "ja"
    link = link_in(email, "/verify/")
    client.get(link)
    db.session.refresh(user)
    assert user.email_verified is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name."),
        ("email", "not-an-email", "Enter a valid email address"),
        ("password", "short", "Use at least 8 characters."),
        ("password", "password123", "This password is too common"),
        ("password", "kenji@example.org", "Do not use your email address"),
        ("confirm", "something else entirely", "The two passwords are not the same."),
    ],
)
def test_registration_with_bad_input_explains_and_stores_nothing(client, outbox, field, value, message):
    overrides = {field: value}
    if field == "password":
        overrides["confirm"] = value
    response = register(client, **overrides)
    assert response.status_code == 200
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert user_count() == 0
    assert outbox() == []


def test_registration_keeps_what_was_typed_when_it_fails(client):
    response = register(client, password="short", confirm="short", name="Yuki Mori")
    assert 'value="Yuki Mori"' in response.text
    assert 'value="Kenji@Example.org"' in response.text


def test_registering_an_email_that_exists_in_another_case_is_refused(client, outbox):
    UserFactory(email="kenji@example.org")
    response = register(client, email="KENJI@example.ORG")
    assert "An account with this email address already exists" in response.text
    assert user_count() == 1
    assert outbox() == []


def test_bad_input_messages_are_in_japanese_for_a_japanese_reader(client):
    response = client.post("/register?lang=ja", data={"name": "", "email": "x", "password": "", "confirm": ""})
    assert response.status_code == 200
    assert '<html lang="ja">' in response.text
    assert "お名前を入力してください" in response.text


def test_long_and_non_ascii_passwords_are_accepted_intact(client):
    password = "富士山に登る前にパスワードを長くする🗻" * 12 + " ünïcödé"
    register(client, password=password, confirm=password)
    client.post("/logout")
    assert signed_in_as(client) is None
    response = client.post("/login", data={"email": "kenji@example.org", "password": password})
    assert response.status_code == 302
    assert signed_in_as(client) == "Kenji Sato"
    client.post("/logout")
    truncated = client.post("/login", data={"email": "kenji@example.org", "password": password[:-1]})
    assert "not correct" in truncated.text


# --- signing in and out --------------------------------------------------------------------------


def test_login_with_the_right_password_signs_in_and_records_it(client):
    user = UserFactory(email="hana@example.org", name="Hana")
    response = client.post("/login", data={"email": "HANA@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == "Hana"
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.actor_id == user.id)) == "user.login"


@pytest.mark.parametrize(
    ("email", "password"),
    [("hana@example.org", "wrong password!"), ("nobody@example.org", PASSWORD), ("", PASSWORD)],
)
def test_login_with_wrong_credentials_is_refused_with_one_message(client, email, password):
    UserFactory(email="hana@example.org")
    response = client.post("/login?lang=en", data={"email": email, "password": password})
    assert response.status_code == 200
    assert signed_in_as(client) is None
    if email:
        assert "The email address or password is not correct." in response.text


def test_a_deactivated_account_cannot_sign_in(client):
    UserFactory(email="gone@example.org", active=False)
    response = client.post("/login?lang=en", data={"email": "gone@example.org", "password": PASSWORD})
    assert "not correct" in response.text
    assert signed_in_as(client) is None


def test_an_invited_account_without_a_password_cannot_sign_in(client):
    InvitedUserFactory(email="judge@example.org")
    response = client.post("/login?lang=en", data={"email": "judge@example.org", "password": ""})
    assert signed_in_as(client) is None
    assert response.status_code == 200


def test_logout_ends_the_session(client, login_as):
    login_as(UserFactory(name="Aki"))
    assert signed_in_as(client) == "Aki"
    assert client.post("/logout").status_code == 302
    assert signed_in_as(client) is None


@pytest.mark.parametrize("target", ["/admin/users", "/account?tab=1"])
def test_login_returns_to_a_same_site_page(client, target):
    UserFactory(email="hana@example.org")
    response = client.post("/login", data={"email": "hana@example.org", "password": PASSWORD, "next": target})
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%0d%0aSet-Cookie:x=y",
        "/\t/evil.example",
        " //evil.example",
    ],
)
def test_login_never_redirects_off_site(client, target):
    UserFactory(email="hana@example.org")
    response = client.post("/login", data={"email": "hana@example.org", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil" not in location or location == target.strip()


def test_a_protected_page_sends_you_to_login_and_back(client):
    UserFactory(email="hana@example.org")
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount"
    form = client.get(response.headers["Location"])
    assert 'value="/account"' in form.text
    done = client.post("/login", data={"email": "hana@example.org", "password": PASSWORD, "next": "/account"})
    assert done.headers["Location"] == "/account"


# --- password reset ------------------------------------------------------------------------------


def test_password_reset_by_emailed_link(client, outbox):
    user = UserFactory(email="hana@example.org", name="Hana")
    response = client.post("/password/forgot?lang=en", data={"email": "hana@example.org"}, follow_redirects=True)
    assert "If an account exists for hana@example.org" in response.text
    [email] = outbox()
    link = link_in(email, "/password/reset/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": "hana@example.org", "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"email": "hana@example.org", "password": GOOD_PASSWORD}).status_code == 302
    db.session.refresh(user)
    assert user.email_verified is True


def test_a_reset_link_works_only_once(client, outbox):
    UserFactory(email="hana@example.org")
    client.post("/password/forgot", data={"email": "hana@example.org"})
    link = link_in(outbox()[0], "/password/reset/")
    client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    client.post("/logout")
    again = client.post(
        link + "?lang=en",
        data={"password": "another fine passphrase", "confirm": "another fine passphrase"},
        follow_redirects=True,
    )
    assert "This link is not valid or has already been used." in again.text
    assert client.post("/login", data={"email": "hana@example.org", "password": GOOD_PASSWORD}).status_code == 302


def test_a_reset_link_expires(client, outbox):
    UserFactory(email="hana@example.org")
    client.post("/password/forgot", data={"email": "hana@example.org"})
    link = link_in(outbox()[0], "/password/reset/")
    with time_machine.travel(utcnow() + timedelta(hours=3)):
        response = client.get(link + "?lang=en", follow_redirects=True)
    assert "This link has expired" in response.text


def test_a_reset_request_for_an_unknown_address_looks_the_same_and_sends_nothing(client, outbox):
    UserFactory(email="hana@example.org")
    known = client.post("/password/forgot?lang=en", data={"email": "hana@example.org"}, follow_redirects=True)
    unknown = client.post("/password/forgot?lang=en", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("hana@example.org", "X") == unknown.text.replace("nobody@example.org", "X")
    assert [e.to_address for e in outbox()] == ["hana@example.org"]


def test_a_tampered_reset_token_is_refused(client, outbox):
    UserFactory(email="hana@example.org")
    client.post("/password/forgot", data={"email": "hana@example.org"})
    link = link_in(outbox()[0], "/password/reset/")
    response = client.get(link[:-3] + "abc?lang=en", follow_redirects=True)
    assert "This link is not valid" in response.text


def test_a_weak_new_password_is_refused_on_reset(client, outbox):
    UserFactory(email="hana@example.org")
    client.post("/password/forgot", data={"email": "hana@example.org"})
    link = link_in(outbox()[0], "/password/reset/")
    response = client.post(link + "?lang=en", data={"password": "qwerty123", "confirm": "qwerty123"})
    assert response.status_code == 200
    assert "too common" in response.text
    assert client.post("/login", data={"email": "hana@example.org", "password": PASSWORD}).status_code == 302


# --- invitations --------------------------------------------------------------------------------


def test_staff_invite_someone_who_sets_a_password_from_the_email(client, login_as, outbox):
    staff = StaffFactory()
    login_as(staff)
    response = client.post(
        "/admin/users/invite",
        data={"name": "Maria Silva", "email": "Maria@Example.com", "role": "overseas_founder", "locale": "en"},
    )
    assert response.status_code == 302
    invited = services.find_user_by_email("maria@example.com")
    assert invited.has_password is False
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == invited.id))
    assert invitation.role is InvitedRole.OVERSEAS_FOUNDER
    assert invitation.invited_by_id == staff.id
    [email] = outbox()
    assert email.locale == "en"
    assert "Overseas founder" in email.subject
    client.post("/logout")
    link = link_in(email, "/invitations/")
    assert "Maria Silva" in client.get(link).text
    response = client.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(client) == "Maria Silva"
    db.session.refresh(invitation)
    assert invitation.accepted_at is not None
    client.post("/logout")
    second = client.get(link + "?lang=en", follow_redirects=True)
    assert "not valid or has already been used" in second.text


def test_inviting_an_existing_address_is_refused(client, login_as, outbox):
    login_as(StaffFactory())
    UserFactory(email="taken@example.org")
    response = client.post(
        "/admin/users/invite?lang=en",
        data={"name": "X", "email": "TAKEN@example.org", "role": "judge", "locale": "ja"},
    )
    assert response.status_code == 200
    assert "already exists" in response.text
    assert outbox() == []


def test_invitation_form_with_bad_input_stores_nothing(client, login_as, outbox):
    login_as(StaffFactory())
    before = user_count()
    response = client.post(
        "/admin/users/invite?lang=en", data={"name": "", "email": "nope", "role": "emperor", "locale": "ja"}
    )
    assert response.status_code == 200
    assert "Enter a name." in response.text
    assert "Not a valid choice" in response.text
    assert user_count() == before
    assert outbox() == []


def test_a_forgotten_password_request_for_an_invited_user_resends_the_invitation(client, outbox):
    InvitedUserFactory(email="judge@example.org")
    client.post("/password/forgot", data={"email": "judge@example.org"})
    [email] = outbox()
    assert "/invitations/" in email.body_text


# --- profile, password change and sessions ------------------------------------------------------


def test_profile_saves_name_and_language(client, login_as):
    user = UserFactory(locale="en")
    login_as(user)
    response = client.post("/account", data={"name": "New Name", "locale": "ja"}, follow_redirects=True)
    assert '<html lang="ja">' in response.text
    db.session.refresh(user)
    assert (user.name, user.locale) == ("New Name", "ja")


def test_profile_with_an_empty_name_is_refused(client, login_as):
    user = UserFactory(name="Kept", locale="en")
    login_as(user)
    response = client.post("/account", data={"name": "  ", "locale": "en"})
    assert "Enter your name." in response.text
    db.session.refresh(user)
    assert user.name == "Kept"


def test_changing_the_password_signs_out_other_devices_but_not_this_one(app, login_as):
    user = UserFactory(name="Hana")
    laptop = app.test_client()
    phone = app.test_client()
    for device in (laptop, phone):
        device.post("/login", data={"email": user.email, "password": PASSWORD})
        assert signed_in_as(device) == "Hana"
    response = laptop.post(
        "/account/password", data={"pw-current": PASSWORD, "pw-password": GOOD_PASSWORD, "pw-confirm": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_as(laptop) == "Hana"
    assert signed_in_as(phone) is None


def test_changing_the_password_needs_the_current_one(client, login_as):
    user = UserFactory()
    login_as(user)
    response = client.post(
        "/account/password?lang=en",
        data={"pw-current": "not it at all", "pw-password": GOOD_PASSWORD, "pw-confirm": GOOD_PASSWORD},
    )
    assert "Your current password is not correct." in response.text
    assert services.check_password(db.session.get(User, user.id), PASSWORD)


def test_a_remember_me_cookie_stops_working_after_a_password_change(app):
    user = UserFactory(name="Hana")
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = browser.get_cookie("remember_token")
    assert remember is not None
    services.change_password(db.session.get(User, user.id), current=PASSWORD, new=GOOD_PASSWORD)
    db.session.commit()
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert signed_in_as(fresh) is None


def test_deactivating_a_user_ends_their_sessions(app, client, login_as):
    user = UserFactory(name="Hana")
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert signed_in_as(browser) == "Hana"
    login_as(StaffFactory())
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert signed_in_as(browser) is None


def test_staff_cannot_deactivate_or_demote_themselves(client, login_as):
    staff = StaffFactory()
    login_as(staff)
    response = client.post(f"/admin/users/{staff.id}/revoke-staff?lang=en", follow_redirects=True)
    assert "You cannot remove your own staff rights" in response.text
    client.post(f"/admin/users/{staff.id}/deactivate")
    db.session.refresh(staff)
    assert staff.is_staff and staff.active


def test_staff_grant_and_revoke_staff_rights_and_it_is_audited(client, login_as):
    staff = StaffFactory()
    user = UserFactory()
    login_as(staff)
    client.post(f"/admin/users/{user.id}/grant-staff")
    db.session.refresh(user)
    assert user.is_staff is True
    client.post(f"/admin/users/{user.id}/revoke-staff")
    db.session.refresh(user)
    assert user.is_staff is False
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["user.staff_granted", "user.staff_revoked"]


def test_staff_user_list_searches_and_filters(client, login_as):
    login_as(StaffFactory(name="Staff Person"))
    UserFactory(name="Aiko Tanaka", email="aiko@example.org")
    UserFactory(name="Bob", email="bob@example.org", active=False)
    found = client.get("/admin/users?q=TANAKA")
    assert "Aiko Tanaka" in found.text and "bob@example.org" not in found.text
    inactive = client.get("/admin/users?role=inactive")
    assert "bob@example.org" in inactive.text and "aiko@example.org" not in inactive.text


def test_user_list_uses_a_fixed_number_of_queries(client, login_as, count_queries):
    login_as(StaffFactory())
    UserFactory.create_batch(3)
    InvitedUserFactory.create_batch(2)
    with count_queries() as few:
        client.get("/admin/users")
    UserFactory.create_batch(20)
    InvitedUserFactory.create_batch(10)
    with count_queries() as many:
        client.get("/admin/users")
    assert many.count == few.count


# --- CLI --------------------------------------------------------------------------------------


def test_create_staff_command_creates_a_staff_account_that_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(
        args=["users", "create-staff", "Office@Ward.example", "--name", "Office", "--password", GOOD_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    assert "office@ward.example" in result.output
    response = client.post("/login", data={"email": "office@ward.example", "password": GOOD_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_create_staff_command_generates_and_prints_a_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create-staff", "office@ward.example"])
    assert result.exit_code == 0
    password = result.output.split("Password: ", 1)[1].strip()
    assert services.check_password(services.find_user_by_email("office@ward.example"), password)


def test_create_staff_command_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create-staff", "x@ward.example", "--password", "123456"])
    assert result.exit_code != 0
    assert user_count() == 0
