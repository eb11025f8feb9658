"""The applicant's side of issue 3: a startup profile and team, the public call pages, applying,
the draft → submitted → withdrawn lifecycle, pitch decks, and the edges the issue lists.

Everything goes through the web pages (or, for the parallel-submission race, the service the page
calls) and is checked on what a user sees, what is stored and what is emailed.
"""

from __future__ import annotations

import io
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from markupsafe import escape
from pypdf import PdfWriter
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kakehashi.accounts.models import Invitation, InvitedRole, MemberRole, Startup, StartupMember, User
from kakehashi.applications import services
from kakehashi.applications.models import Application, ApplicationState, CallState
from kakehashi.core.audit import AuditEvent
from kakehashi.core.storage import StoredFile, backend
from kakehashi.extensions import db
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    StaffFactory,
    StartupFactory,
    UserFactory,
    attach_deck,
    member_of,
    pdf_bytes,
)

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_PASSWORD = "a sturdy passphrase 2026"
TEXT_FIELDS = ("company_summary", "founders", "problem", "solution", "market", "traction", "why_programme")


# --- helpers ----------------------------------------------------------------------------------


def tokyo(*args: int) -> datetime:
    """A wall-clock time in Japan, as the aware datetime the app stores (in UTC)."""
    return datetime(*args, tzinfo=TOKYO).astimezone(UTC)


def shows(response: Any, text: str) -> bool:
    """The page shows ``text`` as a user would read it (HTML-escaped in the source)."""
    return str(escape(text)) in response.get_data(as_text=True)


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def files_in_storage() -> int:
    return backend().count()


def complete_answers(**overrides: Any) -> dict[str, Any]:
    """The edit form, filled in completely (everything but the deck)."""
    answers = {
        "company_summary": "We settle SME invoices instantly.",
        "founders": "Hanako Yamada (CEO), Taro Sato (CTO)",
        "team_size": "6",
        "problem": "Small firms wait 60 days to be paid.",
        "solution": "Same-day settlement against verified invoices.",
        "market": "3.5 million SMEs in Japan.",
        "traction": "12 paying customers.",
        "funding_raised_jpy": "30000000",
        "valuation_jpy": "",
        "revenue_jpy": "12000000",
        "overseas_revenue_share": "12.5",
        "why_programme": "To meet banks in Asia.",
    }
    answers.update(overrides)
    return answers


def deck_upload(data: bytes, filename: str = "deck.pdf") -> tuple[io.BytesIO, str, str]:
    return (io.BytesIO(data), filename, "application/pdf")


def save_draft(client: Any, application: Any, **data: Any) -> Any:
    return client.post(f"/applications/{application.id}/edit", data={**data, "save": "1"})


def submit_form(client: Any, application: Any, **data: Any) -> Any:
    """The edit page's "Submit application" button: saves what was typed, then submits."""
    return client.post(f"/applications/{application.id}/edit", data={**data, "submit": "1"})


def field_errors(response: Any) -> dict[str, str]:
    """Field name → the error text shown under it on a form page."""
    html = response.get_data(as_text=True)
    return {
        name: re.sub(r"\s+", " ", text).strip()
        for name, text in re.findall(r'<div id="([a-z_]+)-error" class="invalid-feedback d-block">(.*?)</div>', html)
    }


def textarea_value(response: Any, name: str) -> str | None:
    match = re.search(
        rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', response.get_data(as_text=True), re.S
    )
    return match.group(1) if match else None


