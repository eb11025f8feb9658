"""``send_reminders`` / ``flask softlanding remind``: a firm due date within 3 days or past, once a day per step.

A due date is firm once every step it rests on is finished: a deadline rule's anchor, or (without a rule)
the step's dependencies, whose completion fixes its planned date (start + typical duration).
"""

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kakehashi.core.outbox import OutboundEmail
from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.cli import softlanding_cli
from kakehashi.softlanding.models import Party, TaskState
from kakehashi.softlanding.schedule import plan_case, tokyo_today
from tests.factories import StaffFactory, UserFactory
from tests.softlanding.factories import open_small_case, tasks_of

OPENED = date(2026, 5, 1)
HOUSED = date(2026, 5, 4)  # registration is due 14 days later: 18 May


@pytest.fixture
def staff():
    return StaffFactory(locale="ja")


def passport_approved(staff, founder=None):
    """Passport done on the opening day; housing (10 days, no deadline rule) is the founder's: due 11 May."""
    case = open_small_case(founder=founder or UserFactory(locale="en"), staff=staff, today=OPENED)
    passport = tasks_of(case)["passport"]
    passport.state = TaskState.SUBMITTED
    services.approve_task(passport, by=staff, today=OPENED)
    db.session.commit()
    return case


def housed_case(staff, founder=None, housed_on=HOUSED):
    """Passport and housing done; registration (due 14 days after housing) is to do."""
    case = passport_approved(staff, founder)
    services.complete_task(tasks_of(case)["housing"], by=staff, today=housed_on)
    db.session.commit()
    return case


def reminders() -> list[OutboundEmail]:
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.template == "softlanding/reminder").order_by(OutboundEmail.id)
        )
    )


def test_nothing_is_sent_while_the_deadline_is_more_than_3_days_away(staff):
    housed_case(staff)

    assert services.send_reminders(today=date(2026, 5, 14)) == 0
    assert reminders() == []


def test_a_step_due_within_3_days_is_reminded_in_the_founders_language(staff):
    founder = UserFactory(locale="en")
    case = housed_case(staff, founder)

    assert services.send_reminders(today=date(2026, 5, 15)) == 1

    [email] = reminders()
    assert (email.to_address, email.locale) == (founder.email, "en")
    assert "Step registration: due May 18, 2026" in email.body_text
    assert f"/landing/tasks/{tasks_of(case)['registration'].id}" in email.body_text
    assert tasks_of(case)["registration"].reminded_on == date(2026, 5, 15)


def test_an_overdue_step_is_reminded_as_overdue(staff):
    housed_case(staff)

    assert services.send_reminders(today=date(2026, 5, 25)) == 1
    assert "overdue (it was due May 18, 2026)" in reminders()[0].body_text


def test_running_twice_on_the_same_day_sends_nothing_new(staff):
    housed_case(staff)

    assert services.send_reminders(today=date(2026, 5, 16)) == 1
    db.session.commit()
    assert services.send_reminders(today=date(2026, 5, 16)) == 0
    assert len(reminders()) == 1


def test_the_next_day_the_step_is_reminded_again(staff):
    housed_case(staff)
    services.send_reminders(today=date(2026, 5, 16))
    db.session.commit()

    assert services.send_reminders(today=date(2026, 5, 17)) == 1
    assert len(reminders()) == 2


def test_one_email_per_founder_listing_their_steps(staff):
    founder = UserFactory(locale="ja")
    case = housed_case(staff, founder)
    tasks = tasks_of(case)
    # A second deadline of the same founder: a step due 2 days after the passport.
    tasks["consult"].deadline_after, tasks["consult"].deadline_days = "passport", 2
    tasks["consult"].party = tasks["passport"].party
    housed_case(staff)  # another founder
    db.session.commit()

    assert services.send_reminders(today=date(2026, 5, 16)) == 2

    emails = {e.to_address: e for e in reminders()}
    assert emails[founder.email].locale == "ja"
    assert tasks["consult"].reminded_on == tasks["registration"].reminded_on == date(2026, 5, 16)


def test_submitted_done_and_staff_side_steps_are_not_reminded(staff):
    case = housed_case(staff)
    registration = tasks_of(case)["registration"]
    registration.state = TaskState.SUBMITTED
    db.session.commit()

    assert services.send_reminders(today=date(2026, 5, 25)) == 0


def test_a_closed_case_is_not_reminded(staff):
    case = housed_case(staff)
    services.close_case(case, by=staff)
    db.session.commit()

    assert services.send_reminders(today=date(2026, 5, 25)) == 0


