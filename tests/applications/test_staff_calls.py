"""Staff run calls: verticals, calls and their states, the rubric, the list of applications, exports.

Pages are read in English (``?lang=en``) unless a test is about the Japanese side; times are entered
and shown in Japan time and stored in UTC.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from flask_babel import force_locale, format_datetime, gettext
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from kakehashi.accounts.models import Startup
from kakehashi.applications import views as application_views
from kakehashi.applications.judging.decisions import release_decisions
from kakehashi.applications.models import Application, ApplicationState, Call, CallState, Criterion, Vertical
from kakehashi.core.audit import AuditEvent
from kakehashi.core.db import utcnow
from kakehashi.core.storage import StoredFile
from kakehashi.extensions import db
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CriterionFactory,
    StaffFactory,
    StartupFactory,
    VerticalFactory,
    attach_deck,
    member_of,
)

# --- helpers -------------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a browser would show of a form: inputs, selects, checkboxes, and the forms' actions."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: dict[str, str] = {}
        self.checked: dict[str, list[str]] = {}
        self.options: dict[str, list[tuple[str, str, bool]]] = {}
        self.actions: list[str] = []
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "action" in a:
            self.actions.append(a["action"])
        elif tag == "input" and a.get("type") == "checkbox":
            self.checked.setdefault(a["name"], [])
            if "checked" in a:
                self.checked[a["name"]].append(a["value"])
        elif tag == "input" and "name" in a:
            self.inputs[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._select, self._text = "textarea:" + a["name"], ""
        elif tag == "select":
            self._select = a["name"]
            self.options[a["name"]] = []
        elif tag == "option":
            self._option, self._text = (a.get("value", ""), "selected" in a), ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select and self._option:
            value, selected = self._option
            self.options[self._select].append((value, self._text.strip(), selected))
            self._option = None
        elif tag == "textarea" and self._select:
            # Like a browser: one newline right after <textarea> is not part of the value.
            self.inputs[self._select.removeprefix("textarea:")] = re.sub(r"^\r?\n", "", self._text)
            self._select = None
        elif tag == "select":
            self._select = None

    def selected(self, name: str) -> list[str]:
        return [value for value, _text, selected in self.options[name] if selected]


def staff_user(login_as: Any) -> Any:
    staff = StaffFactory(locale="en")
    login_as(staff)
    return staff


def call_form(vertical: Vertical, **overrides: Any) -> dict[str, Any]:
    data = {
        "vertical_id": str(vertical.id),
        "title-ja": "フィンテック・アクセラレーター2027",
        "title-en": "FinTech Accelerator 2027",
        "summary-ja": "金融の未来をつくるスタートアップへ",
        "summary-en": "For startups building the future of finance",
        "description-ja": "",
        "description-en": "",
        "eligibility-ja": "",
        "eligibility-en": "",
        "opens_at": "2027-04-01T09:00",
        "closes_at": "2027-05-31T17:00",
        "seats": "8",
        "target_applications": "120",
        "judges_per_application": "3",
        "deck_max_mb": "25",
        "blind_fields": ["startup_name", "founders"],
    }
    data.update(overrides)
    return data


def criterion_form(**overrides: Any) -> dict[str, str]:
    data = {
        "name-ja": "市場性",
        "name-en": "Market potential",
        "guidance-ja": "市場の大きさと成長性",
        "guidance-en": "How large and fast-growing the market is",
        "weight": "2.5",
        "scale_min": "0",
        "scale_max": "10",
    }
    data.update(overrides)
    return data


def state_buttons(client: Any, call: Call) -> list[str]:
    """The states the call page offers to move to, in the order of its buttons."""
    page = Page(client.get(f"/admin/calls/{call.id}?lang=en").text)
    prefix = f"/admin/calls/{call.id}/state/"
    return [action.removeprefix(prefix) for action in page.actions if action.startswith(prefix)]


def rubric(client: Any, call: Call) -> list[str]:
    """The criteria names in the rubric table of the call's page, top to bottom."""
    page = client.get(f"/admin/calls/{call.id}?lang=en").text
    return [unescape(name) for name in re.findall(r'<tr>\s*<td>([^<]*)</td>\s*<td class="small text-prewrap">', page)]


def call_state_events(call: Call) -> list[tuple[str, str]]:
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "call.state", AuditEvent.object_id == call.id)
        .order_by(AuditEvent.id)
    )
    return [(event.data["from"], event.data["to"]) for event in events]


def applicant(call: Call, name_en: str, *, name_ja: str | None = None, **values: Any) -> Application:
    """An application to ``call`` by a new startup; startup fields (country, is_overseas) and answers."""
    startup_fields = {key: values.pop(key) for key in ("country", "is_overseas", "website") if key in values}
    name = {"en": name_en} if name_ja is None else {"ja": name_ja, "en": name_en}
    values.setdefault("state", ApplicationState.SUBMITTED)
    if values["state"] is not ApplicationState.DRAFT:
        values.setdefault("submitted_at", datetime(2027, 4, 10, 3, 0, tzinfo=UTC))
    return ApplicationFactory(call=call, startup=StartupFactory(name=name, **startup_fields), **values)


def listed(client: Any, call: Call, query: str = "") -> list[str]:
    """The startup names in the staff list of the call's applications, top to bottom."""
    response = client.get(f"/admin/calls/{call.id}/applications?lang=en&{query}")
    assert response.status_code == 200
    return [unescape(name) for name in re.findall(r'<td><a href="/applications/\d+">(.*?)</a></td>', response.text)]


def shown_in_english(moment: datetime, fmt: str = "medium") -> str:
    """How English pages show ``moment`` (Babel's format, in Japan time)."""
    with force_locale("en"):
        return format_datetime(moment, fmt)


def read_csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def read_xlsx(response: Any) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- verticals -----------------------------------------------------------------------------------


def test_staff_add_a_vertical_with_a_bilingual_name(client, login_as):
    staff = staff_user(login_as)
    response = client.post(
        "/admin/verticals?lang=en",
        data={"name-ja": "フィンテック", "name-en": "FinTech", "description-ja": "", "description-en": "Money"},
        follow_redirects=True,
    )
    assert "The vertical has been added." in response.text
    vertical = db.session.scalars(select(Vertical)).one()
    assert (vertical.name, vertical.description, vertical.active) == (
        {"ja": "フィンテック", "en": "FinTech"},
        {"en": "Money"},
        False,  # the box was not ticked
    )
    assert "FinTech" in response.text
    assert "フィンテック" in client.get("/admin/verticals?lang=ja").text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "vertical.created")).one()
    assert (event.actor_id, event.object_id) == (staff.id, vertical.id)


def test_a_vertical_named_in_one_language_is_enough(client, login_as):
    staff_user(login_as)
    client.post("/admin/verticals", data={"name-ja": "", "name-en": "GreenTech", "active": "y"})
    vertical = db.session.scalars(select(Vertical)).one()
    assert (vertical.name, vertical.active) == ({"en": "GreenTech"}, True)
    # Shown in Japanese pages too, falling back to the language it has.
    assert "GreenTech" in client.get("/admin/verticals?lang=ja").text