def input_value(response: Any, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def big_pdf(min_size: int) -> bytes:
    """A real PDF padded (in its metadata) to at least ``min_size`` bytes."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Subject": "x" * min_size})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(password: str = "pw") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def ready_to_submit(**kwargs: Any) -> tuple[Any, Any]:
    """A complete draft with a deck, and a member of its startup."""
    application = ApplicationFactory(**kwargs)
    attach_deck(application)
    return application, member_of(application.startup)


def submitted_emails(outbox: Any) -> list[Any]:
    return [email for email in outbox() if email.template == "applications/submitted"]


# --- 1. the startup profile and its team ----------------------------------------------------------


def startup_form(**overrides: str) -> dict[str, str]:
    data = {"name-ja": "", "name-en": "Aurora Robotics", "country": "US", "website": "https://aurora.example"}
    data.update(overrides)
    return data


def test_creating_a_startup_makes_you_its_founder_and_abroad_means_overseas(client, login_as):
    user = UserFactory()
    login_as(user)

    response = client.post("/startups/new", data=startup_form(), follow_redirects=True)

    assert response.status_code == 200
    assert shows(response, "Your startup's profile has been created.")
    startup = db.session.scalar(select(Startup))
    assert (startup.name, startup.country, startup.is_overseas) == ({"en": "Aurora Robotics"}, "US", True)
    assert response.request.path == f"/startups/{startup.id}"
    [membership] = db.session.scalars(select(StartupMember)).all()
    assert (membership.user_id, membership.role) == (user.id, MemberRole.FOUNDER)


def test_a_startup_in_japan_is_not_overseas(client, login_as):
    login_as(UserFactory())
    client.post("/startups/new", data=startup_form(**{"name-ja": "あおば株式会社", "name-en": "", "country": "JP"}))
    startup = db.session.scalar(select(Startup))
    assert (startup.name, startup.is_overseas) == ({"ja": "あおば株式会社"}, False)


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"name-ja": "", "name-en": "  "}, "name-error", "Enter this in Japanese, English or both."),
        ({"website": "javascript:alert(1)"}, "website-error", "Enter a web address starting with https:// or http://."),
        ({"country": "XX"}, "country-error", "Not a valid choice."),
    ],
    ids=["no-name", "javascript-website", "unknown-country"],
)
def test_a_bad_startup_profile_is_shown_again_with_the_reason_and_nothing_is_stored(
    client, login_as, overrides, field_id, message
):
    login_as(UserFactory())

    response = client.post("/startups/new", data=startup_form(**overrides))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(rf'id="{field_id}" class="invalid-feedback d-block">\s*{re.escape(str(escape(message)))}', html)
    assert shows(response, "Please correct the highlighted fields.")
    assert (count(Startup), count(StartupMember)) == (0, 0)


def test_members_edit_their_startup_profile(client, login_as):
    startup = StartupFactory(country="JP", is_overseas=False)
    login_as(member_of(startup, role=MemberRole.MEMBER))

    form = client.get(f"/startups/{startup.id}/edit")
    assert form.status_code == 200
    assert input_value(form, "name-en") == startup.name["en"]

    response = client.post(
        f"/startups/{startup.id}/edit",
        data=startup_form(**{"name-ja": "新しい名前", "name-en": "New Name", "country": "SG"}),
        follow_redirects=True,
    )

    assert shows(response, "The profile has been saved.")
    assert (startup.name, startup.country, startup.is_overseas) == ({"ja": "新しい名前", "en": "New Name"}, "SG", True)


def test_a_startup_is_hidden_from_people_outside_it(client, login_as):
    startup = StartupFactory()
    before = dict(startup.name)
    login_as(member_of(StartupFactory()))

    assert client.get(f"/startups/{startup.id}").status_code == 404
    assert client.get(f"/startups/{startup.id}/edit").status_code == 404
    assert client.post(f"/startups/{startup.id}/edit", data=startup_form()).status_code == 404
    assert (
        client.post(f"/startups/{startup.id}/members", data={"name": "X", "email": "x@example.org"}).status_code == 404
    )
    assert startup.name == before
    assert count(StartupMember, StartupMember.startup_id == startup.id) == 0


def test_staff_see_a_startup_but_do_not_edit_it(client, login_as):
    startup = StartupFactory()
    before = dict(startup.name)
    login_as(StaffFactory())

    page = client.get(f"/startups/{startup.id}")
    assert page.status_code == 200
    assert shows(page, startup.name["en"])
    assert not shows(page, "Edit the profile")
    assert client.get(f"/startups/{startup.id}/edit").status_code == 403
    assert client.post(f"/startups/{startup.id}/edit", data=startup_form()).status_code == 403
    assert (
        client.post(f"/startups/{startup.id}/members", data={"name": "X", "email": "x@example.org"}).status_code == 403
    )
    assert startup.name == before


def test_adding_an_existing_account_to_the_team_lets_them_in_and_tells_them(client, login_as, outbox):
    startup = StartupFactory()
    founder = member_of(startup)
    teammate = UserFactory(email="kaito@example.org", name="Kaito Mori", locale="ja")
    login_as(founder)

    response = client.post(
        f"/startups/{startup.id}/members",
        data={"name": "ignored", "email": "Kaito@Example.org", "locale": "en"},
        follow_redirects=True,
    )

    assert shows(response, "Kaito Mori has been added to the team and notified by email.")
    membership = db.session.scalar(select(StartupMember).where(StartupMember.user_id == teammate.id))
    assert (membership.startup_id, membership.role) == (startup.id, MemberRole.MEMBER)
    [email] = outbox()
    # The account's own language wins over the one picked in the form.
    assert (email.to_address, email.template, email.locale) == ("kaito@example.org", "accounts/added_to_startup", "ja")


def test_adding_a_new_address_sends_an_invitation_and_the_teammate_then_sees_the_applications(
    app, client, login_as, outbox
):
    application = ApplicationFactory()
    login_as(member_of(application.startup))

    client.post(
        f"/startups/{application.startup_id}/members",
        data={"name": "Mei Lin", "email": "mei@example.sg", "locale": "en"},
    )

    [email] = outbox()
    assert (email.to_address, email.template, email.locale) == ("mei@example.sg", "accounts/invitation", "en")
    invited = db.session.scalar(select(User).where(User.email == "mei@example.sg"))
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == invited.id))
    assert invitation.role is InvitedRole.STARTUP_MEMBER
    assert count(StartupMember, StartupMember.user_id == invited.id) == 1

    link = re.search(r"http://kakehashi\.test(/invitations/\S+)", email.body_text).group(1)
    browser = app.test_client()
    accepted = browser.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 302

    mine = browser.get("/applications/")
    assert mine.status_code == 200
    assert shows(mine, application.call.title["en"])
    assert f'href="/applications/{application.id}"' in mine.get_data(as_text=True)


def test_adding_someone_who_is_already_in_the_team_is_refused_with_a_message(client, login_as, outbox):
    startup = StartupFactory()
    founder = member_of(startup)
    teammate = member_of(startup, role=MemberRole.MEMBER)
    login_as(founder)

    response = client.post(
        f"/startups/{startup.id}/members",
        data={"name": teammate.name, "email": teammate.email, "locale": "en"},
        follow_redirects=True,
    )

    assert shows(response, "This person is already a member of the startup.")
    assert count(StartupMember, StartupMember.startup_id == startup.id) == 2
    assert outbox() == []


# --- 2. the public call pages -------------------------------------------------------------------

LIST_NOW = tokyo(2026, 3, 21, 17, 0)
DEADLINE = tokyo(2026, 3, 31, 17, 0)  # 10 days after LIST_NOW


def calls_for_the_list() -> dict[str, Any]:
    past, future = LIST_NOW - timedelta(days=30), LIST_NOW + timedelta(days=5)
    return {
        "open": CallFactory(title={"ja": "公開中の募集", "en": "Open call"}, opens_at=past, closes_at=DEADLINE),
        "upcoming": CallFactory(
            title={"ja": "予定の募集", "en": "Upcoming call"}, opens_at=future, closes_at=DEADLINE + timedelta(days=30)
        ),
        "draft": CallFactory(title={"ja": "下書き", "en": "Draft call"}, state=CallState.DRAFT, opens_at=past),
        "closed": CallFactory(
            title={"ja": "締切済み", "en": "Closed call"},
            state=CallState.CLOSED,
            opens_at=past,
            closes_at=LIST_NOW - timedelta(days=1),
        ),
        "expired": CallFactory(
            title={"ja": "期限切れ", "en": "Forgotten call"}, opens_at=past, closes_at=LIST_NOW - timedelta(seconds=1)
        ),
    }


def test_the_call_list_shows_open_and_upcoming_calls_with_the_deadline_in_japan_time_in_english(client):
    calls_for_the_list()
    with time_machine.travel(LIST_NOW, tick=False):
        response = client.get("/calls/?lang=en")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Open call" in page
    assert "Upcoming call" in page
    for hidden in ("Draft call", "Closed call", "Forgotten call"):
        assert hidden not in page
    # 17:00 in Tokyo (08:00 UTC), with the time left in English.
    assert "Deadline: 3/31/26, 5:00\u202fPM" in page or "Deadline: 3/31/26, 5:00 PM" in page
    assert "10 days left" in page
    assert "Opens 3/26/26" in page
    assert "Upcoming" in page


def test_the_call_list_in_japanese_uses_tokyo_time_and_japanese_units(client):
    calls_for_the_list()
    with time_machine.travel(LIST_NOW, tick=False):
        response = client.get("/calls/?lang=ja")

    page = response.get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert "公開中の募集" in page
    assert "予定の募集" in page
    for hidden in ("下書き", "締切済み", "期限切れ"):
        assert hidden not in page
    assert "2026/03/31 17:00" in page
    assert "10 日" in page  # Babel's Japanese unit, whatever the message catalogue says around it
    assert "10 days" not in page


def test_a_draft_call_is_hidden_from_the_public_and_shown_to_staff(client, login_as):
    call = CallFactory(state=CallState.DRAFT, title={"ja": "準備中", "en": "Call in preparation"})

    assert client.get(f"/calls/{call.id}?lang=en").status_code == 404
    login_as(member_of(StartupFactory()))
    assert client.get(f"/calls/{call.id}?lang=en").status_code == 404

    login_as(StaffFactory())
    page = client.get(f"/calls/{call.id}?lang=en")
    assert page.status_code == 200
    assert shows(page, "Call in preparation")


def test_an_open_call_page_invites_the_public_to_sign_in_and_apply(client):
    call = CallFactory(title={"ja": "フィンテック", "en": "FinTech batch"}, deck_max_mb=15)
    page = client.get(f"/calls/{call.id}?lang=en")
    assert page.status_code == 200
    assert shows(page, "FinTech batch")
    assert shows(page, "PDF, up to 15 MB")
    assert shows(page, "Sign in to apply")


# --- 3. applying ------------------------------------------------------------------------------


def test_starting_an_application_opens_its_edit_page(client, login_as):
    call = CallFactory()
    startup = StartupFactory()
    user = member_of(startup)
    login_as(user)

    response = client.post(f"/calls/{call.id}/apply", data={"startup_id": startup.id})

    application = db.session.scalar(select(Application))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/applications/{application.id}/edit"
    assert (application.call_id, application.startup_id, application.created_by_id) == (call.id, startup.id, user.id)
    assert application.state is ApplicationState.DRAFT
    assert client.get(response.headers["Location"]).status_code == 200


def test_applying_twice_to_the_same_call_points_at_the_first_application(client, login_as):
    first = ApplicationFactory()
    login_as(member_of(first.startup))

    response = client.post(f"/calls/{first.call_id}/apply", data={"startup_id": first.startup_id})

    assert response.headers["Location"] == f"/applications/{first.id}"
    page = client.get(response.headers["Location"])
    assert shows(page, "Your startup has already applied to this call. You can continue with that application below.")
    assert count(Application) == 1
    # The call page says so too, with a link, instead of the apply button.
    call_page = client.get(f"/calls/{first.call_id}")
    assert shows(call_page, "Open the application")
    assert f'action="/calls/{first.call_id}/apply"' not in call_page.get_data(as_text=True)


def test_applying_without_a_startup_sends_you_to_create_one_first(client, login_as):
    call = CallFactory()
    login_as(UserFactory())

    response = client.post(f"/calls/{call.id}/apply", data={})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/startups/new?next=")
    assert unquote(response.headers["Location"].split("next=", 1)[1]) == f"/calls/{call.id}"
    assert shows(client.get(response.headers["Location"]), "First create your startup's profile; then you can apply.")
    assert count(Application) == 0

    # Once the profile exists, the person lands back on the call.
    created = client.post(response.headers["Location"], data=startup_form())
    assert created.headers["Location"] == f"/calls/{call.id}"


def test_a_user_in_two_startups_chooses_which_one_applies(client, login_as):
    call = CallFactory()
    first, second = StartupFactory(), StartupFactory()
    user = member_of(first)
    join(second, user)
    login_as(user)

    page = client.get(f"/calls/{call.id}")
    html = page.get_data(as_text=True)
    assert re.search(r'<select[^>]*name="startup_id"', html)
    assert f'<option value="{first.id}">{escape(first.name["en"])}</option>' in html
    assert f'<option value="{second.id}">{escape(second.name["en"])}</option>' in html

    client.post(f"/calls/{call.id}/apply", data={"startup_id": second.id})

    [application] = db.session.scalars(select(Application)).all()
    assert application.startup_id == second.id


def test_applying_for_a_startup_you_do_not_belong_to_is_refused(client, login_as):
    call = CallFactory()
    mine, theirs = StartupFactory(), StartupFactory()
    login_as(member_of(mine))

    response = client.post(f"/calls/{call.id}/apply", data={"startup_id": theirs.id}, follow_redirects=True)

    assert shows(response, "Choose the startup you are applying for.")
    assert count(Application) == 0


def join(startup: Any, user: Any) -> None:
    """Put an existing user into another startup."""
    db.session.add(StartupMember(startup_id=startup.id, user_id=user.id, role=MemberRole.MEMBER))
    db.session.commit()


# --- 4. draft and submission ----------------------------------------------------------------------


def test_a_draft_can_be_saved_with_every_field_empty(client, login_as):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    empty = dict.fromkeys(complete_answers(), "")

    response = save_draft(client, application, **empty)

    assert response.headers["Location"] == f"/applications/{application.id}/edit"
    assert shows(client.get(response.headers["Location"]), "Your draft has been saved.")
    assert application.state is ApplicationState.DRAFT
    assert (application.company_summary, application.team_size, application.funding_raised_jpy) == (None, None, None)


def test_a_draft_keeps_what_was_typed_and_a_deck(client, login_as):
    application = ApplicationFactory(company_summary=None)
    login_as(member_of(application.startup))

    save_draft(client, application, **complete_answers(), deck=deck_upload(pdf_bytes(2), "pitch.pdf"))

    assert application.company_summary == "We settle SME invoices instantly."
    assert application.funding_raised_jpy == 30_000_000
    assert str(application.overseas_revenue_share) == "12.50"
    assert application.valuation_jpy is None
    assert (application.deck.original_filename, application.deck.content_type) == ("pitch.pdf", "application/pdf")
    assert application.state is ApplicationState.DRAFT


def test_submitting_a_complete_application_confirms_it_to_every_member_in_their_language(client, login_as, outbox):
    application, founder = ready_to_submit()
    member_of(application.startup, role=MemberRole.MEMBER, user__locale="ja", user__email="ja@example.jp")
    member_of(application.startup, role=MemberRole.MEMBER, user__active=False)  # a deactivated account
    login_as(founder)

    response = submit_form(client, application, **complete_answers())

    assert response.headers["Location"] == f"/applications/{application.id}"
    page = client.get(response.headers["Location"])
    assert shows(page, "Your application has been submitted. We have sent a confirmation by email.")
    assert shows(page, "Submitted")
    assert application.state is ApplicationState.SUBMITTED
    assert application.submitted_at is not None
    assert abs(application.submitted_at - datetime.now(UTC)) < timedelta(minutes=1)
    emails = submitted_emails(outbox)
    assert [(e.to_address, e.locale) for e in emails] == [(founder.email, "en"), ("ja@example.jp", "ja")]
    english, japanese = emails
    assert application.call.title["en"] in english.subject
    assert application.call.title["ja"] in japanese.subject
    assert f"http://kakehashi.test/applications/{application.id}" in english.body_text
    [state_change] = audit_actions("application.state")
    assert (state_change.actor_id, state_change.data) == (founder.id, {"from": "draft", "to": "submitted"})


def test_a_submitted_application_is_read_only(client, login_as, outbox):
    application, member = ready_to_submit()
    login_as(member)
    submit_form(client, application, **complete_answers())
    version, summary = application.version, application.company_summary

    edit = client.get(f"/applications/{application.id}/edit")
    assert edit.headers["Location"] == f"/applications/{application.id}"
    assert shows(
        client.get(edit.headers["Location"]), "This application has been submitted and can no longer be changed."
    )

    changed = client.post(
        f"/applications/{application.id}/edit",
        data={**complete_answers(company_summary="Changed afterwards"), "deck": deck_upload(pdf_bytes(), "new.pdf")},
    )
    assert changed.headers["Location"] == f"/applications/{application.id}"
    assert (application.company_summary, application.version) == (summary, version)
    assert application.deck.original_filename == "deck.pdf"
    assert count(StoredFile) == 1

    detail = client.get(f"/applications/{application.id}")
    assert not shows(detail, "Continue editing")
    assert len(submitted_emails(outbox)) == 1


def test_submitting_with_missing_answers_marks_exactly_those_fields_and_keeps_the_draft(client, login_as, outbox):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    typed = complete_answers(market="", traction="  ", solution="Typed <just now>")

    response = submit_form(client, application, **typed)

    assert response.status_code == 200
    assert field_errors(response) == {
        "market": "Required to submit.",
        "traction": "Required to submit.",
        "deck": "Required to submit.",
    }
    assert shows(response, "Please complete every required field and upload your pitch deck before submitting.")
    # What was typed is on the page again …
    assert textarea_value(response, "solution") == str(escape("Typed <just now>"))
    assert input_value(response, "funding_raised_jpy") == "30000000"
    # … and stored as a draft.
    assert application.state is ApplicationState.DRAFT
    assert (application.solution, application.market, application.traction) == ("Typed <just now>", None, None)
    assert application.submitted_at is None
    assert outbox() == []


def test_the_missing_answer_message_is_in_the_users_language(client, login_as):
    application = ApplicationFactory()
    login_as(member_of(application.startup, user__locale="ja"))

    response = submit_form(client, application, **complete_answers(market="", traction="書いた内容"))

    assert '<html lang="ja">' in response.get_data(as_text=True)
    assert field_errors(response) == {"market": "提出に必要です。", "deck": "提出に必要です。"}
    assert textarea_value(response, "traction") == "書いた内容"
    assert application.traction == "書いた内容"


def test_withdrawing_before_a_decision_withdraws_and_tells_the_team(client, login_as, outbox):
    application, member = ready_to_submit(state=ApplicationState.SUBMITTED)
    login_as(member)

    response = client.post(f"/applications/{application.id}/withdraw", follow_redirects=True)

    assert shows(response, "Your application has been withdrawn.")
    assert application.state is ApplicationState.WITHDRAWN
    assert application.withdrawn_at is not None
    [email] = outbox()
    assert (email.to_address, email.template, email.locale) == (member.email, "applications/withdrawn", "en")
    assert application.call.title["en"] in email.subject


def test_a_draft_can_be_withdrawn_too(client, login_as, outbox):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    client.post(f"/applications/{application.id}/withdraw")
    assert application.state is ApplicationState.WITHDRAWN
    assert [e.template for e in outbox()] == ["applications/withdrawn"]


@pytest.mark.parametrize(
    ("decided", "label"),
    [
        (ApplicationState.ACCEPTED, "Accepted"),
        (ApplicationState.REJECTED, "Not selected"),
        (ApplicationState.WITHDRAWN, "Withdrawn"),
    ],
)
def test_withdrawing_a_decided_or_withdrawn_application_is_refused(client, login_as, outbox, decided, label):
    application = ApplicationFactory(state=decided)
    login_as(member_of(application.startup))

    detail = client.get(f"/applications/{application.id}")
    assert not shows(detail, "Withdraw the application")
    response = client.post(f"/applications/{application.id}/withdraw", follow_redirects=True)

    assert response.status_code == 200
    assert shows(response, f"This cannot change from “{label}” to “Withdrawn”.")
    assert application.state is decided
    assert application.withdrawn_at is None
    assert outbox() == []


# --- 5. edges -----------------------------------------------------------------------------------


def call_closing_at(deadline: datetime, **kwargs: Any) -> Any:
    return CallFactory(opens_at=deadline - timedelta(days=30), closes_at=deadline, **kwargs)


def test_submitting_one_second_after_the_deadline_is_refused_even_if_the_call_is_still_open(client, login_as, outbox):
    application, member = ready_to_submit(call=call_closing_at(DEADLINE))

    with time_machine.travel(tokyo(2026, 3, 31, 17, 0, 1), tick=False):
        login_as(member)
        response = submit_form(client, application, **complete_answers())
        page = client.get(response.headers["Location"])

    assert shows(page, "This call is not accepting applications: the deadline has passed or it is not open yet.")
    assert application.call.state is CallState.OPEN
    assert application.state is ApplicationState.DRAFT
    assert application.submitted_at is None
    assert outbox() == []


def test_submitting_one_second_before_the_deadline_works(client, login_as, outbox):
    application, member = ready_to_submit(call=call_closing_at(DEADLINE))
    just_before = tokyo(2026, 3, 31, 16, 59, 59)

    with time_machine.travel(just_before, tick=False):
        login_as(member)
        submit_form(client, application, **complete_answers())

    assert application.state is ApplicationState.SUBMITTED
    assert application.submitted_at == just_before
    assert len(submitted_emails(outbox)) == 1


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(client, login_as):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    files_before = files_in_storage()
    fake = "これはPDFではありません。This is a spreadsheet.\n".encode() * 50

    response = save_draft(client, application, **complete_answers(), deck=deck_upload(fake, "deck.pdf"))

    assert response.status_code == 200
    assert field_errors(response)["deck"] == str(
        escape("This file is not a readable PDF. Please upload the deck as a PDF file.")
    )
    assert (count(StoredFile), files_in_storage()) == (0, files_before)
    assert application.deck_id is None


def test_a_truncated_pdf_is_refused(client, login_as):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    files_before = files_in_storage()
    whole = pdf_bytes(3)

    response = save_draft(client, application, **complete_answers(), deck=deck_upload(whole[: len(whole) // 2]))

    assert field_errors(response)["deck"] == str(
        escape("This file is not a readable PDF. Please upload the deck as a PDF file.")
    )
    assert (count(StoredFile), files_in_storage()) == (0, files_before)
    assert application.deck_id is None


def test_a_password_protected_pdf_is_refused(client, login_as):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    files_before = files_in_storage()

    response = save_draft(client, application, **complete_answers(), deck=deck_upload(encrypted_pdf(), "locked.pdf"))

    # Judges could not open it: refused, saying why.
    assert field_errors(response)["deck"] == str(
        escape("This PDF is protected by a password. Please save it without a password and upload it again.")
    )
    assert (count(StoredFile), files_in_storage()) == (0, files_before)
    assert application.deck_id is None


def test_a_pdf_restricted_only_by_an_owner_password_opens_anywhere_and_is_accepted(client, login_as):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="", owner_password="owner")  # no password to open, only to edit
    out = io.BytesIO()
    writer.write(out)

    save_draft(client, application, **complete_answers(), deck=deck_upload(out.getvalue(), "restricted.pdf"))

    assert application.deck.original_filename == "restricted.pdf"


def test_a_deck_over_the_calls_limit_gets_413_and_the_draft_stays_as_it_was(client, login_as):
    application = ApplicationFactory(call__deck_max_mb=1, company_summary="Saved earlier.")
    login_as(member_of(application.startup))
    files_before = files_in_storage()
    too_big = big_pdf(1024 * 1024 + 1)

    # Encoded in memory: the test client would spool a body this big to a file it never closes.
    boundary, body = encode_multipart(
        {
            **complete_answers(company_summary="Typed with the big file"),
            "save": "1",
            "deck": FileStorage(io.BytesIO(too_big), "huge.pdf", content_type="application/pdf"),
        }
    )
    response = client.post(
        f"/applications/{application.id}/edit", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 413
    assert field_errors(response)["deck"] == "The file is larger than the limit of 1 MB."
    assert textarea_value(response, "company_summary") == "Typed with the big file"  # the form, re-rendered
    assert (count(StoredFile), files_in_storage()) == (0, files_before)
    assert application.company_summary == "Saved earlier."
    assert application.deck_id is None
    assert audit_actions("application.saved") == []


def test_a_japanese_filename_is_kept_and_offered_back_on_download(client, login_as):
    application = ApplicationFactory()
    login_as(member_of(application.startup))
    name = "事業計画\u3000最終版.pdf"
    data = pdf_bytes(2)

    save_draft(client, application, **complete_answers(), deck=deck_upload(data, name))

    assert application.deck.original_filename == name
    assert shows(client.get(f"/applications/{application.id}/edit"), name)
    with client.get(f"/files/{application.deck_id}") as download:
        assert download.status_code == 200
        assert download.data == data
        disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)) == name


def test_replacing_the_deck_removes_the_old_file_and_the_new_one_downloads(client, login_as):
    application = ApplicationFactory()
    old = attach_deck(application, "v1.pdf", pdf_bytes(1))
    old_id, old_key = old.id, old.key
    assert backend().exists(old_key)
    login_as(member_of(application.startup))
    new_data = pdf_bytes(4)

    save_draft(client, application, **complete_answers(), deck=deck_upload(new_data, "v2.pdf"))

    assert application.deck.original_filename == "v2.pdf"
    assert db.session.get(StoredFile, old_id) is None
    assert not backend().exists(old_key)
    assert backend().exists(application.deck.key)
    assert count(StoredFile) == 1
    with client.get(f"/files/{application.deck_id}") as download:
        assert download.data == new_data
    with client.get(f"/files/{old_id}") as gone:
        assert gone.status_code == 404


def test_a_refused_replacement_keeps_the_old_deck(client, login_as):
    application = ApplicationFactory()
    old = attach_deck(application, "v1.pdf")
    old_id, old_key = old.id, old.key
    login_as(member_of(application.startup))

    save_draft(client, application, **complete_answers(), deck=deck_upload(b"%PDF-1.7\nnot really", "v2.pdf"))

    assert application.deck_id == old_id
    assert backend().exists(old_key)


def test_html_in_every_answer_and_name_is_shown_escaped(client, login_as):
    startup = StartupFactory(name={"ja": "<b>太字</b>社", "en": "<script>alert('name')</script> Inc."})
    application = ApplicationFactory(startup=startup, state=ApplicationState.DRAFT)
    login_as(member_of(startup))
    payloads = {name: f'<script>alert("{name}")</script><img src=x onerror=alert(1)>' for name in TEXT_FIELDS}

    save_draft(
        client, application, **complete_answers(**payloads), deck=deck_upload(pdf_bytes(), "<img src=x onerror=1>.pdf")
    )
    assert {name: getattr(application, name) for name in TEXT_FIELDS} == payloads

    def assert_escaped(response: Any, texts: list[str]) -> None:
        html = response.get_data(as_text=True)
        for text in texts:
            assert str(escape(text)) in html
        assert "<script>alert(" not in html
        assert "<img src=x" not in html
        assert "<b>太字</b>" not in html

    detail = client.get(f"/applications/{application.id}")
    assert_escaped(detail, [*payloads.values(), startup.name["en"], "<img src=x onerror=1>.pdf"])
    edit = client.get(f"/applications/{application.id}/edit")
    assert_escaped(edit, list(payloads.values()))
    assert_escaped(client.get(f"/startups/{startup.id}"), [startup.name["en"]])
    assert_escaped(client.get("/applications/"), [startup.name["en"]])

    login_as(StaffFactory(locale="ja"))
    assert_escaped(client.get(f"/admin/calls/{application.call_id}/applications"), [startup.name["ja"]])
    assert_escaped(client.get(f"/applications/{application.id}?lang=en"), [*payloads.values(), startup.name["en"]])


def test_staff_read_an_application_but_cannot_change_it(client, login_as, outbox):
    application, _member = ready_to_submit()
    login_as(StaffFactory())
    version = application.version

    detail = client.get(f"/applications/{application.id}")
    assert detail.status_code == 200
    assert shows(detail, application.company_summary)
    assert not shows(detail, "Continue editing")
    assert client.get(f"/applications/{application.id}/edit").status_code == 403
    assert client.post(f"/applications/{application.id}/edit", data=complete_answers()).status_code == 403
    assert client.post(f"/applications/{application.id}/submit").status_code == 403
    assert client.post(f"/applications/{application.id}/withdraw").status_code == 403

    assert (application.state, application.version) == (ApplicationState.DRAFT, version)
    assert outbox() == []


def test_someone_elses_application_cannot_be_edited_submitted_or_withdrawn(client, login_as, outbox):
    application, _owner = ready_to_submit()
    login_as(member_of(StartupFactory()))
    version, summary, audit_rows = application.version, application.company_summary, count(AuditEvent)

    assert client.get(f"/applications/{application.id}").status_code == 404
    assert client.get(f"/applications/{application.id}/edit").status_code == 404
    assert (
        client.post(
            f"/applications/{application.id}/edit", data=complete_answers(company_summary="Hijacked")
        ).status_code
        == 404
    )
    assert (
        client.post(f"/applications/{application.id}/edit", data={**complete_answers(), "submit": "1"}).status_code
        == 404
    )
    assert client.post(f"/applications/{application.id}/submit").status_code == 404
    assert client.post(f"/applications/{application.id}/withdraw").status_code == 404

    assert (application.state, application.version, application.company_summary) == (
        ApplicationState.DRAFT,
        version,
        summary,
    )
    assert count(AuditEvent) == audit_rows
    assert outbox() == []


def test_submitting_with_the_submit_route_twice_makes_one_submission(client, login_as, outbox):
    application, member = ready_to_submit()
    login_as(member)

    first = client.post(f"/applications/{application.id}/submit")
    second = client.post(f"/applications/{application.id}/submit", follow_redirects=True)

    assert first.headers["Location"] == f"/applications/{application.id}"
    assert second.status_code == 200
    assert shows(second, "This application has been submitted and can no longer be changed.")
    assert application.state is ApplicationState.SUBMITTED
    assert len(audit_actions("application.state")) == 1
    assert len(submitted_emails(outbox)) == 1


def read_and_keep(application_id: int) -> Application:
    """Load a draft as a request would, and end the read transaction but keep what was read.

    (SQLite lets one writer commit only when no other connection holds a read transaction; a
    request that read the draft earlier and has not written yet is exactly this.)
    """
    session = db.session()
    application = services.load_application(application_id)
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    return application


def test_two_submissions_racing_on_the_same_draft_make_exactly_one(app, outbox):
    application, founder = ready_to_submit()
    member_of(application.startup, role=MemberRole.MEMBER)
    application_id, founder_id, version = application.id, founder.id, application.version
    db.session.commit()  # the test's own session holds nothing while the two "requests" run

    with app.app_context():  # request B: loads the draft …
        user_b = db.session.get(User, founder_id)
        loaded_by_b = read_and_keep(application_id)

        with app.app_context():  # … while request A loads, submits and commits
            loaded_by_a = services.load_application(application_id)
            services.submit_application(loaded_by_a, by=db.session.get(User, founder_id))
            db.session.commit()

        # B still holds the version it read: its submission must not go through a second time.
        with pytest.raises(services.ConcurrentChange):
            services.submit_application(loaded_by_b, by=user_b)
        db.session.rollback()

    stored = db.session.get(Application, application_id)
    assert (stored.state, stored.version) == (ApplicationState.SUBMITTED, version + 1)
    assert [e.data["to"] for e in audit_actions("application.state")] == ["submitted"]
    assert len(submitted_emails(outbox)) == 2  # one per member, once


def test_two_browsers_submitting_at_the_same_moment_make_one_submission(app, outbox):
    application, founder = ready_to_submit()
    teammate = member_of(application.startup, role=MemberRole.MEMBER)
    url = f"/applications/{application.id}/submit"
    browsers = []
    for user in (founder, teammate):
        browser = app.test_client()
        with browser.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        browsers.append(browser)
    db.session.commit()
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(browser: Any) -> None:
        try:
            start.wait(timeout=10)
            statuses.append(browser.post(url).status_code)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    # Both are answered: one submits, the other is told it was already submitted (or changed at the
    # same time). On SQLite a changing request takes the write lock up front, so the second waits.
    assert sorted(statuses) == [302, 302]
    assert db.session.get(Application, application.id).state is ApplicationState.SUBMITTED
    assert [e.data["to"] for e in audit_actions("application.state")] == ["submitted"]
    assert sorted(e.to_address for e in submitted_emails(outbox)) == sorted([founder.email, teammate.email])


# --- 6. deck access -----------------------------------------------------------------------------


def test_members_and_staff_download_the_deck_and_each_download_is_audited(client, login_as):
    application = ApplicationFactory()
    data = pdf_bytes(2)
    deck = attach_deck(application, "pitch.pdf", data)
    member, staff = member_of(application.startup), StaffFactory()

    for user in (member, staff):
        login_as(user)
        with client.get(f"/files/{deck.id}") as response:
            assert response.status_code == 200
            assert response.data == data
            assert response.mimetype == "application/pdf"
            assert response.headers["Content-Disposition"].startswith("attachment;")

    downloads = audit_actions("file.downloaded")
    assert [(e.actor_id, e.object_type, e.object_id, e.data) for e in downloads] == [
        (member.id, "stored_file", deck.id, {"purpose": "pitch_deck"}),
        (staff.id, "stored_file", deck.id, {"purpose": "pitch_deck"}),
    ]


def test_the_deck_is_hidden_from_other_startups_and_anonymous_visitors(app, client, login_as):
    application = ApplicationFactory()
    deck = attach_deck(application)

    with app.test_client().get(f"/files/{deck.id}") as response:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")

    login_as(member_of(ApplicationFactory(call=application.call).startup))
    with client.get(f"/files/{deck.id}") as response:
        assert response.status_code == 404
    assert audit_actions("file.downloaded") == []


# --- 7. my applications -------------------------------------------------------------------------


def test_my_applications_lists_only_my_startups_with_status_and_deadline(client, login_as):
    startup = StartupFactory()
    user = member_of(startup)
    mine = ApplicationFactory(
        startup=startup,
        call=CallFactory(title={"ja": "私の募集", "en": "My call"}, closes_at=datetime.now(UTC) + timedelta(days=3)),
        state=ApplicationState.SUBMITTED,
        submitted_at=datetime.now(UTC),
    )
    ApplicationFactory(call=CallFactory(title={"ja": "他の募集", "en": "Their call"}))
    ApplicationFactory(call=mine.call)  # another startup, same call
    login_as(user)

    response = client.get("/applications/")

    html = response.get_data(as_text=True)
    assert "My call" in html
    assert "Their call" not in html
    assert re.findall(r'href="/applications/(\d+)"', html) == [str(mine.id)]
    assert "Submitted" in html
    assert "Deadline: " in html
    assert "3 days left" in html


def test_my_applications_takes_the_same_number_of_queries_for_3_or_30(client, login_as, count_queries):
    first, second = StartupFactory(), StartupFactory()
    user = member_of(first)
    join(second, user)
    login_as(user)

    def queries_for_page() -> int:
        with count_queries() as counter:
            response = client.get("/applications/")
        assert response.status_code == 200
        return counter.count

    for startup in (first, first, second):
        ApplicationFactory(startup=startup)
    with_3 = queries_for_page()
    for i in range(27):
        ApplicationFactory(
            startup=(first, second)[i % 2], state=ApplicationState.SUBMITTED, submitted_at=datetime.now(UTC)
        )
    with_30 = queries_for_page()

    assert with_30 == with_3
    assert len(re.findall(r'href="/applications/\d+"', client.get("/applications/").get_data(as_text=True))) == 30