def test_a_projected_due_date_is_not_a_deadline_yet(staff):
    # The founder's "consult" is due the day the passport is done; the passport is not done, so that date
    # is only its projection (4 May) and still moves. The passport's own date rests on nothing: it is firm.
    case = open_small_case(founder=UserFactory(), staff=staff, today=OPENED)
    tasks = tasks_of(case)
    tasks["consult"].party = Party.FOUNDER
    tasks["consult"].deadline_after, tasks["consult"].deadline_days = "passport", 0
    db.session.commit()
    today = date(2026, 5, 2)
    consult = plan_case(case, list(tasks.values()), today).tasks["consult"]
    assert (consult.due, consult.due_is_projected) == (date(2026, 5, 4), True)

    assert services.send_reminders(today=today) == 1

    [email] = reminders()
    assert "Step passport: due May 4, 2026" in email.body_text
    assert "Step consult" not in email.body_text
    assert tasks["consult"].reminded_on is None


# --- steps without a deadline rule: their planned date (start + typical duration) ---------------------


def test_a_step_without_a_deadline_rule_is_reminded_once_its_planned_date_is_within_3_days(staff):
    case = passport_approved(staff)  # housing: from 1 May (passport done), 10 days → due 11 May
    housing = tasks_of(case)["housing"]

    assert services.send_reminders(today=date(2026, 5, 7)) == 0
    assert services.send_reminders(today=date(2026, 5, 8)) == 1

    [email] = reminders()
    assert "Step housing: due May 11, 2026" in email.body_text
    assert f"/landing/tasks/{housing.id}" in email.body_text
    assert housing.reminded_on == date(2026, 5, 8)


def test_a_step_past_its_planned_date_is_reminded_as_overdue_once_a_day(staff):
    case = passport_approved(staff)
    housing = tasks_of(case)["housing"]
    services.start_task(housing, by=case.founder)
    db.session.commit()

    assert services.send_reminders(today=date(2026, 5, 13)) == 1
    db.session.commit()
    assert services.send_reminders(today=date(2026, 5, 13)) == 0
    assert services.send_reminders(today=date(2026, 5, 14)) == 1

    emails = reminders()
    assert len(emails) == 2
    assert all("Step housing: overdue (it was due May 11, 2026)" in e.body_text for e in emails)


def test_a_step_with_nothing_before_it_has_a_firm_date_from_the_opening(staff):
    case = open_small_case(founder=UserFactory(), staff=staff, today=OPENED)  # passport: 3 days, due 4 May

    assert services.send_reminders(today=date(2026, 6, 30)) == 1
    assert "Step passport: overdue (it was due May 4, 2026)" in reminders()[0].body_text
    assert tasks_of(case)["passport"].reminded_on == date(2026, 6, 30)


def test_the_remind_command_commits_and_says_how_many(app, staff):
    housed_case(staff)
    runner = app.test_cli_runner()

    first = runner.invoke(softlanding_cli, ["remind", "--date", "2026-05-17"])
    second = runner.invoke(softlanding_cli, ["remind", "--date", "2026-05-17"])

    assert first.exit_code == 0, first.output
    assert "Sent 1 reminder email(s) for 2026-05-17." in first.output
    assert "Sent 0 reminder email(s) for 2026-05-17." in second.output
    db.session.remove()
    assert len(reminders()) == 1


def test_the_remind_command_refuses_a_bad_date(app):
    result = app.test_cli_runner().invoke(softlanding_cli, ["remind", "--date", "17/05/2026"])

    assert result.exit_code != 0
    assert "Invalid value" in result.output


@pytest.mark.postgres_only
def test_two_runs_at_once_send_each_reminder_once(app, staff):
    """The second run skips the case the first has claimed (row lock, SKIP LOCKED) and sends nothing.
    Without the claim it reminds the same step and fails on the task's version check."""
    housed_case(staff)
    first_claimed = threading.Event()
    sent: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            if name == "second":
                first_claimed.wait(timeout=10)
            with app.app_context():
                sent[name] = services.send_reminders(today=date(2026, 5, 17))
                if name == "first":
                    first_claimed.set()
                    time.sleep(0.5)  # the second run happens now
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            first_claimed.set()
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sent == {"first": 1, "second": 0}
    assert len(reminders()) == 1


def test_no_reminder_on_the_day_a_step_becomes_available(staff):
    today = tokyo_today()
    open_small_case(founder=UserFactory(), staff=staff, today=today)  # passport (3 days) is due in 3 days

    assert services.send_reminders(today=today) == 0  # the founder was just sent the "case opened" email
    assert services.send_reminders(today=today + timedelta(days=1)) == 1
