"""The demo accelerator programme: generated startups, calls and applications with decks."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import Startup, StartupMember, User
from kakehashi.applications.models import Application, ApplicationState, Call, Criterion, Vertical
from kakehashi.applications.services import DECK_PURPOSE
from kakehashi.core import storage
from kakehashi.core.db import utcnow
from kakehashi.core.timezones import TOKYO
from kakehashi.demo.data import (
    CALLS,
    COUNTRIES,
    DEMO_FOUNDER,
    DEMO_SEED,
    FINTECH_THEMES,
    FOUNDER_PROFILES,
    JAPANESE_WORDS,
    JP_CITIES,
    JP_FAMILY,
    JP_GIVEN,
    LIFESCIENCE_THEMES,
    NAME_PARTS,
    VERTICALS,
    WHY_PROGRAMME,
    Theme,
)
from kakehashi.extensions import db


def _yen_ja(amount: int) -> str:
    """``1億2,000万円``, ``3,500万円``: amounts as Japanese business text writes them."""
    oku, man = divmod(amount // 10_000, 10_000)
    if oku and man:
        return f"{oku:,}億{man:,}万円"
    return f"{oku:,}億円" if oku else f"{man:,}万円"


def _yen_en(amount: int) -> str:
    if amount >= 1_000_000_000:
        return f"¥{amount / 1_000_000_000:.1f} billion"
    return f"¥{amount / 1_000_000:,.0f} million"


def _tokyo(day: date, hour: int, minute: int = 0) -> datetime:
    """A Tokyo wall-clock time as an aware datetime (stored as UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


def _between(rng: random.Random, start: datetime, end: datetime, lean: float = 0.5) -> datetime:
    """A moment in [start, end), more often near ``start + lean * (end - start)``."""
    fraction = min(rng.triangular(0, 1, lean), 0.999)
    return (start + (end - start) * fraction).replace(microsecond=0)


@dataclass
class GeneratedStartup:
    vertical: str
    ja: str
    en: str
    country: str
    city: str  # in the startup's language
    city_en: str
    slug: str
    founded_on: date
    theme: Theme
    stage: int  # 0 pre-seed, 1 seed, 2 series A
    startup: Startup | None = None
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def japanese(self) -> bool:
        return self.country == "JP"


class ProgrammeGenerator:
    """Everything random comes from one seeded generator, drawn in a fixed order."""

    def __init__(self) -> None:
        self.rng = random.Random(DEMO_SEED)
        self.used_names: set[str] = {"mirai fintech"}
        self.countries = list(COUNTRIES)
        self.country_weights = [COUNTRIES[c].weight for c in self.countries]

    def startup(self, vertical: str, before: datetime) -> GeneratedStartup:
        rng = self.rng
        country = rng.choices(self.countries, self.country_weights)[0]
        firsts, seconds = NAME_PARTS[vertical]
        if country != "JP":
            firsts = [part for part in firsts if part[1] not in JAPANESE_WORDS]
        while True:
            (ja1, en1), (ja2, en2) = rng.choice(firsts), rng.choice(seconds)
            en_base = en1 + en2
            if en_base.lower() not in self.used_names:
                break
        self.used_names.add(en_base.lower())
        katakana = ja1 + ja2
        if country == "JP":
            ja = f"株式会社{katakana}" if rng.random() < 0.7 else f"{katakana}株式会社"
            city, city_en = rng.choice(JP_CITIES)
        else:
            ja = katakana
            city = city_en = rng.choice(COUNTRIES[country].cities.split(", "))
        en = f"{en_base} {COUNTRIES[country].suffix}"
        themes = FINTECH_THEMES if vertical == "fintech" else LIFESCIENCE_THEMES
        theme = rng.choice([t for t in themes if country == "JP" or not t.japan_only])
        founded_on = (before - timedelta(days=rng.randint(150, 3000))).date().replace(day=1)
        stage = rng.choices([0, 1, 2], [3, 5, 2])[0]
        slug = en_base.lower().replace(" ", "-")
        generated = GeneratedStartup(vertical, ja, en, country, city, city_en, slug, founded_on, theme, stage)
        generated.answers = self.answers(generated)
        return generated

    def founders(self, s: GeneratedStartup) -> tuple[str, int]:
        rng = self.rng
        roles, backgrounds = FOUNDER_PROFILES[s.vertical]
        count = rng.choices([1, 2, 3], [2, 5, 3])[0]
        picked_roles = rng.sample(roles, count - 1)
        picked_backgrounds = rng.sample(backgrounds, count)
        if s.japanese:
            pairs = zip(rng.sample(JP_FAMILY, count), rng.sample(JP_GIVEN, count), strict=True)
            names = [f"{family} {given}" for family, given in pairs]
            roles_ja = ["代表取締役CEO", *(ja for ja, _ in picked_roles)]
            lines = [f"{n}（{r}）：{b[0]}" for n, r, b in zip(names, roles_ja, picked_backgrounds, strict=True)]
        else:
            names = COUNTRIES[s.country].people(rng, count)
            roles_en = ["CEO", *(en for _, en in picked_roles)]
            lines = [f"{n} ({r}) — {b[1]}" for n, r, b in zip(names, roles_en, picked_backgrounds, strict=True)]
        team_size = count + rng.randint(*((0, 4), (2, 14), (8, 40))[s.stage])
        return "\n".join(lines), team_size

    def traction(self, s: GeneratedStartup, revenue: int | None) -> str:
        rng = self.rng
        ja = s.japanese
        if s.vertical == "fintech":
            if s.stage == 0 or not revenue:
                n, m = rng.randint(3, 12), rng.randint(1, 3)
                return (
                    f"β版を{n}社に提供中で、うち{m}社と有償での実証実験に向けて協議しています。"
                    if ja
                    else f"Beta in use at {n} companies; discussing paid pilots with {m} of them."
                )
            if s.stage == 1:
                n, banks, mrr = rng.randint(15, 120), rng.randint(1, 4), int(round(revenue / 12, -4))
                return (
                    f"有料顧客{n}社、月間経常収益（MRR）{_yen_ja(mrr)}。地域金融機関{banks}行と実証実験を実施しました。"
                    if ja
                    else f"{n} paying customers and monthly recurring revenue of ¥{mrr:,}; pilots completed with "
                    f"{banks} regional banks."
                )
            n, growth = rng.randint(60, 400), rng.choice([2, 3, 4])
            return (
                f"導入企業{n}社、年間売上高{_yen_ja(revenue)}。売上は前年比{growth}倍のペースで伸びています。"
                if ja
                else f"{n} client companies and annual revenue of {_yen_en(revenue)}, growing {growth}x year on year."
            )
        if s.stage == 0:
            p = rng.randint(1, 4)
            return (
                f"大学での基礎研究を終え、特許を{p}件出願しました。非臨床試験の準備を進めています。"
                if ja
                else f"University research complete and {p} patent application{'s' if p > 1 else ''} filed; "
                "preparing preclinical studies."
            )
        if s.stage == 1:
            n = rng.randint(2, 6)
            return (
                f"非臨床試験で概念実証（POC）を取得し、医療機関{n}施設と共同研究契約を締結しました。"
                if ja
                else f"Preclinical proof of concept achieved; joint research agreements signed with {n} hospitals."
            )
        n, m = rng.randint(5, 20), rng.randint(1, 3)
        return (
            f"医療機関{n}施設で臨床研究を実施中です。製薬企業・医療機器メーカー{m}社と共同開発契約を締結済みです。"
            if ja
            else f"Clinical study under way at {n} sites; co-development agreements signed with {m} pharmaceutical "
            "or device companies."
        )

    def answers(self, s: GeneratedStartup) -> dict[str, Any]:
        rng = self.rng
        lang = 0 if s.japanese else 1
        founders, team_size = self.founders(s)
        if s.japanese:
            summary = f"{s.theme.summary[0]}{s.founded_on.year}年{s.founded_on.month}月に{s.city}で創業。"
        else:
            summary = f"{s.theme.summary[1]} Founded in {s.city} in {s.founded_on.year}."
        base = (5_000_000, 30_000_000, 200_000_000)[s.stage]
        funding = 0 if s.stage == 0 and rng.random() < 0.3 else int(round(base * rng.uniform(0.5, 4), -6))
        valuation = int(round(funding * rng.uniform(4, 10), -7)) if funding and rng.random() < 0.6 else None
        revenue = None
        if s.stage and (s.vertical == "fintech" or rng.random() < 0.4):  # life science: research contracts
            low, high = ((5, 60), (80, 600))[s.stage - 1]
            revenue = rng.randint(low * 10, high * 10) * 100_000
        share = None
        if revenue:
            if s.japanese:
                share = Decimal(0) if rng.random() < 0.5 else Decimal(rng.randint(2, 40)) / 2
            else:
                share = Decimal(rng.randint(120, 200)) / 2
        return {
            "company_summary": summary,
            "founders": founders,
            "team_size": team_size,
            "problem": s.theme.problem[lang],
            "solution": s.theme.solution[lang],
            "market": s.theme.market[lang],
            "traction": self.traction(s, revenue),
            "funding_raised_jpy": funding,
            "valuation_jpy": valuation,
            "revenue_jpy": revenue,
            "overseas_revenue_share": share,
            "why_programme": rng.choice(WHY_PROGRAMME[s.vertical][lang]),
        }


# Demo founder's waitlisted application to the first FinTech batch.
MIRAI_ANSWERS: dict[str, Any] = {
    "company_summary": "中小企業の請求書・入出金データから資金繰りを予測し、必要なときに最適な資金調達手段を"
    "提案するクラウドサービス「ミライCF」を提供しています。2022年に東京都で創業。",
    "founders": "佐藤 健（代表取締役CEO）：地方銀行で中小企業向け融資を12年担当\n"
    "中村 彩（取締役CTO）：ネット銀行で勘定系システムの開発を主導",
    "team_size": 9,
    "problem": "中小企業の経営者の多くは資金繰りを表計算ソフトで管理しており、資金不足に気づくのが遅れがち"
    "です。その結果、売上が伸びていても手元資金が尽きる「黒字倒産」が後を絶ちません。",
    "solution": "銀行口座と会計ソフトに連携し、90日先までの資金残高を自動で予測します。不足が見込まれる場合は、"
    "提携金融機関の融資やファクタリングなど最適な手段を比較・提案します。",
    "market": "国内の中小企業約330万社のうち、年商1億〜30億円の約40万社が主なターゲットです。",
    "traction": "有料顧客85社、月間経常収益（MRR）320万円。区内の信用金庫1庫と実証実験を実施中です。",
    "funding_raised_jpy": 80_000_000,
    "valuation_jpy": 600_000_000,
    "revenue_jpy": 38_000_000,
    "overseas_revenue_share": Decimal(0),
    "why_programme": "区内の金融機関との連携を深め、地域の中小企業への導入を広げたいと考えています。",
}


def minimal_pdf(lines: list[str], *, title: str) -> bytes:
    """A one-page landscape A4 PDF with a few lines of Helvetica text (ASCII) and a Unicode title.

    Written by hand: a handful of objects and an exact cross-reference table, so readers (and the
    storage service's check) accept it without repairing anything.
    """

    def literal(text: str) -> str:
        text = text.encode("ascii", "replace").decode()
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    sizes = [32] + [16] * (len(lines) - 1)
    stream = "\n".join(
        f"BT /F1 {size} Tf 60 {470 - 50 * i} Td {literal(line)} Tj ET"
        for i, (line, size) in enumerate(zip(lines, sizes, strict=True))
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title <FEFF" + title.encode("utf-16-be").hex().upper().encode() + b"> /Producer (Kakehashi demo) >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


# --- loading -----------------------------------------------------------------------------------

# How many applications of each state every call gets (the demo founder's one comes on top).
APPLICATION_PLAN: dict[str, list[tuple[ApplicationState, int]]] = {
    "fintech-1": [
        (ApplicationState.ACCEPTED, 10),
        (ApplicationState.WAITLISTED, 4),
        (ApplicationState.REJECTED, 18),
        (ApplicationState.WITHDRAWN, 2),
    ],
    "lifescience-1": [
        (ApplicationState.SUBMITTED, 55),
        (ApplicationState.WITHDRAWN, 2),
        (ApplicationState.DRAFT, 3),
    ],
    "fintech-2": [
        (ApplicationState.SUBMITTED, 17),
        (ApplicationState.WITHDRAWN, 1),
        (ApplicationState.DRAFT, 7),
    ],
}
REAPPLICANTS = 5  # batch-1 startups that were not accepted and try again in batch 2


def programme_loaded() -> bool:
    marker = VERTICALS["fintech"]["name"]["en"]
    return any((v.name or {}).get("en") == marker for v in db.session.scalars(select(Vertical)))


def load_programme(now: datetime | None = None) -> bool:
    """Create the verticals, calls and applications unless they exist; True if they were created."""
    if programme_loaded():
        return False
    loader = _ProgrammeLoader(now or utcnow())
    try:
        loader.load()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for key in loader.stored_keys:  # the rows are gone; do not leave their files behind
            storage.backend().delete(key)
        raise
    return True


class _ProgrammeLoader:
    def __init__(self, now: datetime) -> None:
        self.now = now.replace(microsecond=0)
        self.gen = ProgrammeGenerator()
        self.rng = self.gen.rng
        self.stored_keys: list[str] = []
        # Added to the session at the end, in one batch: ``store_upload`` flushes once per deck.
        self.applications: list[Application] = []
        self.uploaded_at: list[tuple[storage.StoredFile, datetime]] = []
        today = self.now.astimezone(TOKYO).date()

        def day(offset: int) -> date:
            return today + timedelta(days=offset)

        # opens, closes, decided: relative to the day the demo is loaded
        self.windows: dict[str, tuple[datetime, datetime, datetime | None]] = {
            "fintech-1": (_tokyo(day(-400), 10), _tokyo(day(-358), 17), _tokyo(day(-318), 15)),
            "lifescience-1": (_tokyo(day(-75), 10), _tokyo(day(-33), 17), None),
            "fintech-2": (_tokyo(day(-7), 10), _tokyo(day(21), 17), None),
        }

    def load(self) -> None:
        verticals = {}
        for key, spec in VERTICALS.items():
            verticals[key] = Vertical(name=spec["name"], description=spec["description"], active=True)
            verticals[key].created_at = verticals[key].updated_at = self.windows["fintech-1"][0] - timedelta(days=30)
        db.session.add_all(verticals.values())
        calls = {spec["key"]: self.call(spec, verticals[spec["vertical"]]) for spec in CALLS}
        db.session.flush()

        founder = accounts.find_user_by_email(DEMO_FOUNDER)
        founder_startup = db.session.scalar(
            select(Startup).join(StartupMember).where(StartupMember.user_id == founder.id).order_by(Startup.id)
        )
        self.application(
            calls["fintech-1"],
            "fintech-1",
            None,
            ApplicationState.WAITLISTED,
            startup=founder_startup,
            answers=MIRAI_ANSWERS,
            by=founder,
            deck=("ミライ金融_会社紹介資料.pdf", ["Mirai FinTech Inc.", "Cash-flow forecasting for SMEs"]),
        )

        not_accepted: list[GeneratedStartup] = []
        for key in ("fintech-1", "lifescience-1", "fintech-2"):
            call = calls[key]
            vertical = next(spec["vertical"] for spec in CALLS if spec["key"] == key)
            states = [state for state, count in APPLICATION_PLAN[key] for _ in range(count)]
            self.rng.shuffle(states)
            returning = self.rng.sample(not_accepted, REAPPLICANTS) if key == "fintech-2" else []
            for i, state in enumerate(states):
                if i < len(returning):
                    generated = returning[i]
                    founders = generated.answers["founders"]
                    generated.stage = min(generated.stage + 1, 2)  # a year on, further along
                    generated.answers = {**self.gen.answers(generated), "founders": founders}
                else:
                    generated = self.gen.startup(vertical, before=self.windows[key][0])
                self.application(call, key, generated, state)
                if key == "fintech-1" and state in (ApplicationState.WAITLISTED, ApplicationState.REJECTED):
                    not_accepted.append(generated)
        for stored, moment in self.uploaded_at:
            stored.created_at = moment
        db.session.add_all(self.applications)
        db.session.flush()

    def call(self, spec: dict[str, Any], vertical: Vertical) -> Call:
        opens, closes, _ = self.windows[spec["key"]]
        call = Call(
            vertical=vertical,
            title=spec["title"],
            summary=spec["summary"],
            description=spec["description"],
            eligibility=spec["eligibility"],
            opens_at=opens,
            closes_at=closes,
            seats=10,
            target_applications=100,
            judges_per_application=3,
            deck_max_mb=20,
            blind_fields=list(spec["blind_fields"]),
            state=spec["state"],
        )
        call.created_at = call.updated_at = opens - timedelta(days=21)
        call.criteria = [
            Criterion(
                position=position,
                name=c["name"],
                guidance=c["guidance"],
                weight=Decimal(c["weight"]),
                scale_min=1,
                scale_max=5,
            )
            for position, c in enumerate(spec["rubric"], start=1)
        ]
        db.session.add(call)
        return call

    def application(
        self,
        call: Call,
        key: str,
        generated: GeneratedStartup | None,
        state: ApplicationState,
        *,
        startup: Startup | None = None,
        answers: dict[str, Any] | None = None,
        by: User | None = None,
        deck: tuple[str, list[str]] | None = None,
    ) -> Application:
        rng = self.rng
        opens, closes, decided_at = self.windows[key]
        latest = min(closes, self.now - timedelta(minutes=10))
        if generated is not None:
            answers = generated.answers
            startup = self.startup(generated)
            deck = (
                f"{generated.ja}_ピッチ資料.pdf" if generated.japanese else f"{generated.slug}-pitch-deck.pdf",
                [generated.en, f"{generated.city_en}  |  founded {generated.founded_on.year}"],
            )
        assert startup is not None and answers is not None and deck is not None
        application = Application(call=call, startup=startup, state=state, created_by_id=getattr(by, "id", None))
        if state is ApplicationState.DRAFT:
            created = _between(rng, opens, latest, 0.7)
            filled = rng.randint(2, len(answers) - 2)
            for name in list(answers)[:filled]:
                setattr(application, name, answers[name])
            with_deck = key == "fintech-2" and rng.random() < 0.4
            updated = last_edit = _between(rng, created, latest, 0.5)
        else:
            submitted = _between(rng, opens + timedelta(hours=2), latest, 0.85)
            created = max(opens, submitted - timedelta(hours=rng.randint(2, 240)))
            for name, value in answers.items():
                setattr(application, name, value)
            application.submitted_at = updated = last_edit = submitted
            with_deck = True
            if state is ApplicationState.WITHDRAWN:
                until = min(decided_at or self.now, self.now - timedelta(minutes=5))
                application.withdrawn_at = updated = _between(rng, submitted, until, 0.2)
            elif state.is_decided:
                application.decided_at = updated = decided_at
        if with_deck:
            filename, lines = deck
            title = f"{startup.name.get('ja') or startup.name['en']} — {call.title['ja']}"
            lines = [*lines, f"Pitch deck  |  {call.title['en'].replace('—', '-')}", "Kakehashi demo data"]
            stored = storage.store_upload(
                FileStorage(io.BytesIO(minimal_pdf(lines, title=title)), filename=filename),
                purpose=DECK_PURPOSE,
                by=by,
                kind="pdf",
                max_bytes=call.deck_max_bytes,
            )
            self.stored_keys.append(stored.key)
            self.uploaded_at.append((stored, (created + (last_edit - created) / 2).replace(microsecond=0)))
            application.deck = stored
        application.created_at, application.updated_at = created, updated
        if startup.created_at is None or startup.created_at > created:
            startup.created_at = startup.updated_at = created - timedelta(days=rng.randint(1, 20))
        self.applications.append(application)
        return application

    def startup(self, generated: GeneratedStartup) -> Startup:
        if generated.startup is None:
            generated.startup = Startup(
                name={"ja": generated.ja, "en": generated.en},
                country=generated.country,
                website=f"https://{generated.slug}.example",
                founded_on=generated.founded_on,
                is_overseas=generated.country != "JP",
            )
            db.session.add(generated.startup)
        return generated.startup
