"""Journey 4: an overseas founder (in English) completes a checklist step with a document while the
programme's concierge (in Japanese, in another browser) reviews and approves it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kakehashi.extensions import db
from kakehashi.softlanding.models import TaskDocument, TaskState
from kakehashi.softlanding.schedule import tokyo_today
from tests.browser.support import check_page, expect, fresh, label, sign_in, snapshot, translated
from tests.factories import StaffFactory, UserFactory, pdf_bytes
from tests.softlanding.factories import open_small_case, tasks_of

pytestmark = pytest.mark.browser


def test_an_overseas_founder_submits_a_step_with_a_document_and_staff_approve_it_in_japanese(site):
    founder = UserFactory(name="Lena Hartmann", locale="en")
    concierge = StaffFactory(name="Yamada Aoi", locale="ja")
    case = open_small_case(founder=founder, staff=concierge, today=tokyo_today(), company_name="Aurora Robotics")
    passport = tasks_of(case)["passport"]

    # The founder opens the checklist and the first step.
    founder_page = site.person("en-US", timezone="Europe/Berlin")
    sign_in(founder_page, founder)
    founder_page.locator("nav.navbar").get_by_role("link", name="Soft landing").click()
    expect(founder_page.get_by_role("heading", level=1)).to_have_text("Landing checklist: Aurora Robotics")
    check_page(site, founder_page, "landing-case")
    founder_page.locator("#next-steps").get_by_role("link", name="Step passport").click()
    expect(founder_page.locator("h1 .badge")).to_have_text("To do")
    check_page(site, founder_page, "task")

    # … uploads the passport scan and sends the step for review.
    founder_page.get_by_label("Document", exact=True).set_input_files(
        {"name": "passport-hartmann.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    founder_page.get_by_role("button", name="Upload").click()
    expect(founder_page.get_by_text("The document has been uploaded.")).to_be_visible()
    expect(founder_page.locator("#documents")).to_contain_text("passport-hartmann.pdf")
    founder_page.get_by_label("Note for programme staff (optional)").fill("Scan of the photo page.")
    founder_page.get_by_role("button", name="Submit for review").click()
    expect(founder_page.get_by_text("The step has been sent to programme staff for review.")).to_be_visible()
    expect(founder_page.locator("h1 .badge")).to_have_text("Awaiting review")

    # Meanwhile the concierge, in Japanese, finds it in the queue and approves it.
    office = site.person("ja-JP")
    sign_in(office, concierge)
    office.locator("nav.navbar").get_by_role("link", name=translated("Landing queue")).click()
    check_page(site, office, "landing-queue")
    office.locator("#awaiting-review").get_by_role("link", name="手続き passport").click()
    expect(office.locator("#documents")).to_contain_text("passport-hartmann.pdf")
    expect(office.locator("h1 .badge")).to_have_text(label(TaskState.SUBMITTED.label, "ja"))
    check_page(site, office, "task-review")
    office.get_by_label(translated("Comment for the founder (optional)")).fill("確認しました。ありがとうございます。")
    office.get_by_role("button", name=translated("Approve"), exact=True).click()
    expect(office.get_by_text(translated("The step has been approved."), exact=False)).to_be_visible()

    # The founder sees it done, the comment, and the next step open.
    founder_page.reload()
    expect(founder_page.locator("h1 .badge")).to_have_text("Done")
    expect(founder_page.locator(".comment").last).to_contain_text("確認しました。ありがとうございます。")
    founder_page.get_by_role("link", name="Landing checklist").click()
    snapshot(site, founder_page, "landing-case-after")

    fresh()
    tasks = tasks_of(case)
    assert tasks["passport"].state is TaskState.DONE
    assert tasks["housing"].state is TaskState.TODO
    document = db.session.scalars(select(TaskDocument).where(TaskDocument.task_id == passport.id)).one()
    assert document.file.original_filename == "passport-hartmann.pdf"
