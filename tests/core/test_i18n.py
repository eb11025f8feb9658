"""Both languages, always: locale selection, the Japanese catalogue, dates and money."""

from __future__ import annotations

import gettext
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from kakehashi.core.i18n import pick
from kakehashi.core.money import format_money, format_money_compact
from kakehashi.core.timezones import show_date, show_datetime, tokyo_day_bounds, tokyo_to_utc
from kakehashi.extensions import db
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


# --- choosing the language ----------------------------------------------------------------------


def lang_of(response) -> str:
    return response.text.split('<html lang="', 1)[1].split('"', 1)[0]


def test_japanese_is_the_default(client):
    assert lang_of(client.get("/")) == "ja"


def test_accept_language_is_respected(client):
    assert lang_of(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})) == "en"
    assert lang_of(client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})) == "ja"


def test_the_switcher_choice_is_remembered_for_the_session(client):
    assert lang_of(client.get("/?lang=en", headers={"Accept-Language": "ja"})) == "en"
    assert lang_of(client.get("/calls/", headers={"Accept-Language": "ja"})) == "en"
    assert lang_of(client.get("/?lang=ja")) == "ja"
    assert lang_of(client.get("/calls/")) == "ja"


def test_an_unknown_language_is_ignored(client):
    assert lang_of(client.get("/?lang=xx")) == "ja"


def test_the_switcher_choice_is_saved_for_a_signed_in_user(app, client, login_as):
    user = UserFactory(locale="ja")
    login_as(user)
    client.get("/?lang=en")
    db.session.refresh(user)
    assert user.locale == "en"
    other_browser = app.test_client()
    with other_browser.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert lang_of(other_browser.get("/", headers={"Accept-Language": "ja"})) == "en"


def test_the_switcher_links_keep_the_page_and_its_query(client):
    page = client.get("/admin/audit?action=user&lang=ja")
    assert page.status_code == 302  # staff only; the login page is what an anonymous reader sees
    page = client.get("/login?next=%2Faccount")
    assert 'href="/login?next=%2Faccount&amp;lang=en"' in page.text


# --- localised staff-authored text ---------------------------------------------------------------


def test_localised_text_picks_the_viewer_language_with_fallback(app):
    text = {"ja": "フィンテック", "en": "FinTech"}
    assert pick(text, "ja") == "フィンテック"
    assert pick(text, "en") == "FinTech"
    assert pick({"ja": "ライフサイエンス"}, "en") == "ライフサイエンス"
    assert pick({"en": "GreenTech"}, "ja") == "GreenTech"
    assert pick({}, "en") == ""
    assert pick(None, "ja") == ""


def test_localised_text_drops_empty_translations_when_stored(app):
    from kakehashi.accounts.models import Startup

    startup = Startup(name={"ja": "  ", "en": "Only English"}, country="JP")
    db.session.add(startup)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Startup, startup.id).name == {"en": "Only English"}


# --- dates and money ----------------------------------------------------------------------------


def test_times_are_shown_in_tokyo(app):
    moment = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)  # 00:30 on 1 April in Tokyo
    with app.test_request_context(), force_locale("en"):
        assert "Apr 1, 2026" in show_datetime(moment)
        assert "12:30" in show_datetime(moment)
        assert show_date(moment) == "Apr 1, 2026"
    with app.test_request_context(), force_locale("ja"):
        assert show_date(moment) == "2026/04/01"
        assert show_date(date(2026, 4, 1), "long") == "2026年4月1日"


def test_remembered_date_texts_follow_the_viewer_language_and_format(app):
    # Formatted dates are kept per worker: the same moment must still read right in each language,
    # format and zone it is asked for, whichever was asked first.
    moment = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    same_instant = moment.astimezone(timezone(timedelta(hours=-5)))
    seen = {}
    for _round in range(2):
        for lang in ("en", "ja", "en"):
            with app.test_request_context(), force_locale(lang):
                texts = (show_datetime(moment), show_datetime(same_instant), show_datetime(moment, "short"))
                texts += (show_date(moment), show_date(moment, "long"))
                assert texts == seen.setdefault(lang, texts)
    assert seen["en"][0] == seen["en"][1] and "Apr 1, 2026" in seen["en"][0]
    assert seen["en"][0] != seen["en"][2] and seen["ja"][3] == "2026/04/01"
    assert seen["ja"][4] == "2026年4月1日" and seen["en"][4] == "April 1, 2026"


def test_tokyo_wall_clock_times_are_stored_as_utc():
    assert tokyo_to_utc(datetime(2026, 4, 1, 9, 0)) == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    start, end = tokyo_day_bounds(date(2026, 4, 1))
    assert start == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2026, 4, 1, 15, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused_by_the_database_layer(app):
    from kakehashi.accounts.models import User

    user = UserFactory.build(last_login_at=datetime(2026, 1, 1, 9, 0))
    db.session.add(user)
    with pytest.raises(Exception, match="naive datetime"):
        db.session.flush()
    db.session.rollback()
    assert db.session.query(User).count() == 0


