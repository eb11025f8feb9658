"""Due dates, projections and the critical path on small hand-built DAGs (no database)."""

from datetime import date

from kakehashi.softlanding.models import TaskState
from kakehashi.softlanding.schedule import plan_case, topological_order
from tests.softlanding.factories import case_opened, task

MAY_1 = date(2026, 5, 1)
DONE, NA = TaskState.DONE, TaskState.NOT_APPLICABLE


def d(day: int, month: int = 5) -> date:
    return date(2026, month, day)


def test_a_chain_runs_one_step_after_the_other():
    tasks = [
        task("a", 0, duration_days=2),
        task("b", 1, duration_days=3, depends_on=["a"], state=TaskState.LOCKED),
        task("c", 2, duration_days=4, depends_on=["b"], state=TaskState.LOCKED),
    ]
    plan = plan_case(case_opened(MAY_1), tasks, MAY_1)

    assert [(p.start, p.finish) for p in plan.tasks.values()] == [(d(1), d(3)), (d(3), d(6)), (d(6), d(10))]
    assert plan.tasks["c"].waiting_for == ("b",)
    assert plan.operating_on == d(10)  # no milestone: the task that finishes last
    assert plan.critical_path == ("a", "b", "c")
    assert plan.next_keys == ("a",)
    assert (plan.done, plan.total) == (0, 3)


def test_diamond_takes_the_longer_branch_to_the_milestone():
    tasks = [
        task("a", 0, duration_days=1),
        task("b", 1, duration_days=5, depends_on=["a"]),
        task("c", 2, duration_days=2, depends_on=["a"]),
        task("d", 3, duration_days=1, depends_on=["b", "c"], is_milestone=True),
    ]
    plan = plan_case(case_opened(MAY_1), tasks, MAY_1)

    assert plan.tasks["d"].start == d(7)
    assert plan.tasks["d"].waiting_for == ("b", "c")
    assert plan.operating_on == d(8)
    assert plan.critical_path == ("a", "b", "d")
    assert [key for key, p in plan.tasks.items() if p.critical] == ["a", "b", "d"]
    assert not plan.tasks["c"].critical


def parallel(x_state=TaskState.TODO, x_done=None, y_state=TaskState.TODO, y_done=None, y_days=3):
    return [
        task("x", 0, duration_days=2, state=x_state, completed_on=x_done),
        task("y", 1, duration_days=y_days, state=y_state, completed_on=y_done),
        task("m", 2, duration_days=0, depends_on=["x", "y"], is_milestone=True, state=TaskState.LOCKED),
    ]


def test_parallel_branches_the_longer_one_is_critical():
    plan = plan_case(case_opened(MAY_1), parallel(), MAY_1)

    assert plan.critical_path == ("y", "m")
    assert plan.operating_on == d(4)


def test_critical_path_switches_when_the_long_branch_finishes_early():
    # y (planned for 4 May) is done on 2 May; x keeps its plan: opened 1 May, 2 days, due 3 May.
    plan = plan_case(case_opened(MAY_1), parallel(y_state=DONE, y_done=d(2)), d(2))

    x = plan.tasks["x"]
    assert (x.start, x.due, x.finish) == (MAY_1, d(3), d(3))  # its start is not moved to today
    assert not x.overdue
    assert plan.critical_path == ("x", "m")
    assert plan.operating_on == d(3)  # a day earlier than planned
    assert plan.tasks["m"].waiting_for == ("x",)


def test_critical_path_switches_when_the_short_branch_runs_late():
    # y finished as planned on 4 May; x was due on 3 May and is still open on 6 May: it is projected
    # to finish today, so it (not y) now holds the operating date back, one day for each day it stays open.
    tasks = parallel(x_state=TaskState.IN_PROGRESS, y_state=DONE, y_done=d(4))
    plan = plan_case(case_opened(MAY_1), tasks, d(6))

    x = plan.tasks["x"]
    assert (x.start, x.due, x.finish) == (MAY_1, d(3), d(6))
    assert x.overdue and not x.due_is_projected
    assert plan.critical_path == ("x", "m")
    assert plan.operating_on == d(6)
    assert plan_case(case_opened(MAY_1), tasks, d(7)).operating_on == d(7)