def test_a_vertical_without_a_name_is_refused_and_nothing_is_stored(client, login_as):
    staff_user(login_as)
    response = client.post(
        "/admin/verticals?lang=en", data={"name-ja": "  ", "name-en": "", "description-en": "Typed text", "active": "y"}
    )
    assert response.status_code == 200
    assert "Enter this in Japanese, English or both." in response.text
    assert Page(response.text).inputs["description-en"] == "Typed text"
    assert db.session.scalar(select(func.count(Vertical.id))) == 0


def test_a_too_long_vertical_name_is_refused(client, login_as):
    staff_user(login_as)
    response = client.post("/admin/verticals?lang=en", data={"name-en": "x" * 121, "active": "y"})
    assert "Field cannot be longer than 120 characters." in response.text
    assert db.session.scalar(select(func.count(Vertical.id))) == 0


def test_staff_edit_a_vertical_and_retire_it(client, login_as):
    staff = staff_user(login_as)
    vertical = VerticalFactory(name={"ja": "ライフサイエンス", "en": "Life Science"})
    page = Page(client.get(f"/admin/verticals/{vertical.id}?lang=en").text)
    assert (page.inputs["name-ja"], page.inputs["name-en"], page.checked["active"]) == (
        "ライフサイエンス",
        "Life Science",
        ["y"],
    )

    response = client.post(
        f"/admin/verticals/{vertical.id}?lang=en",
        data={"name-ja": "ライフサイエンス・ヘルスケア", "name-en": "Life Science & Health"},
        follow_redirects=True,
    )
    assert "The vertical has been saved." in response.text
    assert "Life Science &amp; Health" in response.text
    assert "Retired" in response.text
    assert (vertical.name, vertical.active) == (
        {"ja": "ライフサイエンス・ヘルスケア", "en": "Life Science & Health"},
        False,
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "vertical.updated")).one()
    assert (event.actor_id, event.object_id) == (staff.id, vertical.id)


def test_editing_a_vertical_with_bad_input_changes_nothing(client, login_as):
    staff_user(login_as)
    vertical = VerticalFactory(name={"ja": "分野", "en": "Sector"})
    response = client.post(f"/admin/verticals/{vertical.id}?lang=en", data={"name-ja": "", "name-en": ""})
    assert response.status_code == 200
    assert "Enter this in Japanese, English or both." in response.text
    assert (vertical.name, vertical.active) == ({"ja": "分野", "en": "Sector"}, True)


def test_retired_verticals_are_not_offered_for_new_calls(client, login_as):
    staff_user(login_as)
    offered = VerticalFactory(name={"en": "FinTech"})
    retired = VerticalFactory(name={"en": "Entertainment Tech"}, active=False)
    page = Page(client.get("/admin/calls/new?lang=en").text)
    assert [text for _value, text, _selected in page.options["vertical_id"]] == ["FinTech"]

    response = client.post("/admin/calls/new?lang=en", data=call_form(retired))
    assert "Not a valid choice." in response.text
    assert db.session.scalar(select(func.count(Call.id))) == 0

    # A call already in the retired vertical keeps it on its edit form.
    call = CallFactory(vertical=retired, state=CallState.DRAFT)
    page = Page(client.get(f"/admin/calls/{call.id}/edit?lang=en").text)
    assert [(text, selected) for _value, text, selected in page.options["vertical_id"]] == [
        ("FinTech", False),
        ("Entertainment Tech", True),
    ]
    assert offered.active


def test_without_an_offered_vertical_staff_are_asked_to_add_one_first(client, login_as):
    staff_user(login_as)
    VerticalFactory(active=False)
    response = client.get("/admin/calls/new?lang=en", follow_redirects=True)
    assert response.request.path == "/admin/verticals"
    assert "Add a vertical first: every call belongs to one." in response.text


# --- calls -----------------------------------------------------------------------------------------


def test_a_new_call_is_a_draft_with_times_entered_in_japan_time(client, login_as):
    staff = staff_user(login_as)
    vertical = VerticalFactory(name={"en": "FinTech"})
    response = client.post("/admin/calls/new?lang=en", data=call_form(vertical), follow_redirects=True)
    assert "The call has been created as a draft." in response.text

    call = db.session.scalars(select(Call)).one()
    assert response.request.path == f"/admin/calls/{call.id}"
    assert call.state is CallState.DRAFT
    assert call.opens_at == datetime(2027, 4, 1, 0, 0, tzinfo=UTC)
    assert call.closes_at == datetime(2027, 5, 31, 8, 0, tzinfo=UTC)
    assert call.title == {"ja": "フィンテック・アクセラレーター2027", "en": "FinTech Accelerator 2027"}
    assert (call.description, call.eligibility) == (None, None)
    assert (call.seats, call.target_applications, call.judges_per_application, call.deck_max_mb) == (8, 120, 3, 25)
    assert call.blind_fields == ["startup_name", "founders"]
    assert call.vertical_id == vertical.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.created")).one()
    assert (event.actor_id, event.object_id) == (staff.id, call.id)

    # The call's page shows the Japan times and the hidden fields.
    assert shown_in_english(call.opens_at) in response.text
    assert "9:00:00" in shown_in_english(call.opens_at)
    assert "Startup name, Founders" in response.text


def test_the_edit_form_shows_the_stored_times_in_japan_time(client, login_as):
    staff_user(login_as)
    call = CallFactory(
        state=CallState.DRAFT,
        opens_at=datetime(2027, 4, 1, 0, 0, tzinfo=UTC),
        closes_at=datetime(2027, 5, 31, 14, 59, tzinfo=UTC),
        blind_fields=["country"],
    )
    page = Page(client.get(f"/admin/calls/{call.id}/edit?lang=en").text)
    assert (page.inputs["opens_at"], page.inputs["closes_at"]) == ("2027-04-01T09:00", "2027-05-31T23:59")
    assert page.checked["blind_fields"] == ["country"]
    assert page.inputs["title-en"] == call.title["en"]
    assert (page.inputs["seats"], page.inputs["deck_max_mb"]) == ("10", "20")


def test_staff_edit_a_call_and_its_blind_fields(client, login_as):
    staff = staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT, blind_fields=["startup_name", "website"])
    data = call_form(call.vertical, closes_at="2027-06-30T23:59", target_applications="200")
    del data["blind_fields"]  # every box unticked
    response = client.post(f"/admin/calls/{call.id}/edit?lang=en", data=data, follow_redirects=True)
    assert "The call has been saved." in response.text
    assert call.closes_at == datetime(2027, 6, 30, 14, 59, tzinfo=UTC)
    assert (call.target_applications, call.blind_fields) == (200, [])
    assert call.state is CallState.DRAFT
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.updated")).one()
    assert (event.actor_id, event.object_id) == (staff.id, call.id)


def test_an_unknown_blind_field_is_refused(client, login_as):
    staff_user(login_as)
    vertical = VerticalFactory()
    response = client.post("/admin/calls/new?lang=en", data=call_form(vertical, blind_fields=["password"]))
    assert "Please correct the highlighted fields." in response.text
    assert db.session.scalar(select(func.count(Call.id))) == 0


@pytest.mark.parametrize(
    "opens_at, closes_at",
    [("2027-05-31T17:00", "2027-04-01T09:00"), ("2027-04-01T09:00", "2027-04-01T09:00")],
    ids=["before", "same-minute"],
)
def test_a_deadline_not_after_the_opening_is_refused(client, login_as, opens_at, closes_at):
    staff_user(login_as)
    vertical = VerticalFactory()
    response = client.post("/admin/calls/new?lang=en", data=call_form(vertical, opens_at=opens_at, closes_at=closes_at))
    assert response.status_code == 200
    assert "The deadline must be after the opening time." in response.text
    assert Page(response.text).inputs["title-en"] == "FinTech Accelerator 2027"  # what was typed is kept
    assert db.session.scalar(select(func.count(Call.id))) == 0