def test_stored_times_come_back_aware_and_in_utc(app):
    user = UserFactory(last_login_at=datetime(2026, 4, 1, 9, 0, tzinfo=tokyo_to_utc(datetime(2026, 1, 1)).tzinfo))
    db.session.expire_all()
    assert user.last_login_at.tzinfo is not None
    assert user.last_login_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("amount", "locale", "expected"),
    [
        (1_000_000_000, "en", "¥1,000,000,000"),
        (1_000_000_000, "ja", "￥1,000,000,000"),
        (0, "en", "¥0"),
    ],
)
def test_yen_is_formatted_by_babel(amount, locale, expected):
    assert format_money(amount, "JPY", locale=locale) == expected


def test_other_currencies_keep_their_minor_units():
    assert format_money(Decimal("1234.5"), "USD", locale="en") == "$1,234.50"
    assert format_money(Decimal("1234.5"), "EUR", locale="ja") == "€1,234.50"


@pytest.mark.parametrize(
    ("amount", "locale", "expected"),
    [
        (1_000_000_000, "ja", "10億円"),
        (10_000_000_000, "ja", "100億円"),
        (150_000_000, "ja", "1.5億円"),
        (35_000_000, "ja", "3500万円"),
        (1_000_000_000, "en", "¥1.0bn"),
        (1_500_000_000, "en", "¥1.5bn"),
        (250_000_000, "en", "¥250.0m"),
        (3_500_000_000_000, "en", "¥3.5tn"),
        (850_000, "en", "¥850,000"),
    ],
)
def test_large_yen_amounts_read_naturally(amount, locale, expected):
    assert format_money_compact(amount, "JPY", locale=locale) == expected


def test_compact_amounts_in_other_currencies_keep_their_symbol():
    assert format_money_compact(Decimal("2500000"), "USD", locale="en") == "$2.5m"
    assert format_money_compact(Decimal("2500000"), "USD", locale="ja") == "$250万"
    assert format_money_compact(-2_000_000_000, "JPY", locale="en") == "-¥2.0bn"


# --- the Japanese catalogue ---------------------------------------------------------------------


def _extract(tmp_path: Path) -> Path:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_ngettext:1,2",
            "-k",
            "lazy_pgettext:1c,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return pot


def test_every_string_in_the_code_is_translated_to_japanese(tmp_path):
    with open(_extract(tmp_path), "rb") as f:
        template = read_po(f)
    with open(PO, "rb") as f:
        catalogue = read_po(f, locale="ja")
    assert len(template) > 100, "extraction found too few strings: is babel.cfg right?"
    missing, untranslated, fuzzy = [], [], []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, message.context)
        if entry is None:
            missing.append(message.id)
        elif entry.fuzzy:
            fuzzy.append(message.id)
        elif not (all(entry.string) if isinstance(entry.string, tuple) else entry.string):
            untranslated.append(message.id)
    assert (missing, untranslated, fuzzy) == ([], [], []), "run `make translations` and translate"


def test_translations_keep_their_placeholders():
    with open(PO, "rb") as f:
        catalogue = read_po(f, locale="ja")
    import re

    wrong = []
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        for string in strings:
            if set(re.findall(r"%\(\w+\)[sd]", string)) != wanted:
                wrong.append(ids[0])
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    with open(PO, "rb") as f:
        catalogue = read_po(f, locale="ja")
    with open(MO, "rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = []
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            got = compiled.ngettext(message.id[0], message.id[1], 1)
            want = message.string[0]
        elif message.context:
            got = compiled.pgettext(message.context, message.id)
            want = message.string
        else:
            got = compiled.gettext(message.id)
            want = message.string
        if got != want:
            stale.append(message.id)
    assert stale == [], "the .mo is stale: run `make translations`"


def test_pages_render_in_japanese(client):
    page = client.get("/login?lang=ja")
    assert "ログイン" in page.text
    assert "Sign in" not in page.text.replace("sign in", "")


def test_remembered_template_texts_follow_the_viewer_language(app):
    # Texts without variables are kept per catalogue: alternating languages must never mix them up.
    from flask import render_template_string

    page = "{{ _('Sign in') }}|{{ _('Deadline: %(when)s', when='<b>') }}"
    for _round in range(2):
        for lang, expected in (("en", "Sign in|Deadline: &lt;b&gt;"), ("ja", "ログイン|締切：&lt;b&gt;")):
            with app.test_request_context(), force_locale(lang):
                assert render_template_string(page) == expected
