"""Mass recovery's plan: exact on every small batch, never breaking a constraint.

Pure: no database. The brute force below tries every assignment of every child.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.plan import (
    PlanChild,
    PlanHome,
    PlanOption,
    PlanProblem,
    PlanResult,
    plan_greedy,
    plan_solve,
)

EXAMPLES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw, max_children: int = 6, max_homes: int = 6) -> PlanProblem:
    """Small batches: tight beds and staff room, siblings, co-victims and pins."""
    # Few homes for many children half the time: that is when constraints bind.
    home_count = draw(st.integers(1, max_homes) | st.integers(1, 2))
    homes = tuple(
        PlanHome(
            id=100 + h,
            beds=draw(st.integers(0, 4)),
            staff_room=draw(st.integers(-1, 4)),
        )
        for h in range(home_count)
    )
    child_count = draw(st.integers(1, max_children))
    children = []
    for c in range(child_count):
        feasible = draw(
            st.lists(st.sampled_from(homes), unique=True, min_size=1, max_size=home_count)
            | st.just(list(homes))
        )
        options = tuple(
            # One decimal, as the engine scores; ties happen.
            PlanOption(home.id, draw(st.integers(0, 1000)) / 10)
            for home in feasible
        )
        children.append(PlanChild(id=c + 1, beds=draw(st.integers(1, 2)), options=options))
    ids = [child.id for child in children]
    shuffled = draw(st.permutations(ids))
    groups = []
    start = 0
    while start < len(shuffled) - 1 and draw(st.booleans()):
        size = draw(st.integers(2, min(3, len(shuffled) - start)))
        groups.append(tuple(shuffled[start : start + size]))
        start += size
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1]),
            max_size=4,
        )
        if len(ids) > 1
        else st.just([])
    )
    pinned = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
    pins = {child: draw(st.sampled_from(homes)).id for child in pinned}
    return PlanProblem(tuple(children), homes, tuple(groups), tuple(pairs), pins)


def brute_force(problem: PlanProblem) -> tuple[int, float]:
    """The best (placed, total score) over every assignment, by exhaustion."""
    room = {home.id: min(home.beds, home.staff_room) for home in problem.homes}
    group_of = {m: group for group in problem.keep_together for m in group}
    apart = [tuple(pair) for pair in problem.keep_apart]
    children = problem.children
    chosen: dict[int, int | None] = {}
    best = (-1, -1.0)

    def allowed(child: PlanChild, home: int | None) -> bool:
        for mate in group_of.get(child.id, ()):
            if mate in chosen and chosen[mate] != home:
                return False
        if home is None:
            return True
        if problem.pins.get(child.id, home) != home or room.get(home, 0) < child.beds:
            return False
        for a, b in apart:
            other = b if a == child.id else a if b == child.id else None
            if other is not None and chosen.get(other) == home:
                return False
        return True

    def walk(index: int, placed: int, score: float) -> None:
        nonlocal best
        if index == len(children):
            best = max(best, (placed, score))
            return
        child = children[index]
        for option in (None, *child.options):
            home = None if option is None else option.home
            if not allowed(child, home):
                continue
            chosen[child.id] = home
            if home is None:
                walk(index + 1, placed, score)
            else:
                room[home] -= child.beds
                walk(index + 1, placed + 1, score + option.score)
                room[home] += child.beds
            del chosen[child.id]

    walk(0, 0, 0.0)
    return best


def assert_valid(problem: PlanProblem, result: PlanResult) -> None:
    """What an MDT would reject on sight: an overfull home, split siblings, co-victims
    together, a broken pin, a home the child cannot go to, an unexplained gap."""
    assignments = result.assignments
    assert set(assignments) == {child.id for child in problem.children}
    used: dict[int, int] = {}
    score = 0.0
    for child in problem.children:
        home = assignments[child.id]
        if home is None:
            assert result.reasons[child.id]
            continue
        assert child.id not in result.reasons
        scores = [o.score for o in child.options if o.home == home]
        assert scores, f"child {child.id} sent to home {home}, which is not feasible for it"
        score += max(scores)
        used[home] = used.get(home, 0) + child.beds
        if child.id in problem.pins:
            assert home == problem.pins[child.id]
    for home in problem.homes:
        assert used.get(home.id, 0) <= home.beds
        assert used.get(home.id, 0) <= home.staff_room or not used.get(home.id)
    for group in problem.keep_together:
        assert len({assignments[m] for m in group}) == 1, f"group {group} split"
    for a, b in problem.keep_apart:
        assert assignments[a] is None or assignments[a] != assignments[b]
    assert result.placed == sum(home is not None for home in assignments.values())
    assert result.total_score == pytest.approx(score, abs=1e-6)


@EXAMPLES
@given(problems())
def test_it_equals_the_brute_force_optimum(problem: PlanProblem) -> None:
    result = plan_solve(problem, workers=1)
    assert_valid(problem, result)
    assert result.optimal and result.gap == 0.0
    placed, score = brute_force(problem)
    assert result.placed == placed
    assert result.total_score == pytest.approx(score, abs=1e-6)


@EXAMPLES
@given(problems(max_children=8, max_homes=8))
def test_it_never_breaks_a_constraint(problem: PlanProblem) -> None:
    assert_valid(problem, plan_solve(problem, workers=1))
    greedy = plan_greedy(problem)
    assert_valid(problem, greedy)


@EXAMPLES
@given(problems(max_children=8, max_homes=8))
def test_it_places_at_least_as_many_and_scores_at_least_the_greedy_pass(
    problem: PlanProblem,
) -> None:
    best, greedy = plan_solve(problem, workers=1), plan_greedy(problem)
    assert (best.placed, best.total_score + 1e-6) >= (greedy.placed, greedy.total_score)


@EXAMPLES
@given(problems(max_children=8, max_homes=5))
def test_it_loses_nothing_to_the_reduction(problem: PlanProblem) -> None:
    reduced = plan_solve(problem, workers=1)
    full = plan_solve(problem, workers=1, reduce=False)
    assert (reduced.placed, reduced.total_score) == pytest.approx(
        (full.placed, full.total_score), abs=1e-6
    )


def crowded(children: int, homes: int, seed: int, *, options: int = 40) -> PlanProblem:
    """Many children wanting the same few good homes: the reduction has work to do."""
    rng = random.Random(seed)
    home_list = tuple(
        PlanHome(h, rng.choice([0, 1, 1, 2, 3]), rng.choice([0, 1, 2, 4])) for h in range(homes)
    )
    child_list = []
    for c in range(children):
        feasible = rng.sample(range(homes), k=min(options, homes))
        child_list.append(
            PlanChild(
                c,
                1 if rng.random() < 0.9 else 2,
                tuple(PlanOption(h, rng.randint(0, 1000) / 10) for h in feasible),
            )
        )
    ids = list(range(children))
    rng.shuffle(ids)
    groups = tuple(tuple(ids[i : i + 3]) for i in range(0, min(12, children), 3))
    pairs = tuple((ids[i], ids[i + 1]) for i in range(12, min(30, children - 1), 2))
    pins = {ids[i]: rng.randrange(homes) for i in range(30, min(33, children))}
    return PlanProblem(tuple(child_list), home_list, groups, pairs, pins)


@pytest.mark.parametrize("seed", range(3))
def test_it_loses_nothing_to_the_reduction_on_a_crowded_batch(seed: int) -> None:
    problem = crowded(40, 120, seed, options=30)
    reduced = plan_solve(problem, time_limit_s=60)
    full = plan_solve(problem, time_limit_s=60, reduce=False)
    assert reduced.optimal and full.optimal
    assert_valid(problem, reduced)
    assert reduced.placed == full.placed
    assert reduced.total_score == pytest.approx(full.total_score, abs=1e-6)


def test_it_leaves_one_of_a_kept_apart_pair_unplaced_and_says_why() -> None:
    recruiter = PlanChild(1, 1, (PlanOption(10, 80.0),))
    girl = PlanChild(2, 1, (PlanOption(10, 90.0),))
    problem = PlanProblem(
        children=(recruiter, girl),
        homes=(PlanHome(10, beds=3, staff_room=3),),
        keep_apart=((1, 2),),
    )
    result = plan_solve(problem)
    assert result.optimal
    assert result.placed == 1
    assert result.assignments == {1: None, 2: 10}
    assert result.reasons[1].startswith("kept apart from 2: ")
    assert_valid(problem, result)


def test_it_keeps_siblings_together_or_leaves_them_all_unplaced() -> None:
    # Three siblings; the only home they all may go to has two beds.
    sibling = tuple(PlanChild(i, 1, (PlanOption(10, 50.0), PlanOption(11, 60.0))) for i in (1, 2))
    youngest = PlanChild(3, 1, (PlanOption(10, 40.0),))
    problem = PlanProblem(
        children=(*sibling, youngest),
        homes=(PlanHome(10, beds=2, staff_room=8), PlanHome(11, beds=3, staff_room=8)),
        keep_together=((1, 2, 3),),
    )
    result = plan_solve(problem)
    assert result.placed == 0
    assert result.reasons[3] == "kept together with 1, 2: no home fits the whole group"
    assert result.reasons[1] == "kept together with 2, 3: no home fits the whole group"
    # Named as the reader knows them (the workflow gives case numbers), never by id.
    named = dataclasses.replace(problem, names={1: "case KS-1", 2: "case KS-2", 3: "case KS-3"})
    reasons = plan_solve(named).reasons
    assert reasons[3] == "kept together with case KS-1, case KS-2: no home fits the whole group"


def test_it_explains_a_full_pin_and_a_child_with_no_home() -> None:
    problem = PlanProblem(
        children=(
            PlanChild(1, 1, (PlanOption(10, 90.0),)),
            PlanChild(2, 1, (PlanOption(10, 70.0), PlanOption(11, 60.0))),
            PlanChild(3, 1, ()),
            PlanChild(4, 1, (PlanOption(11, 50.0),)),
        ),
        homes=(PlanHome(10, beds=1, staff_room=4), PlanHome(11, beds=1, staff_room=4)),
        pins={1: 10, 2: 10, 4: 10},
    )
    result = plan_solve(problem)
    # Both pinned to the one-bed home 10: the better score gets it.
    assert result.assignments == {1: 10, 2: None, 3: None, 4: None}
    assert result.reasons[2] == "pinned to home 10, which is full"
    assert result.reasons[3] == "no feasible home"
    assert result.reasons[4] == "pinned to home 10, which is not feasible for it"


def test_it_counts_dependents_against_beds_and_staffing() -> None:
    mother = PlanChild(1, 2, (PlanOption(10, 90.0),))  # a child with a baby
    problem = PlanProblem(
        children=(mother, PlanChild(2, 1, (PlanOption(10, 10.0),))),
        homes=(PlanHome(10, beds=3, staff_room=2),),
    )
    result = plan_solve(problem)
    # Staff on duty can take two more residents: the mother and her baby, or child 2.
    assert result.assignments == {1: 10, 2: None}
    assert result.reasons[2] == "every home that fits is full with other children of this batch"


def test_it_places_more_children_before_a_higher_score() -> None:
    # Child 1 alone in home 10 scores 100; children 2 and 3 there score 20 together.
    problem = PlanProblem(
        children=(
            PlanChild(1, 2, (PlanOption(10, 100.0),)),
            PlanChild(2, 1, (PlanOption(10, 10.0),)),
            PlanChild(3, 1, (PlanOption(10, 10.0),)),
        ),
        homes=(PlanHome(10, beds=2, staff_room=2),),
    )
    result = plan_solve(problem)
    assert result.placed == 2 and result.total_score == pytest.approx(20.0)
    greedy = plan_greedy(problem)
    assert greedy.placed == 1  # intake order gives child 1 the home


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (PlanProblem((PlanChild(1, 1, ()), PlanChild(1, 1, ())), ()), "appears twice"),
        (PlanProblem((PlanChild(1, 1, ()),), (), keep_together=((1, 2),)), "unknown child 2"),
        (
            PlanProblem((PlanChild(1, 1, ()), PlanChild(2, 1, ())), (), ((1, 2), (2,))),
            "two keep_together groups",
        ),
        (PlanProblem((PlanChild(1, 1, ()),), (), keep_apart=((1, 1),)), "two different"),
        (PlanProblem((PlanChild(1, 0, ()),), ()), "at least one bed"),
    ],
)
def test_it_refuses_a_malformed_batch(problem: PlanProblem, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_solve(problem)


def test_it_refuses_siblings_who_are_also_kept_apart() -> None:
    problem = PlanProblem(
        children=tuple(PlanChild(i, 1, (PlanOption(10, 50.0),)) for i in (1, 2)),
        homes=(PlanHome(10, 4, 4),),
        keep_together=((1, 2),),
        keep_apart=((2, 1),),
    )
    result = plan_solve(problem)
    assert result.placed == 0
    assert "kept both together and apart" in result.reasons[1]


def big(children: int, homes: int, seed: int) -> PlanProblem:
    """A large, crowded batch: every child may go to a few hundred homes."""
    return crowded(children, homes, seed, options=300)


def test_it_returns_a_valid_plan_when_the_time_limit_stops_it() -> None:
    problem = big(300, 3000, seed=7)
    progress: list[tuple[float, str]] = []
    threads = set()

    def report(fraction: float, note: str) -> None:
        # The caller writes progress to the database: from its own thread only.
        threads.add(threading.get_ident())
        progress.append((fraction, note))

    started = time.monotonic()
    result = plan_solve(problem, time_limit_s=1.0, on_progress=report)
    assert threads == {threading.get_ident()}
    assert time.monotonic() - started < 30
    assert_valid(problem, result)
    assert result.gap >= 0 and (result.gap == 0) >= result.optimal
    if not result.optimal:
        # Stopped early, the plan is at some distance from what might exist.
        assert result.gap > 0
    assert progress[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in progress)
    assert result.placed > 0


def test_it_stops_when_asked() -> None:
    problem = big(300, 3000, seed=8)
    calls = []

    def stop() -> bool:
        calls.append(1)
        return True

    started = time.monotonic()
    result = plan_solve(problem, time_limit_s=120, should_stop=stop)
    assert time.monotonic() - started < 60
    assert_valid(problem, result)
    assert result.gap >= 0
    if not result.optimal:
        assert calls
