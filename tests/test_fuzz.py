"""Hostile input, fuzzed with Hypothesis: every form and every page's query parameters.

For each route that accepts a POST, the form that posts to it is found in the rendered pages (crawled
once as each role, in a world with one object of every kind: ``tests.test_access.build_world``), and its
fields are filled with hostile values: random Unicode, NUL characters, the right-to-left override,
10,000-character strings, text in number and date fields, huge and negative numbers, NaN and infinity,
several values for one field, stray fields (``is_staff``, ``status``…), in Japanese and in English.
Every GET route gets the same treatment on its query string (its filter form's fields, ``page``, ``q``,
``fy``, ``lang``, …). Each route is its own test, starting from the same world.

What must hold, whatever was sent:
- never a 5xx;
- an HTML page (a form with its errors, or an error page) or a redirect;
- nothing half-stored: a refused request (a form error, a "danger" message, a 4xx) changes no row count.

Runs are derandomised (the same examples every run, for CI); ``KAKEHASHI_FUZZ_EXAMPLES=200`` fuzzes
longer (and then randomly) on a developer's machine.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal, select, text, union_all
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from kakehashi.core import permissions
from kakehashi.extensions import db, limiter
from tests.conftest import empty_all_tables, is_postgres

# --- Hypothesis settings --------------------------------------------------------------------------

_EXAMPLES = int(os.environ.get("KAKEHASHI_FUZZ_EXAMPLES", "0"))
settings.register_profile(
    "kakehashi-fuzz",
    max_examples=_EXAMPLES or 15,
    deadline=None,
    derandomize=not _EXAMPLES,  # CI sees the same examples every run
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("kakehashi-fuzz")
# Query strings reach fewer code paths than forms: fewer examples each, fewest on pages with no list.
FUZZ_QUERY = settings(FUZZ, max_examples=_EXAMPLES or 10)
FUZZ_DETAIL = settings(FUZZ, max_examples=_EXAMPLES or 4)

# --- the routes, known when the tests are collected ------------------------------------------------

NOT_FUZZED = {"static", "bootstrap.static"}


def _route_table() -> tuple[list[str], list[str]]:
    from kakehashi import _register_blueprints

    probe = Flask("kakehashi-fuzz-probe")
    _register_blueprints(probe)
    posts, gets = set(), set()
    for rule in probe.url_map.iter_rules():
        if rule.endpoint in NOT_FUZZED:
            continue
        if "POST" in rule.methods:
            posts.add(rule.endpoint)
        if "GET" in rule.methods:
            gets.add(rule.endpoint)
    return sorted(posts), sorted(gets)


POST_ENDPOINTS, GET_ENDPOINTS = _route_table()
# GET routes that answer with a file, not a page: no forms to find on them.
FILES = re.compile(r"(download|deck|document|export|feed|receipt|healthz)$")

# --- forms, as a browser sees them ----------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # an <input> type, or "textarea" / "select"
    options: list[str] = field(default_factory=list)
    value: str | None = None  # what the browser would send untouched (None: nothing)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, Field] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    blind: bool = False  # not found on any page: guessed from every field seen anywhere

    def baseline(self) -> MultiDict:
        """The form as a browser submits it untouched (an edit form: the stored values)."""
        data: MultiDict = MultiDict()
        for spec in self.fields.values():
            if spec.kind != "file" and spec.value is not None and not self.blind:
                data.add(spec.name, spec.value)
        return data


class FormParser(HTMLParser):
    """Every <form> on a page: its action, method, fields (types, options, current values) and buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").upper())
            self.forms.append(self._form)
            return
        form = self._form
        name = a.get("name")
        if form is None:
            return
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            checked = "checked" in a
            if kind in ("submit", "image", "button", "reset"):
                form.buttons.append((name, a.get("value", "")))
            elif kind in ("radio", "checkbox"):
                spec = form.fields.setdefault(name, Field(name, kind, attrs=a))
                spec.options.append(a.get("value", "y"))
                if checked:
                    spec.value = a.get("value", "y")
            else:
                form.fields[name] = Field(name, kind, value=a.get("value", ""), attrs=a)
        elif tag == "textarea" and name:
            self._textarea = form.fields[name] = Field(name, "textarea", value="", attrs=a)
        elif tag == "select" and name:
            self._select = form.fields[name] = Field(name, "select", attrs=a)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a or self._select.value is None:
                self._select.value = a.get("value", "")
        elif tag == "button" and name:
            form.buttons.append((name, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value = (self._textarea.value or "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._textarea.value = (self._textarea.value or "").removeprefix("\r").removeprefix("\n")
            self._textarea = None


# --- hostile values -----------------------------------------------------------------------------------

RLO = "\u202e"
LONG = "あ" * 10_000
# Values that have broken forms and filters elsewhere: tried on every field of every form (below).
KILLERS = {
    "text": [LONG],
    "number": ["9" * 30],
    "date": ["9999-12-31", "0001-01-01"],
    "datetime-local": ["9999-12-31T23:59", "0001-01-01T00:00"],
}
QUERY_KILLERS = ["9" * 30, str(2**63), "-1", "9999-12-31", "0001-01-01", LONG]
EDGE_VALUES = [
    "",
    " ",
    "\t\r\n",
    "-1",
    "0",
    "-0",
    "1.5",
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "0x10",
    "１２３",  # full-width digits
    "٣",  # an Arabic-Indic digit
    "9" * 30,
    "-" + "9" * 30,
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    "2026-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01T25:61",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "true",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n%x",
    "{{ 7*7 }}",
    "../../etc/passwd",
    "javascript:alert(1)",
    "a@b",
    "\ufeff",
    "\u200b",
    f"{RLO}fdp.exe",
    "𠮷野家🍣",
]

HOSTILE = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.sampled_from(EDGE_VALUES),  # edges twice as likely as any other kind
    st.text(max_size=40),
    st.text(max_size=10).map(lambda s: f"{s}\x00{s}"),
    st.text(max_size=10).map(lambda s: f"{RLO}{s}\u202c"),
    st.sampled_from(["a", "あ", "9", RLO, " ", "𠮷", "<"]).map(lambda c: c * 10_000),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _plausible(spec: Field) -> st.SearchStrategy[str]:
    """A value a browser could send for the field (so that the hostile one next to it gets through)."""
    current = [spec.value] if spec.value else []
    if spec.kind in ("select", "radio", "checkbox") and spec.options:
        return st.sampled_from(current + spec.options)
    if spec.kind == "hidden":
        return st.just(spec.value or "")
    if spec.kind == "number":
        return st.sampled_from(current + ["1", "2", "10"])
    if spec.kind == "date":
        return st.sampled_from(current + ["2026-05-01", "2026-06-30"])
    if spec.kind == "datetime-local":
        return st.sampled_from(current + ["2026-05-01T10:00"])
    if spec.kind == "email":
        return st.sampled_from(current + ["someone@example.org", "ＡＢＣ@例え.jp"])
    if spec.kind == "url":
        return st.sampled_from(current + ["https://example.org/a", "http://例え.jp/"])
    return st.one_of(st.sampled_from(current or ["abc"]), st.text(alphabet="abcあいう漢字 1-", min_size=1, max_size=20))


def _file_value() -> st.SearchStrategy[tuple[io.BytesIO, str]]:
    from tests.core.pdfs import pdf_bytes

    contents = st.one_of(st.binary(max_size=200), st.just(pdf_bytes()), st.just(b"<html></html>"))
    names = st.one_of(st.just("file.pdf"), HOSTILE.filter(lambda s: len(s) < 500))
    return st.tuples(contents, names).map(lambda t: (io.BytesIO(t[0]), t[1]))


STRAY_FIELDS = ["is_staff", "status", "state", "score", "amount", "owner_id", "user_id", "id", "csrf_token"]


def _fillable(form: Form) -> list[Field]:
    return [spec for spec in form.fields.values() if spec.kind not in ("hidden", "file")]


@st.composite
def form_data(draw: Any, form: Form) -> tuple[MultiDict, bool]:
    """The form as shown with one field made hostile, or every field left out, plausible or hostile
    (several values at once, too); stray fields (``is_staff``…) now and then."""
    data = form.baseline()
    specs = _fillable(form)
    if form.blind and specs:
        specs = draw(st.lists(st.sampled_from(specs), max_size=8, unique_by=lambda f: f.name))
    if specs and draw(st.booleans()):
        target = draw(st.sampled_from(specs))
        data.setlist(target.name, [draw(HOSTILE)])
    else:
        for spec in specs:
            shape = draw(st.sampled_from(["omit", "plausible", "hostile", "hostile", "several"]))
            if shape == "omit":
                data.poplist(spec.name)
            elif shape == "plausible":
                data.setlist(spec.name, [draw(_plausible(spec))])
            elif shape == "hostile":
                data.setlist(spec.name, [draw(HOSTILE)])
            else:
                data.setlist(spec.name, draw(st.lists(st.one_of(_plausible(spec), HOSTILE), min_size=2, max_size=3)))
    multipart = False
    for spec in form.fields.values():
        if spec.kind == "file" and draw(st.booleans()):
            data.setlist(spec.name, [draw(_file_value())])
            multipart = True
    if form.buttons and draw(st.booleans()):
        data.add(*draw(st.sampled_from(form.buttons)))
    for name in draw(st.lists(st.sampled_from(STRAY_FIELDS), max_size=2, unique=True)):
        data.add(name, draw(HOSTILE))
    return data, multipart


def killer_examples(form: Form) -> list[MultiDict]:
    """The form as shown, with one field at a time set to the value most likely to break its kind."""
    if form.blind:
        return []
    examples = []
    for spec in _fillable(form):
        for killer in KILLERS.get(spec.kind, KILLERS["text"]):
            data = form.baseline()
            data.setlist(spec.name, [killer])
            examples.append(data)
    return examples


COMMON_QUERY = ["page", "q", "fy", "lang", "sort", "status", "per_page", "next", "year", "month", "call", "state"]


@st.composite
def query_data(draw: Any, names: list[str]) -> MultiDict:
    data: MultiDict = MultiDict()
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
        for value in draw(st.lists(HOSTILE, min_size=1, max_size=2)):
            data.add(name, value)
    return data


# --- the world, crawled once --------------------------------------------------------------------------

ROLES = ["anonymous", "applicant", "judge", "hub_staff", "staff"]


@dataclass
class Crawl:
    app: Flask
    users: dict[str, str | None]  # role -> the user's session id (``User.get_id()``)
    urls: dict[str, str]  # endpoint -> a URL for it
    rules: dict[str, str] = field(default_factory=dict)  # endpoint -> its rule
    forms: dict[str, tuple[str, Form]] = field(default_factory=dict)  # POST endpoint -> (role, form)
    pages: dict[str, str] = field(default_factory=dict)  # GET endpoint -> a role that sees it
    filters: dict[str, list[str]] = field(default_factory=dict)  # GET endpoint -> its GET form's fields
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # the world, table by table

    def blind_form(self) -> Form:
        known: dict[str, Field] = {}
        for _role, form in self.forms.values():
            for spec in form.fields.values():
                if spec.kind != "hidden":
                    known.setdefault(spec.name, spec)
        return Form(action="", method="POST", fields=dict(sorted(known.items())), blind=True)

    def client(self, role: str) -> Any:
        client = self.app.test_client()
        self.sign_in(client, role)
        return client

    def sign_in(self, client: Any, role: str) -> None:
        with client.session_transaction() as session:
            session.clear()
            if self.users.get(role) is not None:
                session["_user_id"] = self.users[role]
                session["_fresh"] = True

    def restore(self) -> None:
        """Put the crawled world back: every table emptied and refilled, sequences moved past it.

        (Tables are usually empty already, after the previous test; DELETE beats PostgreSQL's TRUNCATE
        on a few hundred rows.)
        """
        leftovers = any(row_counts().values())
        db.session.remove()
        with db.engine.begin() as connection:
            if leftovers:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
            for table in db.metadata.sorted_tables:
                if self.rows[table.name]:
                    connection.execute(table.insert(), self.rows[table.name])
            if connection.dialect.name == "postgresql":
                for table in db.metadata.sorted_tables:
                    if "id" in table.c and self.rows[table.name] and isinstance(self.rows[table.name][0]["id"], int):
                        connection.execute(
                            text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                            {"t": f'"{table.name}"', "n": max(r["id"] for r in self.rows[table.name])},
                        )


def _may_see(app: Flask, role: str, endpoint: str) -> bool:
    """Whether crawling ``endpoint`` as ``role`` can find anything (it keeps the crawl short)."""
    kind = permissions.policy_of(app, endpoint).kind
    if role == "anonymous":
        return kind == permissions.PUBLIC
    return role == "staff" or kind != permissions.STAFF


def _endpoint_of(app: Flask, action: str, page_url: str, method: str) -> str | None:
    path = urlsplit(action or page_url).path or urlsplit(page_url).path
    try:
        endpoint, _ = app.url_map.bind("kakehashi.test").match(path, method=method)
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


@pytest.fixture(scope="module")
def crawl(app: Flask) -> Iterator[Crawl]:
    from tests.test_access import SAMPLES, build_world

    limiter.enabled = False  # hundreds of sign-in attempts are the point here
    try:
        with app.app_context():
            empty_all_tables()
            world = build_world()
            users = {
                "anonymous": None,
                "applicant": world.applicant.get_id(),
                "judge": world.judge.get_id(),
                "hub_staff": world.other.get_id(),
                "staff": world.staff.get_id(),
            }
            urls: dict[str, str] = {}
            rules: dict[str, str] = {}
            with app.test_request_context():
                for rule in app.url_map.iter_rules():
                    if rule.endpoint in NOT_FUZZED:
                        continue
                    needs = [arg for arg in rule.arguments]
                    if needs and rule.endpoint not in SAMPLES:
                        continue  # no sample to build its URL from (the access test says so)
                    arguments = SAMPLES[rule.endpoint](world) if needs else {}
                    urls.setdefault(rule.endpoint, url_for(rule.endpoint, **arguments))
                    rules.setdefault(rule.endpoint, rule.rule)
            db.session.commit()
            found = Crawl(app=app, users=users, urls=urls, rules=rules)
            for role in ROLES:
                client = found.client(role)
                for endpoint in GET_ENDPOINTS:
                    if endpoint not in urls or FILES.search(endpoint) or not _may_see(app, role, endpoint):
                        continue
                    response = client.get(urls[endpoint])
                    found.sign_in(client, role)  # a page may have signed the client out
                    if response.status_code != 200 or response.mimetype != "text/html":
                        continue
                    found.pages.setdefault(endpoint, role)
                    parser = FormParser()
                    parser.feed(response.text)
                    for form in parser.forms:
                        target = _endpoint_of(app, form.action, urls[endpoint], form.method)
                        if target is None:
                            continue
                        if form.method == "POST":
                            found.forms.setdefault(target, (role, form))
                        elif target == endpoint:
                            found.filters.setdefault(endpoint, list(form.fields))
            db.session.commit()
            for table in db.metadata.sorted_tables:
                found.rows[table.name] = [dict(row) for row in db.session.execute(table.select()).mappings()]
            db.session.remove()
        yield found
    finally:
        limiter.enabled = True
        with app.app_context():
            db.session.remove()
            empty_all_tables()


# --- what must hold -----------------------------------------------------------------------------------


def row_counts(exclude: tuple[str, ...] = ()) -> dict[str, int]:
    """Rows in every table, in one query."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in exclude]
    query = union_all(*(select(literal(t.name), func.count()).select_from(t) for t in tables))
    counts = dict(db.session.execute(query).all())
    db.session.rollback()
    return counts


class Rows:
    """Row counts before each request: counted again only after a request that may have stored something."""

    def __init__(self, exclude: tuple[str, ...] = ()) -> None:
        self.exclude = exclude
        self.counts = row_counts(exclude)
        self.changed = False  # something was accepted: the world (and the page) may differ now

    def unchanged(self) -> bool:
        return row_counts(self.exclude) == self.counts

    def accepted(self) -> None:
        self.counts = row_counts(self.exclude)
        self.changed = True


ERROR_MARK = re.compile(r'class="invalid-feedback|class="alert alert-danger"')
FLASH = re.compile(r'class="alert alert-(success|info|warning|danger)" role=')


def _describe(method: str, url: str, data: Any, response: Any) -> str:
    def short(value: Any) -> Any:
        return f"{value[:30]!r}…({len(value)} chars)" if isinstance(value, str) and len(value) > 60 else value

    shown = [(k, short(v)) for k, v in data.items(multi=True)]
    return f"{method} {url} {shown!r} -> {response.status_code} {response.mimetype}"


def check(client: Any, method: str, url: str, data: Any, response: Any, rows: Rows, *, form_shown: bool) -> None:
    """Never a 5xx; a page or a redirect; a refusal stores nothing (and a form shown again says why)."""
    with response:  # a streamed file stays open until its response is closed
        what = _describe(method, url, data, response)
        assert response.status_code < 500, what
        flashed = _take_flashes(client)
        if 300 <= response.status_code < 400:
            refused = "danger" in flashed
        elif method == "GET" and response.status_code == 200 and response.mimetype != "text/html":
            refused = False  # a file or an export
        else:
            assert response.mimetype in ("text/html", "application/json"), what
            body = response.get_data(as_text=True)
            categories = set(FLASH.findall(body))
            refused = response.status_code >= 400 or (
                method == "POST" and not categories & {"success", "info", "warning"}
            )
            if method == "POST" and response.status_code == 200 and form_shown and not rows.changed:
                assert ERROR_MARK.search(body) or categories, f"the form came back without saying why: {what}"
    if refused:
        assert rows.unchanged(), f"a refused request stored something: {what}"
    else:
        rows.accepted()


def _take_flashes(client: Any) -> set[str]:
    with client.session_transaction() as session:
        return {category for category, _ in session.pop("_flashes", [])}


# --- the tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_form_values_get_a_clear_refusal_never_an_error(crawl: Crawl, endpoint: str) -> None:
    if endpoint not in crawl.urls:
        pytest.skip(f"{endpoint}: no URL sample in tests/test_access.py SAMPLES")
    role, form = crawl.forms.get(endpoint, (crawl.pages.get(endpoint, "staff"), None))
    if form is None:  # its form is on no page of this world: guess its fields from every form seen
        form = crawl.blind_form()
    url = crawl.urls[endpoint]
    crawl.restore()
    client = crawl.client(role)
    rows = Rows()

    def post_hostile_values(values: tuple[MultiDict, bool], lang: str) -> None:
        data, multipart = values
        crawl.sign_in(client, role)
        response = client.post(
            f"{url}?lang={lang}",
            data=data,
            content_type="multipart/form-data" if multipart else "application/x-www-form-urlencoded",
        )
        check(client, "POST", url, data, response, rows, form_shown=not form.blind)

    run = given(values=form_data(form), lang=st.sampled_from(["ja", "en"]))(post_hostile_values)
    for data in killer_examples(form):
        run = example(values=(data, False), lang="en")(run)
    FUZZ(run)()


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_hostile_query_parameters_never_break_a_page(crawl: Crawl, endpoint: str) -> None:
    if endpoint not in crawl.urls:
        pytest.skip(f"{endpoint}: no URL sample in tests/test_access.py SAMPLES")
    role = crawl.pages.get(endpoint, "staff")
    url = crawl.urls[endpoint]
    filters = crawl.filters.get(endpoint, [])
    names = sorted(set(filters) | set(COMMON_QUERY))
    crawl.restore()
    client = crawl.client(role)
    rows = Rows(exclude=("audit_event",))  # downloads and exports are audited

    def get_hostile_query(query: MultiDict) -> None:
        crawl.sign_in(client, role)
        response = client.get(url, query_string=query)
        check(client, "GET", url, query, response, rows, form_shown=False)

    run = given(query=query_data(names))(get_hostile_query)
    list_page = "<" not in crawl.rules[endpoint]
    if list_page:  # every filter, alone, at each edge (a filter that fails validation hides the others)
        for name in sorted(set(filters) | {"page", "q", "fy"}):
            for value in QUERY_KILLERS:
                run = example(query=MultiDict([(name, value)]))(run)
    (FUZZ_QUERY if list_page else FUZZ_DETAIL)(run)()


def test_the_crawl_finds_the_forms_of_most_post_routes(crawl: Crawl) -> None:
    """A guard on the fuzzer itself: routes whose form it cannot find are fuzzed blind."""
    blind = sorted(set(POST_ENDPOINTS) - set(crawl.forms))
    assert len(crawl.forms) >= 0.7 * len(POST_ENDPOINTS), blind


# --- messages WTForms formats itself ----------------------------------------------------------------------


def _kakehashi_form_classes() -> list[type]:
    from wtforms import Form as WTForm

    found, stack = [], list(WTForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("kakehashi."):
            found.append(cls)
    return found


def test_every_validator_message_survives_wtforms_percent_formatting_in_both_languages(app: Flask) -> None:
    """NumberRange, Length, EqualTo, AnyOf and NoneOf ``%``-format their message: a bare ``%`` in a
    translation (``割合（%）``) turned a wrong value into a 500. Such a ``%`` must be written ``%%``."""
    from flask_babel import force_locale
    from wtforms.fields.core import UnboundField
    from wtforms.validators import AnyOf, EqualTo, Length, NoneOf, NumberRange

    formatted = (NumberRange, Length, EqualTo, AnyOf, NoneOf)
    values = {"min": 1, "max": 2, "length": 3, "other_label": "x", "other_name": "x", "values": "x"}
    broken = []
    for cls in _kakehashi_form_classes():
        for name, unbound in vars(cls).items():
            if not isinstance(unbound, UnboundField):
                continue
            validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
            for validator in validators or []:
                if not isinstance(validator, formatted) or validator.message is None:
                    continue
                for lang in ("en", "ja"):
                    with force_locale(lang):
                        try:
                            str(validator.message) % values
                        except (ValueError, TypeError, KeyError) as error:
                            broken.append(f"{cls.__module__}.{cls.__name__}.{name} [{lang}]: {error}")
    assert broken == []


# --- NUL characters, decided once for every route ------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_nul_character_in_a_form_value_is_refused_with_a_clear_400_page(client: Any, lang: str) -> None:
    from tests.factories import UserFactory

    UserFactory(email="hana@example.org")
    before = row_counts()

    response = client.post(f"/register?lang={lang}", data={"email": "x\x00@example.org", "name": "Hana"})

    assert response.status_code == 400
    assert f'<html lang="{lang}">' in response.text
    if lang == "en":
        assert "The request contained a NUL character (U+0000), which cannot be saved." in response.text
    assert row_counts() == before


def test_a_nul_character_in_a_query_parameter_is_refused_too(client: Any) -> None:
    response = client.get("/calls/?lang=en&q=abc%00def")

    assert response.status_code == 400
    assert "NUL character" in response.text


@pytest.mark.parametrize("path", ["/landing/feeds/abc%00def.ics", "/partners/feeds/%00.ics", "/verify/a%00b"])
def test_a_nul_character_in_the_path_is_refused_too(client: Any, path: str) -> None:
    response = client.get(f"{path}?lang=en")

    assert response.status_code == 400
    assert "NUL character" in response.text


def test_a_nul_in_an_uploaded_files_name_is_not_a_form_value_and_is_cleaned_instead(client: Any, login_as: Any) -> None:
    from tests.core.pdfs import pdf_bytes
    from tests.factories import ApplicationFactory, member_of

    application = ApplicationFactory()
    login_as(member_of(application.startup))

    response = client.post(
        f"/applications/{application.id}/edit",
        data={"save": "1", "deck": (io.BytesIO(pdf_bytes()), "deck\x00.pdf")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert application.deck.original_filename == "deck.pdf"


def test_a_form_body_that_is_not_utf8_is_not_an_error(client: Any) -> None:
    response = client.post(
        "/login?lang=en", data=b"email=\xff\xfe%FF&password=\xc3\x28", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code in (200, 400)
    assert response.mimetype == "text/html"


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL refuses NUL in text; SQLite stores it")
def test_postgres_really_refuses_nul_which_is_why_requests_carrying_one_are_refused_first() -> None:
    from sqlalchemy.exc import DataError

    with pytest.raises((DataError, ValueError)):
        db.session.execute(text("SELECT :v"), {"v": "a\x00b"})
    db.session.rollback()


# --- the 500s the fuzzer found, pinned ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["page=" + "9" * 30, f"page={2**63}", "object_id=" + "9" * 30, "since=0001-01-01", "until=9999-12-31"],
)
def test_the_audit_log_answers_edge_filters_with_a_page(client: Any, login_as: Any, query: str) -> None:
    from tests.factories import StaffFactory

    login_as(StaffFactory())

    response = client.get(f"/admin/audit?lang=en&{query}")

    assert response.status_code == 200


def test_a_page_number_past_64_bits_shows_an_empty_page_on_every_paginated_list(client: Any, login_as: Any) -> None:
    from tests.factories import StaffFactory

    login_as(StaffFactory())

    for path in ("/admin/audit", "/admin/outbox", "/admin/users", "/partners/bookings/"):
        assert client.get(f"{path}?page={10**30}").status_code == 200, path


@pytest.mark.parametrize("opens_at", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_call_opening_at_the_edge_of_the_calendar_is_refused_with_a_message(
    client: Any, login_as: Any, opens_at: str
) -> None:
    from tests.factories import CallFactory, StaffFactory

    call = CallFactory()
    login_as(StaffFactory())
    before = row_counts()

    response = client.post(f"/admin/calls/{call.id}/edit?lang=en", data={"opens_at": opens_at})

    assert response.status_code == 200
    assert "Enter a date between" in response.text
    assert row_counts() == before


def test_a_call_form_posted_without_its_opening_time_keeps_the_stored_one_instead_of_failing(
    client: Any, login_as: Any
) -> None:
    from tests.factories import CallFactory, StaffFactory

    call = CallFactory()
    login_as(StaffFactory())

    response = client.post(f"/admin/calls/{call.id}/edit?lang=en", data={"closes_at": "2020-01-01T00:00"})

    assert response.status_code == 200
    assert "The deadline must be after the opening time." in response.text


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_percentage_that_is_not_a_number_is_refused_in_both_languages(client: Any, login_as: Any, lang: str) -> None:
    from tests.factories import ApplicationFactory, member_of

    application = ApplicationFactory()
    login_as(member_of(application.startup))

    response = client.post(
        f"/applications/{application.id}/edit?lang={lang}", data={"save": "1", "overseas_revenue_share": ":"}
    )

    assert response.status_code == 200
    assert 'id="overseas_revenue_share-error"' in response.text