def test_a_late_step_becomes_critical_only_once_it_outlasts_the_longest_branch():
    tasks = parallel(y_days=5)  # x is due 3 May, y 6 May

    on_4_may = plan_case(case_opened(MAY_1), tasks, d(4))
    assert on_4_may.overdue_keys == ("x",)
    assert on_4_may.tasks["x"].finish == d(4)
    assert not on_4_may.tasks["x"].critical  # late, but y still ends later
    assert on_4_may.critical_path == ("y", "m")
    assert on_4_may.operating_on == d(6)

    on_8_may = plan_case(case_opened(MAY_1), tasks, d(8))
    assert on_8_may.overdue_keys == ("x", "y")
    # Both are projected to finish today: the tie goes to the first by position.
    assert on_8_may.critical_path == ("x", "m")
    assert on_8_may.operating_on == d(8)


def test_a_step_marked_not_applicable_releases_its_dependants_on_the_day_it_was_marked():
    tasks = [
        task("a", 0, duration_days=5, state=DONE, completed_on=d(3)),
        task("b", 1, duration_days=20, depends_on=["a"], state=NA, completed_on=d(4)),
        task("c", 2, duration_days=2, depends_on=["b"], is_milestone=True),
    ]
    plan = plan_case(case_opened(MAY_1), tasks, d(4))

    assert plan.tasks["b"].finish == d(4)
    assert plan.tasks["b"].due is None
    assert plan.tasks["c"].waiting_for == ()
    assert (plan.tasks["c"].start, plan.tasks["c"].finish) == (d(4), d(6))
    assert plan.next_keys == ("c",)
    assert (plan.done, plan.total) == (2, 3)  # not applicable counts as done
    assert plan.critical_path == ("c",)


def deadline_tasks(housing_state=TaskState.TODO, housing_done=None):
    return [
        task("housing", 0, duration_days=10, state=housing_state, completed_on=housing_done),
        task(
            "registration",
            1,
            duration_days=1,
            depends_on=["housing"],
            deadline_days=14,
            deadline_after="housing",
            state=TaskState.LOCKED if housing_done is None else TaskState.TODO,
        ),
    ]


def test_a_deadline_rests_on_the_projected_completion_until_the_step_is_done():
    plan = plan_case(case_opened(MAY_1), deadline_tasks(), MAY_1)

    registration = plan.tasks["registration"]
    assert registration.due == d(25)  # housing projected for 11 May, + 14 days
    assert registration.due_is_projected


def test_a_deadline_follows_the_actual_completion_once_the_step_is_done():
    plan = plan_case(case_opened(MAY_1), deadline_tasks(DONE, d(5)), d(6))

    registration = plan.tasks["registration"]
    assert registration.due == d(19)  # housing done on 5 May (early), + 14 days
    assert not registration.due_is_projected
    assert (registration.start, registration.finish) == (d(5), d(6))  # from housing's completion, 1 day
    assert not registration.overdue


def test_a_deadline_passed_makes_the_task_overdue():
    plan = plan_case(case_opened(MAY_1), deadline_tasks(DONE, d(2)), d(20))

    registration = plan.tasks["registration"]
    assert registration.due == d(16)
    assert registration.overdue
    assert plan.overdue_keys == ("registration",)


def test_due_today_is_not_overdue():
    plan = plan_case(case_opened(MAY_1), deadline_tasks(DONE, d(2)), d(16))

    assert not plan.tasks["registration"].overdue


def test_without_a_deadline_rule_the_due_date_is_the_planned_finish():
    tasks = [task("visit", 0, duration_days=4, depends_on=["h"]), task("h", 1, state=DONE, completed_on=d(2))]
    plan = plan_case(case_opened(MAY_1), tasks, d(3))

    visit = plan.tasks["visit"]
    assert visit.start == d(2)  # h's completion, not today
    assert visit.due == visit.finish == d(6)
    assert not visit.due_is_projected  # rests only on an actual completion


