"""The attract loop's choice of project and each project's progress, as plain Python."""

from __future__ import annotations

import dataclasses

from kiosk.core.catalog import Project
from kiosk.screen.project_choice import ProjectChoice, progress


def _project(pid: str, raised: int = 1000, goal: int = 10000,
             supporters: int | None = None) -> Project:
    return Project(id=pid, association="A", title="T", summary="S", image_path=None,
                   goal_cents=goal, raised_cents=raised, currency="EUR", url=None,
                   starts_on=None, ends_on=None, active=True, supporters=supporters)


def test_progress_adds_the_local_gifts_and_counts_their_donors():
    p = _project("a", raised=9000, goal=10000, supporters=46)
    before = progress(p, {})
    after = progress(p, {"a": (1500, 2), "b": (100, 1)})
    assert (before.raised_cents, before.supporters, before.reached) == (9000, 46, False)
    assert (after.raised_cents, after.supporters, after.reached) == (10500, 48, True)
    assert after.fraction == 1.0 and before.fraction == 0.9


def test_progress_without_a_supporter_count_or_goal():
    p = _project("a", goal=0)
    got = progress(p, {"a": (500, 1)})
    assert got.supporters is None and not got.reached and got.fraction == 0.0


def test_moving_wraps_round_and_pauses_the_loop_until_inactivity():
    choice = ProjectChoice(resume_after_s=30)
    choice.set_projects([_project(x) for x in "abc"], {})
    assert choice.auto_next(0) == 1
    assert choice.move(-1, now=10) == 0 and choice.move(-1, now=11) == 2
    assert choice.current == "c"
    assert choice.auto_next(now=40) is None  # 29 s after the last touch: still choosing
    choice.touched(now=35)
    assert choice.auto_next(now=64) is None
    assert choice.auto_next(now=65) == 0  # inactivity: the loop resumes


def test_select_from_the_grid():
    choice = ProjectChoice(resume_after_s=30)
    choice.set_projects([_project(x) for x in "abc"], {})
    assert not choice.select("zz", now=1)
    assert choice.select("c", now=1) and choice.current == "c" and choice.paused(now=2)


def test_the_loop_favours_projects_still_open_but_a_reached_one_stays_reachable():
    projects = [_project("a"), _project("b", raised=10000), _project("c"),
                _project("d", raised=9000)]
    choice = ProjectChoice(resume_after_s=30)
    choice.set_projects(projects, {"d": (1000, 1)})  # d reaches its goal with a local gift
    assert choice.reached == {"b", "d"}
    assert [choice.auto_next(now=0) for _ in range(4)] == [2, 0, 2, 0]
    assert choice.move(1, now=0) == 1 and choice.current == "b"  # by hand: still there


def test_all_reached_still_turns_and_a_new_list_keeps_the_current_project():
    projects = [_project(x, raised=10000) for x in "abc"]
    choice = ProjectChoice(resume_after_s=30)
    choice.set_projects(projects, {})
    assert [choice.auto_next(now=0) for _ in range(3)] == [1, 2, 0]
    choice.move(2, now=0)
    choice.set_projects([dataclasses.replace(p, raised_cents=0) for p in projects], {},
                        keep="c")
    assert choice.current == "c" and choice.reached == set()
    choice.set_projects(projects[:2], {}, keep="c")
    assert choice.index == 0
    assert ProjectChoice(resume_after_s=1).auto_next(0) is None