def test_editing_a_call_to_end_before_it_opens_changes_nothing(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    before = (call.opens_at, call.closes_at, call.title)
    response = client.post(
        f"/admin/calls/{call.id}/edit?lang=en",
        data=call_form(call.vertical, opens_at="2027-05-01T09:00", closes_at="2027-04-30T09:00"),
    )
    assert "The deadline must be after the opening time." in response.text
    assert (call.opens_at, call.closes_at, call.title) == before


def test_a_missing_opening_time_is_explained(client, login_as):
    staff_user(login_as)
    response = client.post("/admin/calls/new?lang=en", data=call_form(VerticalFactory(), opens_at=""))
    assert "Enter the date and time the call opens." in response.text
    assert db.session.scalar(select(func.count(Call.id))) == 0


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("seats", "-1", "Number must be between 0 and 1000."),
        ("target_applications", "0", "Number must be between 1 and 100000."),
        ("judges_per_application", "0", "Number must be between 1 and 20."),
        ("judges_per_application", "21", "Number must be between 1 and 20."),
        ("deck_max_mb", "0", "Number must be between 1 and 50."),
        ("deck_max_mb", "51", "Number must be between 1 and 50."),
        ("seats", "ten", "Not a valid integer value."),
    ],
)
def test_numbers_out_of_range_are_refused(client, login_as, field, value, message):
    staff_user(login_as)
    response = client.post("/admin/calls/new?lang=en", data=call_form(VerticalFactory(), **{field: value}))
    assert response.status_code == 200
    assert message in response.text
    assert Page(response.text).inputs[field] == value
    assert db.session.scalar(select(func.count(Call.id))) == 0


def test_a_call_without_a_title_or_summary_is_refused(client, login_as):
    staff_user(login_as)
    data = call_form(VerticalFactory(), **{"title-ja": "", "title-en": "", "summary-ja": " ", "summary-en": ""})
    response = client.post("/admin/calls/new?lang=en", data=data)
    assert response.text.count("Enter this in Japanese, English or both.") == 2
    assert db.session.scalar(select(func.count(Call.id))) == 0


def test_every_state_change_goes_through_the_buttons_and_is_audited(client, login_as):
    staff = staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)

    def press(state: str) -> str:
        assert state in state_buttons(client, call)
        response = client.post(f"/admin/calls/{call.id}/state/{state}?lang=en", follow_redirects=True)
        assert response.request.path == f"/admin/calls/{call.id}"
        return response.text

    assert state_buttons(client, call) == ["open"]
    assert "The call is now “Open”." in press("open")
    assert state_buttons(client, call) == ["draft", "closed"]
    assert "The call is now “Draft”." in press("draft")
    press("open")
    assert "The call is now “Closed (judging)”." in press("closed")
    # A closed call is decided by releasing its decisions (judging), not by a button here.
    assert state_buttons(client, call) == ["open"]
    press("open")  # re-opened, e.g. to extend the deadline
    press("closed")
    release_decisions(call, by=staff)
    db.session.commit()
    assert state_buttons(client, call) == ["archived"]
    assert "The call is now “Archived”." in press("archived")
    assert state_buttons(client, call) == []
    assert call.state is CallState.ARCHIVED

    assert call_state_events(call) == [
        ("draft", "open"),
        ("open", "draft"),
        ("draft", "open"),
        ("open", "closed"),
        ("closed", "open"),
        ("open", "closed"),
        ("closed", "decided"),
        ("decided", "archived"),
    ]
    actors = db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "call.state")).all()
    assert set(actors) == {staff.id}


EN_LABELS = {
    CallState.DRAFT: "Draft",
    CallState.OPEN: "Open",
    CallState.CLOSED: "Closed (judging)",
    CallState.DECIDED: "Decided",
    CallState.ARCHIVED: "Archived",
}


@pytest.mark.parametrize(
    "start, target",
    [
        (CallState.DRAFT, CallState.CLOSED),
        (CallState.DRAFT, CallState.ARCHIVED),
        (CallState.OPEN, CallState.ARCHIVED),
        (CallState.DECIDED, CallState.OPEN),
        (CallState.DECIDED, CallState.CLOSED),
        (CallState.ARCHIVED, CallState.OPEN),
        (CallState.ARCHIVED, CallState.DRAFT),
        (CallState.OPEN, CallState.OPEN),
    ],
)
def test_a_state_jump_the_rules_do_not_allow_is_refused(client, login_as, start, target):
    staff_user(login_as)
    call = CallFactory(state=start)
    response = client.post(f"/admin/calls/{call.id}/state/{target.value}?lang=en", follow_redirects=True)
    assert f"This cannot change from “{EN_LABELS[start]}” to “{EN_LABELS[target]}”." in response.text
    assert call.state is start
    assert call_state_events(call) == []


@pytest.mark.parametrize("start", [CallState.DRAFT, CallState.OPEN, CallState.CLOSED])
def test_no_button_decides_a_call(client, login_as, start):
    """Only releasing the decisions (judging) moves a call to decided, even from closed."""
    staff_user(login_as)
    call = CallFactory(state=start)
    response = client.post(f"/admin/calls/{call.id}/state/decided?lang=en", follow_redirects=True)
    assert '<div class="alert alert-danger" role="alert">' in response.text
    assert "The call is now" not in response.text
    assert call.state is start
    assert call_state_events(call) == []


