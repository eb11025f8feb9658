"""Journey 1: a new founder registers, confirms the email address, creates the startup's profile,
applies to an open call with a PDF deck and submits, in English; then reads the confirmation in Japanese."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kakehashi.accounts.models import StartupMember, User
from kakehashi.applications.models import Application, ApplicationState
from kakehashi.core.outbox import OutboundEmail
from kakehashi.extensions import db
from tests.browser.support import check_page, expect, fresh, label, snapshot, switch_language, translated
from tests.factories import CallFactory, pdf_bytes

pytestmark = pytest.mark.browser

EMAIL = "mika.tanaka@example.org"
PASSWORD = "a sturdy passphrase for 2026"


def register(page, *, repeated: str) -> None:
    form = page.locator("main")
    form.get_by_label("Your name").fill("Mika Tanaka")
    form.get_by_label("Email address").fill(EMAIL)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_label("Repeat the password").fill(repeated)
    form.get_by_label("Language").select_option("en")
    form.get_by_role("button", name="Create account").click()


def test_a_founder_registers_applies_with_a_deck_and_reads_the_confirmation_in_japanese(site):
    call = CallFactory(
        title={"ja": "フィンテック・アクセラレーター第3期", "en": "FinTech Accelerator, batch 3"},
        summary={"ja": "区のフィンテック支援プログラム", "en": "The ward's FinTech programme"},
        description={"ja": "12週間のプログラムです。", "en": "A twelve-week programme."},
    )
    page = site.person("en-US")

    # Register (in English: the browser asks for it).
    page.goto("/")
    check_page(site, page, "home")
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    check_page(site, page, "register")  # before filling in: the check loads the page in each language
    register(page, repeated=PASSWORD + "!")
    # A typo in the repeated password: the form says what is wrong, next to the field.
    expect(page.locator("#confirm-error")).to_have_text("The two passwords are not the same.")
    expect(page.locator("#confirm")).to_have_attribute("aria-invalid", "true")
    check_page(site, page, "register-errors")
    register(page, repeated=PASSWORD)
    expect(page.get_by_text("Your account is ready.")).to_be_visible()

    # Confirm the address with the link from the email (the outbox holds what would be sent).
    fresh()
    email = db.session.scalars(
        select(OutboundEmail).where(
            OutboundEmail.to_address == EMAIL, OutboundEmail.template == "accounts/verify_email"
        )
    ).one()
    link = re.search(r"https?://\S+/verify/\S+", email.body_text).group(0)
    assert link.startswith(site.url)
    page.goto(link)
    expect(page.get_by_text("Thank you, your email address is confirmed.")).to_be_visible()
    expect(page.get_by_text("Please confirm your email address")).to_have_count(0)

    # Find the call and create the startup's profile on the way.
    page.get_by_role("link", name="Calls", exact=True).click()
    page.get_by_role("link", name="FinTech Accelerator, batch 3").click()
    check_page(site, page, "call")
    page.get_by_role("link", name="Create your startup's profile to apply").click()
    check_page(site, page, "startup-form")
    name = page.get_by_role("group", name="Startup name")
    name.get_by_label("English").fill("Kumo Ledger Inc.")
    name.get_by_label("Japanese").fill("クモレジャー株式会社")
    page.get_by_label("Website").fill("https://kumo-ledger.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your startup's profile has been created.")).to_be_visible()

    # Back on the call: apply, fill the form in, attach the deck, submit.
    expect(page.get_by_role("heading", name="FinTech Accelerator, batch 3")).to_be_visible()
    page.get_by_role("button", name="Start an application").click()
    expect(page.get_by_role("button", name="Submit application")).to_be_visible()
    check_page(site, page, "application-form")
    answers = {
        "Company overview": "We reconcile SME ledgers overnight.",
        "Founders": "Mika Tanaka (CEO), Ken Ito (CTO)",
        "Team size": "5",
        "Problem": "Month-end closing takes small firms a week.",
        "Solution": "Automatic reconciliation against bank feeds.",
        "Market": "400,000 SMEs in Japan.",
        "Traction": "12 paying customers.",
        "Funding raised to date (JPY)": "30000000",
        "Why this programme?": "To meet the ward's banks.",
    }
    for field_label, value in answers.items():
        page.get_by_label(field_label).fill(value)
    page.get_by_label("Pitch deck (PDF)").set_input_files(
        {"name": "kumo-ledger-deck.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}
    )
    page.get_by_role("button", name="Submit application").click()

    expect(page.get_by_text("Your application has been submitted.")).to_be_visible()
    badge = page.locator("main .badge").first
    expect(badge).to_have_text("Submitted")
    check_page(site, page, "application-submitted")

    # What was stored: the application, its deck (by content), the founder, the confirmation email.
    fresh()
    user = db.session.scalars(select(User).where(User.email == EMAIL)).one()
    assert user.email_verified_at is not None
    member = db.session.scalars(select(StartupMember).where(StartupMember.user_id == user.id)).one()
    application = db.session.scalars(select(Application).where(Application.startup_id == member.startup_id)).one()
    assert (application.call_id, application.state) == (call.id, ApplicationState.SUBMITTED)
    assert application.deck.original_filename == "kumo-ledger-deck.pdf"
    assert application.team_size == 5
    confirmation = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.template == "applications/submitted")
    ).one()
    assert (confirmation.to_address, confirmation.locale) == (EMAIL, "en")

    # The confirmation, in Japanese.
    switch_language(page, "ja")
    submitted_ja = label(ApplicationState.SUBMITTED.label, "ja")
    assert submitted_ja != "Submitted"  # the catalogue has it
    expect(badge).to_have_text(submitted_ja)
    expect(page.get_by_role("heading", level=1)).to_have_text("フィンテック・アクセラレーター第3期")
    expect(page.locator("main")).to_contain_text(translated("Submitted %(when)s", when="").strip())
    snapshot(site, page, "application-submitted-japanese")
