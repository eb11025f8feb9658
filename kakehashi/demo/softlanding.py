"""Demo soft landing: the default checklists and four landing cases at different stages.

- **Just arrived** (Arjun Mehta, Startup Visa): visa steps done, entered Japan four days ago; housing and
  incorporation are to do.
- **Mid-incorporation** (the demo overseas founder, Maria Silva, Startup Visa): registered twelve days
  ago; one tax notification awaits review, one was sent back for changes, the social-insurance
  enrolment (due five days after registration) is overdue.
- **Operating** (Chen Wei, Business Manager): the "operating in Japan" milestone reached this fiscal
  year (it counts in the KPI "overseas startups brought to the ward"); a few personal steps remain.
- **Closed** (Sofia Lindqvist, already resident): operating since last fiscal year; the case is closed
  and its documents deleted, as staff do with personal data.

Each case has documents (small generated PDFs and PNGs, stored through the storage service) and comments
both ways: staff write in Japanese, founders in English. Dates are relative to the day the demo is loaded;
nothing is dated after today. Created once (keyed on the demo overseas founder having a case). The
texts are demo data, not interface strings.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from kakehashi.accounts import services as accounts
from kakehashi.accounts.models import Invitation, InvitedRole, User
from kakehashi.cohorts.fiscal import fiscal_year_bounds, fiscal_year_of
from kakehashi.core import storage
from kakehashi.core.db import utcnow
from kakehashi.core.timezones import TOKYO
from kakehashi.demo.programme import minimal_pdf
from kakehashi.extensions import db
from kakehashi.softlanding import services
from kakehashi.softlanding.models import CaseTask, ChecklistTemplate, LandingCase, Party, TaskComment, TaskDocument
from kakehashi.softlanding.models import TaskState as S
from kakehashi.softlanding.template_services import load_default_templates

DEMO_OVERSEAS_FOUNDER = "overseas@demo.kakehashi.jp"

# (email, name, locale): founders of the other cases, who can sign in with the demo password.
EXTRA_FOUNDERS = {
    "arjun": ("arjun.mehta@demo.kakehashi.jp", "Arjun Mehta (Overseas founder)", "en"),
    "chen": ("chen.wei@demo.kakehashi.jp", "Chen Wei (Overseas founder)", "en"),
    "sofia": ("sofia.lindqvist@demo.kakehashi.jp", "Sofia Lindqvist (Overseas founder)", "en"),
}


@dataclass(frozen=True)
class Doc:
    task: str
    filename: str
    lines: tuple[str, ...] = ()  # a PDF's text; a PNG when empty
    days_ago: int = 0  # relative to the case's reference day


@dataclass(frozen=True)
class Note:
    task: str
    author: str  # "staff" or "founder"
    body: str
    days_ago: int = 0
    decision: str | None = None


@dataclass(frozen=True)
class CaseSpec:
    founder: str  # "demo" or a key of EXTRA_FOUNDERS
    template: str
    company: str
    country: str
    opened: int  # days before the reference day
    arrival: int  # planned arrival, days relative to the reference day (negative: before)
    done: dict[str, int]  # task key → finished this many days before the reference day
    not_applicable: dict[str, tuple[int, str]] = field(default_factory=dict)
    states: dict[str, S] = field(default_factory=dict)  # in progress, submitted, needs changes
    documents: tuple[Doc, ...] = ()
    notes: tuple[Note, ...] = ()
    closed_after: int | None = None  # closed this many days after the reference day (documents deleted)


CASES = {
    "arrived": CaseSpec(
        founder="arjun",
        template="tokyo-startup-visa",
        company="Kite Analytics Pvt. Ltd.",
        country="IN",
        opened=80,
        arrival=-4,
        done={"startup-visa-confirmation": 66, "coe": 22, "visa": 12, "entry": 4},
        states={"articles": S.IN_PROGRESS},
        documents=(
            Doc(
                "startup-visa-confirmation",
                "Startup_Visa_Confirmation_Tokyo.pdf",
                ("Confirmation of Startup Activities", "Tokyo Metropolitan Government", "Kite Analytics"),
                68,
            ),
            Doc("coe", "Certificate_of_Eligibility.pdf", ("Certificate of Eligibility", "Designated Activities"), 23),
            Doc("entry", "residence-card.png", days_ago=4),
        ),
        notes=(
            Note("entry", "founder", "Landed at Haneda this morning. Residence card attached (both sides).", 4),
            Note("entry", "staff", "ご到着おめでとうございます。在留カードを確認しました。", 4, "done"),
            Note(
                "housing",
                "staff",
                "マンスリーマンションの候補を3件お送りしました。入居から14日以内に区役所で転入届が必要です。",
                3,
            ),
            Note("housing", "founder", "Thank you! I am visiting two of them on Friday.", 2),
        ),
    ),
    "incorporating": CaseSpec(
        founder="demo",
        template="tokyo-startup-visa",
        company="Selva Bio K.K.",
        country="BR",
        opened=150,
        arrival=-95,
        done={
            "startup-visa-confirmation": 138,
            "coe": 110,
            "visa": 100,
            "entry": 95,
            "housing": 92,
            "resident-registration": 85,
            "seal-registration": 84,
            "business-culture": 80,
            "articles": 70,
            "personal-bank": 60,
            "mobile-phone": 50,
            "capital": 40,
            "registration": 12,
        },
        not_applicable={"fefta": (140, "バイオ研究用試薬の開発・販売で、事前届出の対象業種に該当しないため。")},
        states={
            "payroll-office": S.SUBMITTED,
            "metropolitan-tax": S.NEEDS_CHANGES,
            "blue-form": S.IN_PROGRESS,
            "corporate-bank": S.IN_PROGRESS,
            "long-term-lease": S.IN_PROGRESS,
        },
        documents=(
            Doc(
                "startup-visa-confirmation",
                "confirmation-certificate.pdf",
                ("Confirmation of Startup Activities", "Selva Bio"),
                140,
            ),
            Doc("entry", "residence_card_front.png", days_ago=95),
            Doc(
                "resident-registration", "certificate-of-residence.pdf", ("Certificate of Residence", "Ward office"), 85
            ),
            Doc("articles", "Teikan_Selva_Bio_KK.pdf", ("Articles of Incorporation", "Selva Bio K.K."), 72),
            Doc("capital", "capital-deposit-statement.pdf", ("Bank statement", "Capital: JPY 5,000,000"), 40),
            Doc(
                "registration", "registry-certificate.pdf", ("Certificate of Registered Matters", "Selva Bio K.K."), 12
            ),
            Doc("payroll-office", "payroll-office-notification.pdf", ("Notification of salary-paying office",), 3),
            Doc("metropolitan-tax", "metropolitan-tax-notification.pdf", ("Notification of incorporation (Tokyo)",), 6),
        ),
        notes=(
            Note(
                "articles",
                "staff",
                "司法書士の先生が定款の認証を完了しました。原本は事務所で保管しています。",
                70,
                "done",
            ),
            Note(
                "payroll-office",
                "founder",
                "Filed at the tax office; the stamped copy is attached.",
                3,
                "submitted",
            ),
            Note("metropolitan-tax", "founder", "Here is the notification for the metropolitan tax office.", 6),
            Note(
                "metropolitan-tax",
                "staff",
                "法人番号の欄が空欄です。登記事項証明書の会社法人等番号を記入して、再度提出してください。",
                5,
                "needs_changes",
            ),
            Note("metropolitan-tax", "founder", "Sorry about that. A corrected version is coming tomorrow.", 4),
            Note(
                "social-insurance",
                "staff",
                "社会保険の加入手続きは設立から5日以内が期限です。社会保険労務士の先生をご紹介しましょうか。",
                6,
            ),
        ),
    ),
    "operating": CaseSpec(
        founder="chen",
        template="business-manager",
        company="Lumo Robotics K.K.",
        country="SG",
        opened=200,
        arrival=-33,
        done={
            "business-manager-requirements": 180,
            "plan-check": 170,
            "articles": 160,
            "capital": 150,
            "registration": 140,
            "social-insurance": 136,
            "tax-office": 130,
            "metropolitan-tax": 128,
            "blue-form": 125,
            "payroll-office": 120,
            "office": 110,
            "first-hire": 95,
            "coe": 50,
            "visa": 40,
            "entry": 33,
            "housing": 30,
            "resident-registration": 25,
            "seal-registration": 24,
            "business-culture": 20,
            "personal-bank": 12,
            "corporate-bank": 5,
            "operating": 0,
        },
        not_applicable={"fefta": (190, "ソフトウェア開発のみで、事前届出の対象業種に該当しないため。")},
        states={"mobile-phone": S.IN_PROGRESS},
        documents=(
            Doc("registration", "registry-certificate-lumo.pdf", ("Certificate of Registered Matters", "Lumo"), 140),
            Doc("office", "office-lease-agreement.pdf", ("Office lease agreement", "Lumo Robotics K.K."), 112),
            Doc("entry", "residence-card.png", days_ago=33),
        ),
        notes=(
            Note("office", "founder", "Signed the lease for a 20 m2 office near the station. Copy attached.", 112),
            Note("operating", "staff", "おめでとうございます。区内での事業開始を確認しました。", 0, "done"),
            Note("operating", "founder", "Thank you all. We could not have done it without the concierge team.", 0),
        ),
    ),
    "closed": CaseSpec(
        founder="sofia",
        template="already-resident",
        company="Norrsken Mobility K.K.",
        country="SE",
        opened=170,
        arrival=-170,
        done={
            "seal-registration": 160,
            "business-culture": 155,
            "business-manager-requirements": 150,
            "plan-check": 130,
            "articles": 120,
            "capital": 110,
            "registration": 100,
            "social-insurance": 97,
            "metropolitan-tax": 90,
            "payroll-office": 85,
            "office": 80,
            "corporate-bank": 75,
            "tax-office": 70,
            "blue-form": 60,
            "first-hire": 50,
            "change-of-status": 5,
            "operating": 0,
        },
        not_applicable={"fefta": (165, "対象業種に該当しないため。")},
        documents=(
            Doc("registration", "registry-certificate-norrsken.pdf", ("Certificate of Registered Matters",), 100),
        ),
        notes=(Note("change-of-status", "staff", "在留資格の変更が許可されました。おめでとうございます。", 5, "done"),),
        closed_after=30,
    ),
}


def softlanding_loaded() -> bool:
    founder = accounts.find_user_by_email(DEMO_OVERSEAS_FOUNDER)
    return founder is not None and (
        db.session.scalar(select(LandingCase.id).where(LandingCase.founder_id == founder.id)) is not None
    )


def load_softlanding(*, staff: User, password: str, today: date | None = None) -> bool:
    """The default templates (always, idempotently), then the four cases unless they exist."""
    load_default_templates(by=staff)
    db.session.flush()
    if softlanding_loaded():
        db.session.commit()
        return False
    founder = accounts.find_user_by_email(DEMO_OVERSEAS_FOUNDER)
    if founder is None:  # the demo users are loaded first; a partial demo gets none of this
        db.session.commit()
        return False
    _Loader(today or utcnow().astimezone(TOKYO).date(), staff, founder, password).load()
    db.session.commit()
    return True


def _moment(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TOKYO).astimezone(UTC)


def png_card(label: str) -> bytes:
    """A small residence-card-like PNG."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (342, 216), (236, 242, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 333, 207), outline=(40, 80, 140), width=3)
    draw.rectangle((236, 50, 318, 150), fill=(190, 200, 215))
    draw.text((20, 20), "RESIDENCE CARD (DEMO)", fill=(20, 40, 90))
    draw.text((20, 60), label, fill=(20, 20, 20))
    draw.text((20, 90), "SPECIMEN - NOT VALID", fill=(160, 30, 30))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class _Loader:
    def __init__(self, today: date, staff: User, demo_founder: User, password: str) -> None:
        self.today = today
        self.staff = staff
        self.password = password
        self.founders = {"demo": demo_founder}
        fy_start = fiscal_year_bounds(fiscal_year_of(today))[0]
        previous_start = fiscal_year_bounds(fiscal_year_of(today) - 1)[0]
        # The reference day of each case: "today" for the live ones, the milestone day for the others.
        self.reference = {
            "arrived": today,
            "incorporating": today,
            "operating": max(fy_start, today - timedelta(days=25)),  # this fiscal year, not in the future
            "closed": previous_start + timedelta(days=150),  # late August of last fiscal year
        }

    def founder(self, key: str) -> User:
        if key not in self.founders:
            email, name, locale = EXTRA_FOUNDERS[key]
            user = accounts.find_user_by_email(email)
            if user is None:
                user = User(email=email, name=name, locale=locale, session_version=1, email_verified_at=utcnow())
                accounts.set_password(user, self.password)
                db.session.add(user)
                db.session.flush()
                db.session.add(Invitation(user_id=user.id, role=InvitedRole.OVERSEAS_FOUNDER, accepted_at=utcnow()))
            self.founders[key] = user
        return self.founders[key]

    def load(self) -> None:
        templates = {t.key: t for t in db.session.scalars(select(ChecklistTemplate))}
        for name, spec in CASES.items():
            self.case(spec, templates[spec.template], self.reference[name])
        db.session.flush()

    def case(self, spec: CaseSpec, template: ChecklistTemplate, ref: date) -> LandingCase:
        founder = self.founder(spec.founder)
        opened = ref - timedelta(days=spec.opened)
        case = services.open_case(
            template=template,
            founder_email=founder.email,
            founder_name=founder.name,
            planned_arrival_on=ref + timedelta(days=spec.arrival),
            concierge=self.staff,
            company_name=spec.company,
            home_country=spec.country,
            by=self.staff,
            today=opened,
        )
        case.created_at = case.updated_at = _moment(opened, 10)
        tasks = {t.key: t for t in db.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id))}

        finishing = [(days, key, None) for key, days in spec.done.items()]
        finishing += [(days, key, reason) for key, (days, reason) in spec.not_applicable.items()]
        for days, key, reason in sorted(finishing, key=lambda item: -item[0]):
            self.finish(case, tasks[key], ref - timedelta(days=days), founder, reason)
        for key, state in spec.states.items():
            self.move(tasks[key], state, founder, ref)
        for doc in spec.documents:
            self.document(tasks[doc.task], doc, founder, ref)
        for note in spec.notes:
            author = founder if note.author == "founder" else self.staff
            db.session.add(
                TaskComment(
                    task_id=tasks[note.task].id,
                    author_id=author.id,
                    body=note.body,
                    decision=note.decision,
                    created_at=_moment(ref - timedelta(days=note.days_ago), 15 if note.author == "staff" else 20),
                )
            )
        db.session.flush()
        if spec.closed_after is not None:
            services.close_case(case, by=self.staff)
            case.closed_at = _moment(ref + timedelta(days=spec.closed_after), 17)
            services.delete_case_documents(case, by=self.staff)
        return case

    def finish(self, case: LandingCase, task: CaseTask, day: date, founder: User, reason: str | None) -> None:
        """Finish a task on ``day`` as it happens in the app: founder steps are submitted, then approved."""
        if reason is not None:
            task.transition_to(S.NOT_APPLICABLE, by=self.staff, on=day, reason=reason)
        elif task.party is Party.FOUNDER:
            task.transition_to(S.IN_PROGRESS, by=founder)
            task.transition_to(S.SUBMITTED, by=founder)
            task.submitted_at = _moment(day - timedelta(days=1), 19)
            task.transition_to(S.DONE, by=self.staff, on=day)
        else:
            task.transition_to(S.DONE, by=self.staff, on=day)
        task.state_changed_at = _moment(day, 14)
        if task.is_milestone:
            case.operating_on = day
        db.session.flush()
        services.unlock_ready(case, by=self.staff)

    def move(self, task: CaseTask, state: S, founder: User, ref: date) -> None:
        """To do → in progress, submitted (yesterday) or sent back for changes."""
        actor = self.staff if task.party is Party.STAFF else founder
        task.transition_to(S.IN_PROGRESS, by=actor)
        if state in (S.SUBMITTED, S.NEEDS_CHANGES):
            task.transition_to(S.SUBMITTED, by=actor)
            task.submitted_at = _moment(ref - timedelta(days=3 if state is S.SUBMITTED else 6), 18)
        if state is S.NEEDS_CHANGES:
            task.transition_to(S.NEEDS_CHANGES, by=self.staff)
        task.state_changed_at = _moment(ref - timedelta(days=2), 16)

    def document(self, task: CaseTask, doc: Doc, founder: User, ref: date) -> None:
        data = minimal_pdf(list(doc.lines), title=doc.filename) if doc.lines else png_card(founder.name)
        stored = storage.store_upload(
            FileStorage(io.BytesIO(data), filename=doc.filename),
            purpose=services.DOCUMENT_PURPOSE,
            by=founder,
            kind=services.DOCUMENT_KINDS,
        )
        moment = _moment(ref - timedelta(days=doc.days_ago), 9)
        stored.created_at = moment
        db.session.add(TaskDocument(task_id=task.id, file_id=stored.id, uploaded_by_id=founder.id, created_at=moment))