def test_a_refused_state_jump_is_explained_in_japanese(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    response = client.post(f"/admin/calls/{call.id}/state/closed?lang=ja", follow_redirects=True)
    with force_locale("ja"):
        expected = gettext(
            "This cannot change from “%(current)s” to “%(new)s”.",
            current=gettext("Draft"),
            new=gettext("Closed (judging)"),
        )
    assert "に変更することはできません。" in expected
    assert expected in response.text
    assert call.state is CallState.DRAFT


def test_an_unknown_state_in_the_address_is_not_found(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    assert client.post(f"/admin/calls/{call.id}/state/published").status_code == 404
    assert client.post(f"/admin/calls/{call.id}/state/OPEN").status_code == 404
    assert client.post("/admin/calls/999999/state/open").status_code == 404
    assert call.state is CallState.DRAFT
    assert call_state_events(call) == []


def test_a_state_button_without_its_csrf_token_changes_nothing(client, login_as, csrf_enabled):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    assert client.post(f"/admin/calls/{call.id}/state/open").status_code == 400
    assert call.state is CallState.DRAFT


def test_only_staff_run_calls(client, login_as):
    call = CallFactory(state=CallState.DRAFT)
    assert client.get("/admin/calls").status_code == 302  # to the login page
    login_as(member_of(StartupFactory()))
    for url in ("/admin/calls", "/admin/calls/new", f"/admin/calls/{call.id}", "/admin/verticals"):
        assert client.get(url).status_code == 403
    assert client.post(f"/admin/calls/{call.id}/state/open").status_code == 403
    assert call.state is CallState.DRAFT


def test_an_open_call_refuses_submissions_after_its_deadline():
    opens, closes = datetime(2027, 4, 1, 0, 0, tzinfo=UTC), datetime(2027, 5, 31, 8, 0, tzinfo=UTC)
    call = Call(state=CallState.OPEN, opens_at=opens, closes_at=closes)
    assert not call.is_open_at(opens - timedelta(seconds=1))
    assert call.is_open_at(opens)
    assert call.is_open_at(closes - timedelta(seconds=1))
    assert not call.is_open_at(closes)
    assert not call.is_open_at(closes + timedelta(seconds=1))
    for state in (CallState.DRAFT, CallState.CLOSED, CallState.DECIDED, CallState.ARCHIVED):
        assert not Call(state=state, opens_at=opens, closes_at=closes).is_open_at(opens + timedelta(days=1))


def test_staff_are_warned_when_an_open_call_is_past_its_deadline_and_nobody_can_apply(client, login_as):
    call = CallFactory(
        state=CallState.OPEN, opens_at=utcnow() - timedelta(days=30), closes_at=utcnow() - timedelta(minutes=1)
    )
    assert not call.is_open
    founder = member_of(StartupFactory())
    login_as(founder)
    response = client.post(f"/calls/{call.id}/apply?lang=en", follow_redirects=True)
    assert "This call is not accepting applications" in response.text
    assert db.session.scalar(select(func.count(Application.id))) == 0

    staff_user(login_as)
    page = client.get(f"/admin/calls/{call.id}?lang=en").text
    assert "The deadline has passed: submissions are refused." in page


# --- the rubric ------------------------------------------------------------------------------------


def test_staff_add_a_bilingual_criterion_with_weight_and_scale(client, login_as):
    staff = staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    response = client.post(f"/admin/calls/{call.id}/criteria?lang=en", data=criterion_form(), follow_redirects=True)
    assert "The criterion has been added." in response.text
    criterion = db.session.scalars(select(Criterion)).one()
    assert (criterion.call_id, criterion.name, criterion.guidance) == (
        call.id,
        {"ja": "市場性", "en": "Market potential"},
        {"ja": "市場の大きさと成長性", "en": "How large and fast-growing the market is"},
    )
    assert (criterion.weight, criterion.scale_min, criterion.scale_max) == (Decimal("2.5"), 0, 10)
    assert "Market potential" in response.text
    assert "0–10" in response.text
    assert "市場性" in client.get(f"/admin/calls/{call.id}?lang=ja").text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.rubric_changed")).one()
    assert (event.actor_id, event.object_id, event.data) == (staff.id, call.id, {"criterion": criterion.id})


def test_a_new_criterion_has_the_default_scale_of_one_to_five(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    page = Page(client.get(f"/admin/calls/{call.id}?lang=en").text)
    assert (page.inputs["weight"], page.inputs["scale_min"], page.inputs["scale_max"]) == ("1.00", "1", "5")


def test_criteria_are_listed_in_the_order_they_were_added(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.OPEN)
    for name in ("Team", "Market", "Product"):
        client.post(f"/admin/calls/{call.id}/criteria", data=criterion_form(**{"name-ja": "", "name-en": name}))
    assert rubric(client, call) == ["Team", "Market", "Product"]
    positions = db.session.scalars(select(Criterion.position).order_by(Criterion.id)).all()
    assert positions == sorted(positions) and len(set(positions)) == 3


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"scale_min": "5", "scale_max": "5"}, "The highest score must be above the lowest."),
        ({"scale_min": "7", "scale_max": "3"}, "The highest score must be above the lowest."),
        ({"weight": "0"}, "Number must be between 0.01 and 1000."),
        ({"weight": "-1"}, "Number must be between 0.01 and 1000."),
        ({"name-ja": "", "name-en": ""}, "Enter this in Japanese, English or both."),
    ],
)
def test_a_bad_criterion_is_refused_with_a_message(client, login_as, overrides, message):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    response = client.post(f"/admin/calls/{call.id}/criteria?lang=en", data=criterion_form(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert db.session.scalar(select(func.count(Criterion.id))) == 0


def test_staff_edit_a_criterion(client, login_as):
    staff_user(login_as)
    criterion = CriterionFactory(
        call=CallFactory(state=CallState.OPEN),
        name={"ja": "チーム", "en": "Team"},
        guidance={"en": "Experience"},
        weight=Decimal("1.50"),
    )
    call = criterion.call
    page = Page(client.get(f"/admin/calls/{call.id}/criteria/{criterion.id}?lang=en").text)
    assert (page.inputs["name-ja"], page.inputs["name-en"], page.inputs["guidance-en"]) == (
        "チーム",
        "Team",
        "Experience",
    )
    assert (page.inputs["weight"], page.inputs["scale_min"], page.inputs["scale_max"]) == ("1.50", "1", "5")

    response = client.post(
        f"/admin/calls/{call.id}/criteria/{criterion.id}?lang=en",
        data=criterion_form(**{"name-en": "Team strength", "guidance-ja": "", "weight": "3", "scale_max": "7"}),
        follow_redirects=True,
    )
    assert "The criterion has been saved." in response.text
    assert (criterion.name, criterion.guidance) == (
        {"ja": "市場性", "en": "Team strength"},
        {"en": "How large and fast-growing the market is"},
    )
    assert (criterion.weight, criterion.scale_min, criterion.scale_max) == (Decimal("3"), 0, 7)


def test_editing_a_criterion_with_a_bad_scale_changes_nothing(client, login_as):
    staff_user(login_as)
    criterion = CriterionFactory(call=CallFactory(state=CallState.DRAFT), name={"en": "Team"})
    response = client.post(
        f"/admin/calls/{criterion.call_id}/criteria/{criterion.id}?lang=en",
        data=criterion_form(scale_min="3", scale_max="2"),
    )
    assert "The highest score must be above the lowest." in response.text
    assert Page(response.text).inputs["name-en"] == "Market potential"  # what was typed is kept
    assert (criterion.name, criterion.weight, criterion.scale_min, criterion.scale_max) == (
        {"en": "Team"},
        Decimal("1"),
        1,
        5,
    )


def test_staff_remove_a_criterion(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    keep, remove = CriterionFactory(call=call), CriterionFactory(call=call)
    response = client.post(f"/admin/calls/{call.id}/criteria/{remove.id}/delete?lang=en", follow_redirects=True)
    assert "The criterion has been removed." in response.text
    assert db.session.scalars(select(Criterion.id)).all() == [keep.id]
    assert rubric(client, call) == [keep.name["en"]]


def test_a_criterion_of_another_call_is_not_found(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.DRAFT)
    other = CriterionFactory(call=CallFactory(state=CallState.DRAFT))
    assert client.get(f"/admin/calls/{call.id}/criteria/{other.id}").status_code == 404
    assert client.post(f"/admin/calls/{call.id}/criteria/{other.id}", data=criterion_form()).status_code == 404
    assert client.post(f"/admin/calls/{call.id}/criteria/{other.id}/delete").status_code == 404
    assert db.session.scalar(select(func.count(Criterion.id))) == 1
    assert other.name != {"ja": "市場性", "en": "Market potential"}


@pytest.mark.parametrize("state", [CallState.CLOSED, CallState.DECIDED, CallState.ARCHIVED])
def test_the_rubric_cannot_change_once_judging_starts(client, login_as, state):
    staff_user(login_as)
    criterion = CriterionFactory(call=CallFactory(state=state), name={"en": "Team"}, weight=Decimal("2"))
    call = criterion.call
    locked = "The rubric can no longer change: judging has started."

    page = client.get(f"/admin/calls/{call.id}?lang=en").text
    assert "Judging has started: the rubric can no longer change." in page
    assert f"/admin/calls/{call.id}/criteria" not in page  # no add, edit or remove controls

    added = client.post(f"/admin/calls/{call.id}/criteria?lang=en", data=criterion_form(), follow_redirects=True)
    edited = client.post(
        f"/admin/calls/{call.id}/criteria/{criterion.id}?lang=en", data=criterion_form(), follow_redirects=True
    )
    removed = client.post(f"/admin/calls/{call.id}/criteria/{criterion.id}/delete?lang=en", follow_redirects=True)
    for response in (added, edited, removed):
        assert locked in response.text

    assert db.session.scalars(select(Criterion.id)).all() == [criterion.id]
    assert (criterion.name, criterion.weight, criterion.scale_max) == ({"en": "Team"}, Decimal("2"), 5)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "call.rubric_changed")) == 0


def test_the_rubric_can_still_change_while_the_call_is_open(client, login_as):
    staff_user(login_as)
    call = CallFactory(state=CallState.OPEN)
    client.post(f"/admin/calls/{call.id}/criteria", data=criterion_form())
    assert db.session.scalar(select(func.count(Criterion.id))) == 1


# --- the applications of a call -------------------------------------------------------------------


def test_the_list_counts_applications_against_the_target(client, login_as):
    staff_user(login_as)
    call = CallFactory(target_applications=100)
    applicant(call, "Alpha")
    applicant(call, "Beta")
    applicant(call, "Gamma", state=ApplicationState.UNDER_REVIEW)
    applicant(call, "Delta", state=ApplicationState.DRAFT)
    applicant(call, "Epsilon", state=ApplicationState.WITHDRAWN)

    page = client.get(f"/admin/calls/{call.id}/applications?lang=en").text
    assert "3 of 100 applications" in page
    for label, n in (("Submitted", 2), ("Under review", 1), ("Draft", 1), ("Withdrawn", 1), ("Accepted", 0)):
        assert f">{label}: {n}</a>" in page
    assert "3 of 100" in client.get(f"/admin/calls/{call.id}?lang=en").text

    overview = client.get("/admin/calls?lang=en").text
    assert "3 of 100" in overview
    assert "+2 drafts or withdrawn" in overview


def test_a_call_without_applications_shows_zero_of_the_target(client, login_as):
    staff_user(login_as)
    call = CallFactory(target_applications=30)
    page = client.get(f"/admin/calls/{call.id}/applications?lang=en").text
    assert "0 of 30 applications" in page
    assert "No applications match." in page


def test_staff_filter_applications_by_status_country_and_base(client, login_as):
    staff_user(login_as)
    call = CallFactory()
    at = datetime(2027, 4, 10, 3, 0, tzinfo=UTC)
    applicant(call, "Tokyo Pay", country="JP", submitted_at=at)
    applicant(
        call, "Osaka Bio", country="JP", state=ApplicationState.UNDER_REVIEW, submitted_at=at - timedelta(hours=1)
    )
    applicant(call, "Boston Pay", country="US", is_overseas=True, submitted_at=at - timedelta(hours=2))
    applicant(call, "Fukuoka Draft", country="JP", state=ApplicationState.DRAFT)
    applicant(
        call,
        "Berlin Ltd",
        country="DE",
        is_overseas=True,
        state=ApplicationState.WITHDRAWN,
        submitted_at=at - timedelta(hours=4),
    )
    # A Japanese subsidiary of an overseas company: based in Japan, yet overseas.
    applicant(call, "Seoul KK", country="JP", is_overseas=True, submitted_at=at - timedelta(hours=3))
    applicant(CallFactory(), "Other Call Inc")

    # Latest submission first; drafts (never submitted) last.
    assert listed(client, call) == ["Tokyo Pay", "Osaka Bio", "Boston Pay", "Seoul KK", "Berlin Ltd", "Fukuoka Draft"]
    assert listed(client, call, "status=submitted") == ["Tokyo Pay", "Boston Pay", "Seoul KK"]
    assert listed(client, call, "status=draft") == ["Fukuoka Draft"]
    assert listed(client, call, "country=US") == ["Boston Pay"]
    assert listed(client, call, "country=JP&status=submitted") == ["Tokyo Pay", "Seoul KK"]
    assert listed(client, call, "overseas=yes") == ["Boston Pay", "Seoul KK", "Berlin Ltd"]
    assert listed(client, call, "overseas=no") == ["Tokyo Pay", "Osaka Bio", "Fukuoka Draft"]

    page = Page(client.get(f"/admin/calls/{call.id}/applications?lang=en&country=US").text)
    assert [text for _value, text, _selected in page.options["country"]] == ["All", "Germany", "Japan", "United States"]
    assert page.selected("country") == ["US"]


def test_the_submitted_date_filter_uses_tokyo_days(client, login_as):
    staff_user(login_as)
    call = CallFactory()
    applicant(call, "Late March", submitted_at=datetime(2027, 3, 31, 14, 0, tzinfo=UTC))  # 23:00 on 31 March
    applicant(call, "Early April", submitted_at=datetime(2027, 3, 31, 23, 30, tzinfo=UTC))  # 08:30 on 1 April
    applicant(call, "Second April", submitted_at=datetime(2027, 4, 1, 15, 0, tzinfo=UTC))  # 00:00 on 2 April
    applicant(call, "Still Draft", state=ApplicationState.DRAFT)

    assert listed(client, call, "submitted_from=2027-04-01&submitted_to=2027-04-01") == ["Early April"]
    assert listed(client, call, "submitted_to=2027-03-31") == ["Late March"]
    assert listed(client, call, "submitted_from=2027-04-01") == ["Second April", "Early April"]
    assert listed(client, call, "submitted_from=2027-04-02&submitted_to=2027-04-02") == ["Second April"]

    # The list shows the Japan time.
    page = client.get(f"/admin/calls/{call.id}/applications?lang=en&q=early").text
    assert shown_in_english(datetime(2027, 3, 31, 23, 30, tzinfo=UTC), "short") in page
    assert "4/1/27, 8:30" in shown_in_english(datetime(2027, 3, 31, 23, 30, tzinfo=UTC), "short")


def test_a_bad_date_in_the_filter_is_explained(client, login_as):
    staff_user(login_as)
    call = CallFactory()
    response = client.get(f"/admin/calls/{call.id}/applications?lang=en&submitted_from=31/04/2027")
    assert response.status_code == 200
    assert "Not a valid date value." in response.text


def test_staff_search_by_startup_name_in_either_language_ignoring_case(client, login_as):
    staff_user(login_as)
    call = CallFactory()
    applicant(call, "Sakura Robotics", name_ja="さくらロボティクス株式会社")
    applicant(call, "ACME Payments", name_ja="アクメ決済")
    applicant(call, "Wide Ｆｕｌｌ", name_ja="ワイド")

    assert listed(client, call, "q=ロボティクス") == ["Sakura Robotics"]
    assert listed(client, call, "q=robotics") == ["Sakura Robotics"]
    assert listed(client, call, "q=acme+PAY") == ["ACME Payments"]
    assert listed(client, call, "q=+++決済++") == ["ACME Payments"]
    assert listed(client, call, "q=nothing+like+this") == []
    assert listed(client, call, "q=ｆｕｌｌ") == ["Wide Ｆｕｌｌ"]


def test_percent_and_underscore_in_a_search_are_literal(client, login_as):
    staff_user(login_as)
    call = CallFactory()
    applicant(call, "100% Organic")
    applicant(call, "1000 Organic")
    applicant(call, "Data_Lab")
    applicant(call, "DataXLab")
    applicant(call, "Back\\slash")

    assert listed(client, call, "q=100%25") == ["100% Organic"]
    assert listed(client, call, "q=%25") == ["100% Organic"]
    assert listed(client, call, "q=a_l") == ["Data_Lab"]
    assert listed(client, call, "q=_") == ["Data_Lab"]
    assert listed(client, call, "q=k%5Cs") == ["Back\\slash"]


def test_the_list_is_paginated_and_keeps_its_filters(app, client, login_as):
    app.config["PER_PAGE"] = 2
    staff_user(login_as)
    call = CallFactory()
    base = datetime(2027, 4, 10, 3, 0, tzinfo=UTC)
    for i in range(5):
        applicant(call, f"Startup {i}", submitted_at=base + timedelta(minutes=i))
    applicant(call, "A draft", state=ApplicationState.DRAFT)

    pages = [listed(client, call, f"status=submitted&page={n}") for n in (1, 2, 3)]
    assert pages == [["Startup 4", "Startup 3"], ["Startup 2", "Startup 1"], ["Startup 0"]]
    page = client.get(f"/admin/calls/{call.id}/applications?lang=en&status=submitted&page=2").text
    assert "Page 2 of 3" in page
    assert "5 results" in page
    links = {unescape(href) for href in re.findall(r'class="page-link" href="([^"]+)"', page)}
    assert links == {
        f"/admin/calls/{call.id}/applications?lang=en&status=submitted&page=1",
        f"/admin/calls/{call.id}/applications?lang=en&status=submitted&page=3",
    }
    # Beyond the last page: an empty page, not an error.
    assert listed(client, call, "status=submitted&page=9") == []


def test_the_result_count_covers_every_state_unfiltered_and_only_matches_filtered(client, login_as, count_queries):
    # Unfiltered, the total is the sum of the counts by state (no count query); filtered, it is counted.
    staff_user(login_as)
    call = CallFactory()
    applicant(call, "Alpha")
    applicant(call, "Beta", state=ApplicationState.UNDER_REVIEW)
    applicant(call, "Gamma", state=ApplicationState.DRAFT)
    applicant(call, "Delta", state=ApplicationState.WITHDRAWN)
    applicant(CallFactory(), "Elsewhere")
    url = f"/admin/calls/{call.id}/applications?lang=en"
    assert "4 results" in client.get(url).text
    assert "1 result<" in client.get(url + "&status=draft").text
    assert "0 results" in client.get(url + "&q=nothing").text
    # An invalid filter form lists (and counts) everything, as before.
    assert "4 results" in client.get(url + "&submitted_from=31/04/2027").text
    with count_queries() as unfiltered:
        client.get(url)
    with count_queries() as filtered:
        client.get(url + "&status=draft")
    assert filtered.count == unfiltered.count + 1


def test_html_in_a_startup_name_is_shown_escaped(client, login_as):
    staff_user(login_as)
    call = CallFactory(title={"en": "<b>Bold</b> call"})
    applicant(call, '<script>alert("x")</script>')
    page = client.get(f"/admin/calls/{call.id}/applications?lang=en").text
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert listed(client, call) == ['<script>alert("x")</script>']
    assert "<b>Bold</b>" not in client.get("/admin/calls?lang=en").text
    assert "&lt;b&gt;Bold&lt;/b&gt; call" in client.get(f"/admin/calls/{call.id}?lang=en").text


def test_applicants_cannot_see_the_staff_list(client, login_as):
    call = CallFactory()
    application = applicant(call, "Mine")
    login_as(member_of(application.startup))
    assert client.get(f"/admin/calls/{call.id}/applications").status_code == 403


# --- export ----------------------------------------------------------------------------------------

EN_HEADERS = [
    "ID",
    "Startup (Japanese)",
    "Startup (English)",
    "Country",
    "Overseas",
    "Status",
    "Submitted (Japan time)",
    "Company overview",
    "Founders",
    "Team size",
    "Problem",
    "Solution",
    "Market",
    "Traction",
    "Funding raised to date (JPY)",
    "Latest valuation (JPY)",
    "Annual revenue (JPY)",
    "Overseas revenue share (%)",
    "Why this programme?",
    "Website",
    "Pitch deck",
]


@pytest.fixture
def export_call() -> tuple[Call, dict[str, Application]]:
    call = CallFactory(title={"ja": "フィンテック[2027]: 春", "en": "FinTech [2027]: spring"})
    kakehashi = applicant(
        call,
        "Kakehashi KK",
        name_ja="かけはし株式会社",
        website="https://kakehashi.example",
        submitted_at=datetime(2027, 3, 31, 23, 30, tzinfo=UTC),
        valuation_jpy=1_000_000_000,
        revenue_jpy=12_000_000,
        overseas_revenue_share=Decimal("12.50"),
        founders="山田花子（CEO）",
    )
    attach_deck(kakehashi, filename="ピッチ資料.pdf")
    evil = applicant(
        call,
        '=HYPERLINK("http://evil.example","click")',
        country="US",
        is_overseas=True,
        website="https://evil.example",
        submitted_at=datetime(2027, 4, 2, 1, 0, tzinfo=UTC),
        company_summary="=1+1",
        problem="+81 3 1234 5678",
        solution="-2+3",
        market="@SUM(A1:A2)",
        traction="\t=1",
        why_programme='Plain text, with a comma and a "quote"\nand a new line.',
    )
    draft = applicant(call, "Draft Co", state=ApplicationState.DRAFT)
    return call, {"kakehashi": kakehashi, "evil": evil, "draft": draft}


def test_the_csv_export_opens_in_excel_with_japanese_intact(client, login_as, export_call):
    staff_user(login_as)
    call, apps = export_call
    response = client.get(f"/admin/calls/{call.id}/applications.csv?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.data.count(b"\xef\xbb\xbf") == 1
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"call-{call.id}-applications.csv" in response.headers["Content-Disposition"]

    [headers, *body] = read_csv(response)
    assert headers == EN_HEADERS
    rows = {row[0]: dict(zip(headers, row, strict=True)) for row in body}
    assert list(rows) == [str(apps[name].id) for name in ("evil", "kakehashi", "draft")]
    assert rows[str(apps["kakehashi"].id)] == {
        "ID": str(apps["kakehashi"].id),
        "Startup (Japanese)": "かけはし株式会社",
        "Startup (English)": "Kakehashi KK",
        "Country": "Japan",
        "Overseas": "No",
        "Status": "Submitted",
        "Submitted (Japan time)": "2027-04-01 08:30",
        "Company overview": "We make payments simple.",
        "Founders": "山田花子（CEO）",
        "Team size": "4",
        "Problem": "Payments are slow.",
        "Solution": "Instant settlement.",
        "Market": "SMEs in Japan.",
        "Traction": "20 pilot customers.",
        "Funding raised to date (JPY)": "50000000",
        "Latest valuation (JPY)": "1000000000",
        "Annual revenue (JPY)": "12000000",
        "Overseas revenue share (%)": "12.5",
        "Why this programme?": "To reach Asia.",
        "Website": "https://kakehashi.example",
        "Pitch deck": "ピッチ資料.pdf",
    }
    draft = rows[str(apps["draft"].id)]
    assert (draft["Status"], draft["Submitted (Japan time)"], draft["Latest valuation (JPY)"]) == ("Draft", "", "")


def test_formulas_typed_by_applicants_are_neutralised_in_the_csv(client, login_as, export_call):
    staff_user(login_as)
    call, apps = export_call
    [headers, *body] = read_csv(client.get(f"/admin/calls/{call.id}/applications.csv?lang=en"))
    row = dict(zip(headers, next(r for r in body if r[0] == str(apps["evil"].id)), strict=True))
    assert row["Startup (English)"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Startup (Japanese)"] == ""
    assert (row["Company overview"], row["Problem"], row["Solution"], row["Market"], row["Traction"]) == (
        "'=1+1",
        "'+81 3 1234 5678",
        "'-2+3",
        "'@SUM(A1:A2)",
        "'\t=1",
    )
    assert row["Why this programme?"] == 'Plain text, with a comma and a "quote"\nand a new line.'
    assert (row["Country"], row["Overseas"], row["Submitted (Japan time)"]) == (
        "United States",
        "Yes",
        "2027-04-02 10:00",
    )


def test_the_export_has_headers_in_the_viewers_language(client, login_as, export_call):
    staff_user(login_as)
    call, apps = export_call
    [headers, *body] = read_csv(client.get(f"/admin/calls/{call.id}/applications.csv?lang=ja"))
    with force_locale("ja"):
        expected = [gettext(header) for header in EN_HEADERS]
        submitted = gettext("Submitted")
    assert headers == expected
    assert headers[EN_HEADERS.index("Status")] == "状態"
    row = dict(zip(EN_HEADERS, next(r for r in body if r[0] == str(apps["kakehashi"].id)), strict=True))
    assert (row["Country"], row["Status"]) == ("日本", submitted)
    assert read_xlsx(client.get(f"/admin/calls/{call.id}/applications.xlsx?lang=ja"))[0] == expected


def test_the_export_follows_the_filters(client, login_as, export_call):
    staff_user(login_as)
    call, apps = export_call
    [_headers, *body] = read_csv(client.get(f"/admin/calls/{call.id}/applications.csv?lang=en&status=submitted"))
    assert [row[0] for row in body] == [str(apps["evil"].id), str(apps["kakehashi"].id)]
    [_headers, *body] = read_csv(client.get(f"/admin/calls/{call.id}/applications.csv?lang=en&q=かけはし"))
    assert [row[0] for row in body] == [str(apps["kakehashi"].id)]
    tokyo_first_of_april = "submitted_from=2027-04-01&submitted_to=2027-04-01"
    [_headers, *body] = read_xlsx(client.get(f"/admin/calls/{call.id}/applications.xlsx?{tokyo_first_of_april}"))
    assert [row[0] for row in body] == [apps["kakehashi"].id]
    # The list page links to the export with the same filters.
    page = client.get(f"/admin/calls/{call.id}/applications?lang=en&status=submitted").text
    assert f'href="/admin/calls/{call.id}/applications.csv?lang=en&amp;status=submitted"' in page
    assert f'href="/admin/calls/{call.id}/applications.xlsx?lang=en&amp;status=submitted"' in page


def test_the_xlsx_export_has_the_same_rows_and_no_formulas(client, login_as, export_call):
    staff_user(login_as)
    call, apps = export_call
    csv_rows = read_csv(client.get(f"/admin/calls/{call.id}/applications.csv?lang=en"))
    response = client.get(f"/admin/calls/{call.id}/applications.xlsx?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"call-{call.id}-applications.xlsx" in response.headers["Content-Disposition"]

    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    assert sheet.title == "FinTech  2027   spring"
    xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [["" if v is None else str(v) for v in row] for row in xlsx_rows] == csv_rows
    # Numbers are numbers, and nothing an applicant typed became a formula.
    evil_row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == apps["evil"].id)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert evil_row[EN_HEADERS.index("Startup (English)")].value.startswith("'=")
    kakehashi_row = next(row for row in xlsx_rows if row[0] == apps["kakehashi"].id)
    assert kakehashi_row[EN_HEADERS.index("Funding raised to date (JPY)")] == 50_000_000
    assert kakehashi_row[EN_HEADERS.index("Startup (Japanese)")] == "かけはし株式会社"


def test_control_characters_pasted_into_an_answer_do_not_break_the_xlsx_export(client, login_as):
    staff_user(login_as)
    call = CallFactory()
    application = applicant(call, "Pasted Co", company_summary="Line one\x0bline two", problem="\x07=1+1")
    csv_row = read_csv(client.get(f"/admin/calls/{call.id}/applications.csv?lang=en"))[1]
    response = client.get(f"/admin/calls/{call.id}/applications.xlsx?lang=en")
    assert response.status_code == 200
    [_headers, xlsx_row] = read_xlsx(response)
    assert (xlsx_row[0], csv_row[0]) == (application.id, str(application.id))
    summary, problem = EN_HEADERS.index("Company overview"), EN_HEADERS.index("Problem")
    assert (xlsx_row[summary], xlsx_row[problem]) == ("Line oneline two", "'=1+1")
    assert (csv_row[summary], csv_row[problem]) == ("Line one\x0bline two", "\x07=1+1")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_audited(client, login_as, export_call, fmt):
    staff = staff_user(login_as)
    call, _apps = export_call
    client.get(f"/admin/calls/{call.id}/applications.{fmt}?status=submitted")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "call.applications_exported")).one()
    assert (event.actor_id, event.object_type, event.object_id, event.data) == (
        staff.id,
        "call",
        call.id,
        {"format": fmt, "rows": 2},
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_applicants_cannot_export(client, login_as, export_call, fmt):
    call, apps = export_call
    assert client.get(f"/admin/calls/{call.id}/applications.{fmt}").status_code == 302  # to the login page
    login_as(member_of(apps["kakehashi"].startup))
    response = client.get(f"/admin/calls/{call.id}/applications.{fmt}")
    assert response.status_code == 403
    assert "Kakehashi KK" not in response.text
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("call.%"))) == 0


