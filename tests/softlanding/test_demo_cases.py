"""The soft-landing demo: four cases at their stages, loaded once, with documents and comments."""

from datetime import date

from sqlalchemy import func, select

from kakehashi.cohorts.kpis.measures import attracted_count
from kakehashi.core import storage
from kakehashi.core.audit import AuditEvent
from kakehashi.demo.softlanding import DEMO_OVERSEAS_FOUNDER, load_softlanding
from kakehashi.extensions import db
from kakehashi.softlanding.models import CaseState, CaseTask, LandingCase, TaskComment, TaskDocument, TaskState
from kakehashi.softlanding.schedule import plan_case
from tests.factories import StaffFactory, UserFactory

TODAY = date(2026, 5, 10)  # fiscal year 2026


def load():
    staff = StaffFactory(locale="ja")
    UserFactory(email=DEMO_OVERSEAS_FOUNDER, name="Maria Silva (Overseas founder)", locale="en")
    return staff, load_softlanding(staff=staff, password="demo-password-123", today=TODAY)


def cases_by_company():
    return {c.company_name: c for c in db.session.scalars(select(LandingCase))}


def tasks_of(case):
    return list(db.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.position)))


def test_the_demo_has_four_cases_at_their_stages():
    _staff, loaded = load()

    assert loaded
    cases = cases_by_company()
    assert set(cases) == {"Kite Analytics Pvt. Ltd.", "Selva Bio K.K.", "Lumo Robotics K.K.", "Norrsken Mobility K.K."}

    arrived = cases["Kite Analytics Pvt. Ltd."]
    states = {t.key: t.state for t in tasks_of(arrived)}
    assert states["entry"] is TaskState.DONE and states["housing"] is TaskState.TODO

    incorporating = cases["Selva Bio K.K."]
    assert incorporating.founder.email == DEMO_OVERSEAS_FOUNDER
    tasks = tasks_of(incorporating)
    plan = plan_case(incorporating, tasks, TODAY)
    assert "social-insurance" in plan.overdue_keys
    states = {t.key: t.state for t in tasks}
    assert states["payroll-office"] is TaskState.SUBMITTED
    assert states["metropolitan-tax"] is TaskState.NEEDS_CHANGES
    assert states["fefta"] is TaskState.NOT_APPLICABLE
    assert incorporating.operating_on is None and plan.operating_on > TODAY

    operating = cases["Lumo Robotics K.K."]
    assert date(2026, 4, 1) <= operating.operating_on <= TODAY
    assert operating.state is CaseState.OPEN

    closed = cases["Norrsken Mobility K.K."]
    assert closed.state is CaseState.CLOSED
    assert date(2025, 4, 1) <= closed.operating_on <= date(2026, 3, 31)
    assert all(t.state.is_finished for t in tasks_of(closed))
    assert attracted_count(2026) == 1 and attracted_count(2025) == 1

    # Documents (stored for real) and comments both ways on every live case; none left on the closed one.
    for case in (arrived, incorporating, operating):
        documents = db.session.scalars(select(TaskDocument).join(CaseTask).where(CaseTask.case_id == case.id)).all()
        assert documents and all(storage.backend().exists(d.file.key) for d in documents)
        authors = set(
            db.session.scalars(select(TaskComment.author_id).join(CaseTask).where(CaseTask.case_id == case.id))
        )
        assert authors >= {case.founder_id, case.concierge_id}
    assert (
        db.session.scalar(select(func.count(TaskDocument.id)).join(CaseTask).where(CaseTask.case_id == closed.id)) == 0
    )
    assert db.session.scalar(select(AuditEvent.data).where(AuditEvent.action == "landing_case.documents_deleted"))


def test_the_demo_loads_once():
    staff, _ = load()
    db.session.commit()
    counts = (db.session.scalar(select(func.count(LandingCase.id))), db.session.scalar(select(func.count(CaseTask.id))))

    assert load_softlanding(staff=staff, password="demo-password-123", today=TODAY) is False
    assert (
        db.session.scalar(select(func.count(LandingCase.id))),
        db.session.scalar(select(func.count(CaseTask.id))),
    ) == counts