def test_the_planned_date_stays_put_while_the_projected_finish_follows_today():
    tasks = [task("visit", 0, duration_days=4, depends_on=["h"]), task("h", 1, state=DONE, completed_on=d(2))]

    on_the_day = plan_case(case_opened(MAY_1), tasks, d(6)).tasks["visit"]
    assert (on_the_day.due, on_the_day.finish, on_the_day.overdue) == (d(6), d(6), False)  # due today: not late
    a_day_late = plan_case(case_opened(MAY_1), tasks, d(7)).tasks["visit"]
    assert (a_day_late.due, a_day_late.finish, a_day_late.overdue) == (d(6), d(7), True)
    assert not a_day_late.due_is_projected


def test_a_late_task_is_overdue_and_pushes_its_dependants_from_today():
    tasks = [
        task("a", 0, duration_days=2),
        task("b", 1, duration_days=3, depends_on=["a"], state=TaskState.LOCKED, is_milestone=True),
    ]
    plan = plan_case(case_opened(d(1, 4)), tasks, MAY_1)

    a, b = plan.tasks["a"], plan.tasks["b"]
    assert (a.start, a.due) == (d(1, 4), d(3, 4))  # planned from the opening: it was due on 3 April
    assert a.overdue and not a.due_is_projected
    assert a.finish == MAY_1  # not done yet: it finishes today at the earliest
    assert plan.overdue_keys == ("a",)
    assert (b.start, b.due, b.finish) == (MAY_1, d(4), d(4))  # b waits for a: it starts today
    assert b.due_is_projected and not b.overdue
    assert plan.operating_on == d(4)
    assert plan.critical_path == ("a", "b")

    next_day = plan_case(case_opened(d(1, 4)), tasks, d(2))
    assert next_day.tasks["a"].due == d(3, 4)
    assert next_day.tasks["b"].start == d(2)
    assert next_day.operating_on == d(5)  # a day later for each day a stays open


def test_a_done_milestone_gives_the_actual_operating_date_and_no_critical_path():
    tasks = [
        task("a", 0, state=DONE, completed_on=d(2)),
        task("m", 1, depends_on=["a"], is_milestone=True, state=DONE, completed_on=d(9)),
        task("later", 2, duration_days=30, depends_on=["m"]),
    ]
    plan = plan_case(case_opened(MAY_1), tasks, d(10))

    assert plan.operating_on == d(9)
    assert plan.critical_path == ()
    assert plan.next_keys == ("later",)


def test_an_empty_case_has_no_plan():
    plan = plan_case(case_opened(MAY_1), [], MAY_1)

    assert plan.tasks == {}
    assert plan.operating_on is None
    assert plan.critical_path == ()
    assert (plan.done, plan.total, plan.percent) == (0, 0, 0)
    assert plan.next_keys == ()


def test_next_steps_are_the_unfinished_tasks_whose_dependencies_are_done_by_position():
    tasks = [
        task("c", 2, depends_on=["a"]),
        task("a", 0, state=DONE, completed_on=d(1)),
        task("b", 1),
        task("z", 3, depends_on=["b"], state=TaskState.LOCKED),
    ]
    plan = plan_case(case_opened(MAY_1), tasks, MAY_1)

    assert plan.next_keys == ("b", "c")
    assert plan.tasks["z"].waiting_for == ("b",)
    assert plan.percent == 25


def test_a_cycle_does_not_break_the_plan():
    tasks = [task("a", 0, depends_on=["b"]), task("b", 1, depends_on=["a"]), task("c", 2)]

    assert [t.key for t in topological_order(tasks)] == ["c", "a", "b"]
    plan = plan_case(case_opened(MAY_1), tasks, MAY_1)
    assert set(plan.tasks) == {"a", "b", "c"}


def test_dependencies_on_unknown_keys_are_ignored():
    plan = plan_case(case_opened(MAY_1), [task("a", 0, depends_on=["gone"], duration_days=2)], MAY_1)

    assert plan.tasks["a"].waiting_for == ()
    assert plan.tasks["a"].finish == d(3)