def test_an_unknown_export_format_is_not_found(client, login_as):
    staff_user(login_as)
    call = CallFactory()
    assert client.get(f"/admin/calls/{call.id}/applications.pdf").status_code == 404
    assert client.get("/admin/calls/999999/applications.csv").status_code == 404


# --- speed -----------------------------------------------------------------------------------------


def bulk_applications(
    call: Call,
    count: int,
    start: int = 0,
    states: tuple[ApplicationState, ...] = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW),
) -> None:
    """``count`` applications in turn in ``states``, each with a startup and a deck, inserted in bulk."""
    now = utcnow()
    startups = [
        {
            "name": {"ja": f"一括{i}株式会社", "en": f"Bulk {i} Inc."},
            "search_name": f"一括{i}株式会社 bulk {i} inc.",
            "country": ("JP", "US", "SG")[i % 3],
            "is_overseas": i % 3 != 0,
            "website": f"https://bulk{i}.example",
        }
        for i in range(start, start + count)
    ]
    startup_ids = db.session.scalars(
        insert(Startup).returning(Startup.id, sort_by_parameter_order=True), startups
    ).all()
    decks = [
        {
            "key": f"bulk/{call.id}/{i}.pdf",
            "purpose": "pitch_deck",
            "original_filename": f"deck-{i}.pdf",
            "content_type": "application/pdf",
            "size": 1000,
            "sha256": "0" * 64,
        }
        for i in range(start, start + count)
    ]
    deck_ids = db.session.scalars(
        insert(StoredFile).returning(StoredFile.id, sort_by_parameter_order=True), decks
    ).all()
    db.session.execute(
        insert(Application),
        [
            {
                "call_id": call.id,
                "startup_id": startup_id,
                "deck_id": deck_id,
                "state": states[n % len(states)],
                "version": 1,
                "submitted_at": None
                if states[n % len(states)] is ApplicationState.DRAFT
                else now - timedelta(minutes=n),
                "team_size": 3,
                "funding_raised_jpy": 10_000_000 * (n % 7),
            }
            for n, (startup_id, deck_id) in enumerate(zip(startup_ids, deck_ids, strict=True), start=start)
        ],
    )
    db.session.commit()


def test_the_staff_list_of_2000_applications_takes_as_many_queries_as_20(client, login_as, count_queries):
    staff_user(login_as)
    call = CallFactory()
    bulk_applications(call, 20)
    url = f"/admin/calls/{call.id}/applications?lang=en"
    client.get(url)  # warm up (first use of templates, the signed-in user's session)
    with count_queries() as few:
        small = client.get(url).text
    bulk_applications(call, 1980, start=20)
    with count_queries() as many:
        large = client.get(url).text
    assert "20 of 100 applications" in small
    assert "2000 of 100 applications" in large
    assert len(re.findall(r'<td><a href="/applications/\d+">', large)) == 50
    assert large.count(">Download</a>") == 50
    assert many.count == few.count, "\n".join(many.statements)

    # Filtered and on a later page: one more (the filtered rows are counted; unfiltered, the total is the
    # sum of the counts by state the page shows anyway), whatever the number of rows.
    with count_queries() as filtered:
        response = client.get(url + "&status=submitted&overseas=yes&q=bulk&page=3")
    assert response.status_code == 200
    assert filtered.count == few.count + 1


def test_the_calls_overview_takes_as_many_queries_for_30_calls_as_for_3(client, login_as, count_queries):
    staff_user(login_as)

    def add_calls(n: int) -> None:
        for _ in range(n):
            call = CallFactory()
            bulk_applications(call, 2, start=10 * call.id, states=(ApplicationState.SUBMITTED, ApplicationState.DRAFT))

    add_calls(3)
    client.get("/admin/calls")
    with count_queries() as few:
        small = client.get("/admin/calls?lang=en").text
    add_calls(27)
    with count_queries() as many:
        large = client.get("/admin/calls?lang=en").text
    assert small.count("1 of 100") == 3
    assert large.count("1 of 100") == 30
    assert large.count("+1 drafts or withdrawn") == 30
    assert many.count == few.count, "\n".join(many.statements)


@pytest.mark.parametrize("url", ["/calls/", "/"])
def test_public_call_lists_take_as_many_queries_for_20_open_calls_as_for_2(client, count_queries, url):
    def add_open_calls(n: int) -> None:
        vertical = VerticalFactory()
        for _ in range(n):
            CallFactory(vertical=VerticalFactory() if _ % 2 else vertical)

    # Each size is counted twice: just after the change (the open calls are read again) and after that
    # (they come from core.cache).
    add_open_calls(2)
    CallFactory(state=CallState.DRAFT, title={"en": "Secret draft"})
    with count_queries() as few_fresh:
        client.get(url + "?lang=en")
    with count_queries() as few:
        small = client.get(url + "?lang=en").text
    add_open_calls(18)
    with count_queries() as many_fresh:
        client.get(url + "?lang=en")
    with count_queries() as many:
        large = client.get(url + "?lang=en").text
    assert len(re.findall(r'href="/calls/\d+"', small)) == 2
    assert len(re.findall(r'href="/calls/\d+"', large)) == 20
    assert "Secret draft" not in large
    assert many_fresh.count == few_fresh.count, "\n".join(many_fresh.statements)
    assert many.count == few.count, "\n".join(many.statements)


@pytest.mark.parametrize("url", ["/calls/", "/"])
def test_the_public_call_lists_show_every_change_at_once_and_drop_calls_past_their_deadline(client, url, monkeypatch):
    call = CallFactory(title={"en": "Batch one", "ja": "第1期"})
    later = CallFactory(closes_at=utcnow() + timedelta(days=30), title={"en": "Batch two", "ja": "第2期"})
    assert "Batch one" in client.get(url + "?lang=en").text  # read, then served from core.cache

    call.title = {"en": "Batch one, renamed", "ja": "第1期"}
    later.vertical.name = {"en": "Renamed sector", "ja": "分野"}
    db.session.commit()
    page = client.get(url + "?lang=en").text
    assert "Batch one, renamed" in page and "Renamed sector" in page

    call.state = CallState.CLOSED
    db.session.commit()
    page = client.get(url + "?lang=en").text
    assert "Batch one" not in page and "Batch two" in page

    # Past its deadline a call leaves the lists with no change to the data.
    monkeypatch.setattr(application_views, "utcnow", lambda: utcnow() + timedelta(days=31))
    page = client.get(url + "?lang=en").text
    assert "Batch two" not in page


def test_the_filter_selects_render_as_wtforms_does(app):
    from wtforms.fields.choices import SelectChoice
    from wtforms.widgets import Select

    from kakehashi.applications.forms import ApplicationFilterForm, _ListSelect

    with app.test_request_context("/?lang=en&country=A%26B"):
        form = ApplicationFilterForm(country_codes=["JP"], formdata=None, data={"country": 'A&B"'})
        form.country.choices = [
            SelectChoice("", "All"),
            SelectChoice('A&B"', "<Bosnia & 'Herzegovina'>"),
            SelectChoice("JP", ""),
            SelectChoice("X", "Extra", render_kw={"disabled": True}),
        ]
        for field in (form.status, form.country, form.overseas):
            assert str(_ListSelect()(field, class_="form-select")) == str(Select()(field, class_="form-select"))
        assert '<option selected value="A&amp;B&#34;">&lt;Bosnia &amp; &#39;Herzegovina&#39;&gt;</option>' in str(
            form.country()
        )


def test_counts_and_countries_in_one_query_match_the_separate_ones(app, count_queries):
    from kakehashi.applications import queries

    call = CallFactory()
    applicant(call, "A", country="US")
    applicant(call, "B", country="JP", state=ApplicationState.DRAFT)
    applicant(call, "C", country="JP")
    applicant(call, "D", country="DE", state=ApplicationState.WITHDRAWN)
    applicant(CallFactory(), "Elsewhere", country="FR")
    assert call.id  # loaded before counting
    with count_queries() as one:
        counts, codes = queries.counts_and_countries(call)
    assert one.count == 1
    assert counts == queries.state_counts(call)
    assert codes == queries.country_codes(call) == ["DE", "JP", "US"]
    assert queries.counts_and_countries(CallFactory()) == ({state: 0 for state in ApplicationState}, [])
