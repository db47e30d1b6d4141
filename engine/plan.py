"""Mass recovery: one exact plan for a batch of children (OR-Tools CP-SAT).

The caller has already run the matching engine for each child: a `PlanChild` lists
the homes it may go to with their scores. This module only decides who goes where.
Pure: no Django, nothing of the project; the clock is read only to measure seconds.

The plan honours every constraint of the batch:

- each child gets at most one home;
- no home gets more children than its free beds or its staff room (`min(beds,
  staff_room)`): a child takes `1 + dependents` of each;
- keep-together children share one home or are all unplaced. We chose "all unplaced"
  over "place as many of them as fit": a group is siblings, and splitting them is the
  very harm the batch exists to prevent; an unplaced group is a visible call for the
  MDT, a split one is a quiet one. So a group is solved as one unit whose options are
  the homes every member may go to that hold the whole group, scored by the sum;
- keep-apart pairs never share a home;
- a pinned child gets the pinned home or nothing (a group with a pinned member too).

Objective, lexicographic: the most children placed, then the highest total score.
Placing a child is worth `weight` > the largest possible difference of two plans'
total (integer-scaled) scores, so no gain in score can pay for one child left without
a home, and among plans placing equally many the score decides. We chose this order
because an unplaced child tonight sleeps in a police station or goes back to the
street: a slightly better home for one child is never worth that for another.
Scores are scaled by SCALE and rounded; the engine's scores have one decimal, so the
scaled problem is the real one exactly.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

# Scores have one decimal (scoring.round_points); 1000 keeps three exactly.
SCALE = 1000
# How often the caller's should_stop and on_progress run while the solver works.
POLL_SECONDS = 0.2
# One search thread: on batches built as bench/batches.py builds them, the single
# full search (LP and all) proved the optimum 1.5 to 10 times sooner than two or eight
# portfolio workers on a 2-core machine, which the worker shares with the web app.
DEFAULT_WORKERS = 1


@dataclass(frozen=True)
class PlanOption:
    """A feasible home for the child and its score."""

    home: int
    score: float


@dataclass(frozen=True)
class PlanChild:
    """A child of the batch; `beds` = 1 + dependents (staffing counts them all)."""

    id: int
    beds: int
    options: tuple[PlanOption, ...]


@dataclass(frozen=True)
class PlanHome:
    """A home's free beds and the residents the staff on duty can still take."""

    id: int
    beds: int
    staff_room: int


@dataclass(frozen=True)
class PlanProblem:
    children: tuple[PlanChild, ...]  # intake order: the greedy baseline's order
    homes: tuple[PlanHome, ...]
    keep_together: tuple[tuple[int, ...], ...] = ()
    keep_apart: tuple[tuple[int, int], ...] = ()
    pins: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PlanResult:
    assignments: Mapping[int, int | None]  # child id -> home id or None
    reasons: Mapping[int, str]  # child id -> why unplaced (unplaced children only)
    total_score: float
    placed: int
    optimal: bool
    gap: float
    seconds: float


# ---------------------------------------------------------------------------
# Units: a keep-together group, or a child on its own, placed as one.


@dataclass
class _Unit:
    members: tuple[int, ...]  # child ids, intake order
    beds: int
    # (home id, summed score, scaled summed score), best first (score desc, then id)
    options: list[tuple[int, float, int]]
    # why the unit cannot be placed anywhere, before any other child is considered
    blocked: str | None = None


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids)


def _validate(problem: PlanProblem) -> dict[int, PlanChild]:
    children: dict[int, PlanChild] = {}
    for child in problem.children:
        if child.id in children:
            raise ValueError(f"child {child.id} appears twice")
        if child.beds < 1:
            raise ValueError(f"child {child.id} needs at least one bed; got {child.beds}")
        children[child.id] = child
    homes = set()
    for home in problem.homes:
        if home.id in homes:
            raise ValueError(f"home {home.id} appears twice")
        homes.add(home.id)
    grouped: set[int] = set()
    for group in problem.keep_together:
        for child_id in group:
            if child_id not in children:
                raise ValueError(f"keep_together names unknown child {child_id}")
            if child_id in grouped:
                raise ValueError(f"child {child_id} is in two keep_together groups")
            grouped.add(child_id)
    for pair in problem.keep_apart:
        if len(pair) != 2 or pair[0] == pair[1]:
            raise ValueError(f"keep_apart needs two different children; got {pair!r}")
        for child_id in pair:
            if child_id not in children:
                raise ValueError(f"keep_apart names unknown child {child_id}")
    for child_id in problem.pins:
        if child_id not in children:
            raise ValueError(f"pins names unknown child {child_id}")
    return children


def _units(problem: PlanProblem, children: dict[int, PlanChild]) -> list[_Unit]:
    """The units in intake order of their first member, options that could each hold
    the unit alone (beds and staff room), pins applied, best first."""
    capacity = {home.id: min(home.beds, home.staff_room) for home in problem.homes}
    group_of: dict[int, tuple[int, ...]] = {}
    position = {child.id: index for index, child in enumerate(problem.children)}
    for group in problem.keep_together:
        members = tuple(sorted(set(group), key=position.__getitem__))
        for child_id in members:
            group_of[child_id] = members
    apart = {frozenset(pair) for pair in problem.keep_apart}
    units: list[_Unit] = []
    seen: set[int] = set()
    for child in problem.children:
        if child.id in seen:
            continue
        members = group_of.get(child.id, (child.id,))
        seen.update(members)
        beds = sum(children[m].beds for m in members)
        unit = _Unit(members, beds, [])
        units.append(unit)
        if len(members) > 1:
            clash = next(
                (
                    (a, b)
                    for i, a in enumerate(members)
                    for b in members[i + 1 :]
                    if frozenset((a, b)) in apart
                ),
                None,
            )
            if clash:
                unit.blocked = f"{clash[0]} and {clash[1]} are kept both together and apart"
                continue
        pinned = {problem.pins[m] for m in members if m in problem.pins}
        if len(pinned) > 1:
            unit.blocked = "members are pinned to different homes " + _ids(sorted(pinned))
            continue
        # Homes every member may go to, with the summed score.
        common: dict[int, float] | None = None
        for member in members:
            scores: dict[int, float] = {}
            for option in children[member].options:
                # A home listed twice for a child counts once, at its best score.
                scores[option.home] = max(option.score, scores.get(option.home, -math.inf))
            if common is None:
                common = scores
            else:
                common = {h: s + scores[h] for h, s in common.items() if h in scores}
        assert common is not None
        if pinned:
            (pin,) = pinned
            if pin not in common:
                who = "it" if len(members) == 1 else "the whole group"
                unit.blocked = f"pinned to home {pin}, which is not feasible for {who}"
                continue
            common = {pin: common[pin]}
        fits = [(h, s) for h, s in common.items() if capacity.get(h, 0) >= beds]
        if not fits:
            if len(members) > 1:
                unit.blocked = "no home fits the whole group"
            elif pinned:
                unit.blocked = f"pinned to home {next(iter(pinned))}, which is full"
            else:
                unit.blocked = "no feasible home"
            continue
        fits.sort(key=lambda item: (-item[1], item[0]))
        unit.options = [(h, s, round(s * SCALE)) for h, s in fits]
    return units


def _reduce(units: list[_Unit]) -> list[list[tuple[int, float, int]]]:
    """Each unit's options cut to the few an optimal plan may need (exact).

    Claim: if unit u keeps its best k options (score desc, then home id), where k - 1
    is at least the number of OTHER units that have any of those k homes among their
    own options, some optimal plan uses only kept options.

    Proof: take an optimal plan and a unit u placed at a home h outside its kept k.
    Only the k - 1 (at most) other units counted above can sit in the kept homes,
    and each sits in one home, so some kept home h' holds no other unit. h' holds u
    alone (every option does), so moving u there keeps beds and staff room; u has
    nobody at h' to be kept apart from; the placed count is unchanged and u's score
    does not fall (h' ranks above h). So the moved plan is optimal too, and u's rank
    strictly improved while nobody else's changed; repeating ends (ranks are finite)
    with every unit in its kept options. Unplaced units are unaffected.

    k starts at the number of units (the bound needing no look at the others) and
    shrinks while the count of others touching the kept homes allows: shrinking the
    kept list only shrinks that count, so each step stays valid. Children far apart
    (another state, another age band) touch nobody, and keep one or two options.
    """
    users: dict[int, list[int]] = {}
    for index, unit in enumerate(units):
        for home, _, _ in unit.options:
            users.setdefault(home, []).append(index)
    reduced = []
    for index, unit in enumerate(units):
        k = min(len(units), len(unit.options))
        while k > 1:
            others = set()
            for home, _, _ in unit.options[:k]:
                others.update(users[home])
            others.discard(index)
            shrunk = min(k, len(others) + 1)
            if shrunk == k:
                break
            k = shrunk
        reduced.append(unit.options[:k])
    return reduced


# ---------------------------------------------------------------------------
# The greedy baseline (also the solver's first hint).


def _greedy_choice(
    units: list[_Unit],
    options: list[list[tuple[int, float, int]]],
    capacity: dict[int, int],
    apart_units: dict[int, set[int]],
) -> list[int | None]:
    room = dict(capacity)
    at_home: dict[int, set[int]] = {}
    chosen: list[int | None] = []
    for index, unit in enumerate(units):
        pick = None
        for home, _, _ in options[index]:
            if room[home] >= unit.beds and not (at_home.get(home, set()) & apart_units[index]):
                pick = home
                break
        if pick is not None:
            room[pick] -= unit.beds
            at_home.setdefault(pick, set()).add(index)
        chosen.append(pick)
    return chosen


def plan_greedy(problem: PlanProblem) -> PlanResult:
    """Today's way, for comparison: one child at a time in intake order, each taking
    the best home still free (a keep-together group goes as one, at its first member's
    turn; keep-apart and pins are honoured, so the baseline is a valid plan too).
    `optimal` is False and `gap` NaN: a greedy pass knows no bound."""
    started = time.monotonic()
    children = _validate(problem)
    units = _units(problem, children)
    capacity = {home.id: min(home.beds, home.staff_room) for home in problem.homes}
    apart_units = _apart_units(problem, units)
    chosen = _greedy_choice(units, [u.options for u in units], capacity, apart_units)
    return _result(
        problem, units, chosen, capacity, apart_units, optimal=False, gap=math.nan,
        started=started,
    )  # fmt: skip


def _apart_units(problem: PlanProblem, units: list[_Unit]) -> dict[int, set[int]]:
    unit_of = {m: i for i, unit in enumerate(units) for m in unit.members}
    apart: dict[int, set[int]] = {i: set() for i in range(len(units))}
    for a, b in problem.keep_apart:
        ua, ub = unit_of[a], unit_of[b]
        if ua != ub:
            apart[ua].add(ub)
            apart[ub].add(ua)
    return apart


# ---------------------------------------------------------------------------
# The exact plan.


@cache
def _solver_kit() -> tuple[Any, type]:
    """OR-Tools' CP-SAT and the solution watcher, imported on the first plan: importing
    OR-Tools takes about 0.6 s, which every web worker would otherwise pay at start."""
    from ortools.sat.python import cp_model

    class _Watcher(cp_model.CpSolverSolutionCallback):
        """Remembers the latest solution's objective; runs in the solver's threads, so it
        only records, and the caller's thread reports."""

        def __init__(self) -> None:
            super().__init__()
            self.lock = threading.Lock()
            self.objective: float | None = None

        def on_solution_callback(self) -> None:
            with self.lock:
                self.objective = self.objective_value

    return cp_model, _Watcher


def plan_solve(
    problem: PlanProblem,
    *,
    time_limit_s: float = 30.0,
    on_progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    reduce: bool = True,
    workers: int | None = None,
) -> PlanResult:
    """The plan placing the most children, then with the highest total score.

    `optimal` is True when CP-SAT proved it; otherwise (the time limit or
    `should_stop` ended the search) the best plan found and `gap`, the relative
    distance of its objective from the solver's best bound, (bound - value) / bound
    of the lexicographic objective (so one child fewer than possible shows as about
    1 / placed). If no plan was found in time, the greedy plan stands in (it is
    valid). `on_progress(fraction, note)` and `should_stop()` run in the calling
    thread, every POLL_SECONDS. `reduce=False` keeps every option (for the tests
    that prove the reduction exact); `workers`: CP-SAT's threads (DEFAULT_WORKERS).
    """
    started = time.monotonic()
    cp_model, _Watcher = _solver_kit()
    children = _validate(problem)
    if on_progress:
        on_progress(0.0, "Preparing the plan")
    units = _units(problem, children)
    capacity = {home.id: min(home.beds, home.staff_room) for home in problem.homes}
    apart_units = _apart_units(problem, units)
    options = _reduce(units) if reduce else [unit.options for unit in units]
    hint = _greedy_choice(units, options, capacity, apart_units)

    total_scaled = sum(max((abs(o[2]) for o in opts), default=0) for opts in options)
    # Two plans' scaled totals differ by at most 2 * total_scaled: a child is worth more.
    weight = 2 * total_scaled + 1
    model = cp_model.CpModel()
    variables: dict[tuple[int, int], cp_model.IntVar] = {}
    by_home: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    terms = []
    per_unit: list[list[tuple[int, cp_model.IntVar]]] = []
    for index, unit in enumerate(units):
        mine = []
        per_unit.append([])
        for home, _, scaled in options[index]:
            var = model.new_bool_var(f"u{index}h{home}")
            variables[index, home] = var
            by_home.setdefault(home, []).append((index, var))
            mine.append(var)
            terms.append((weight * len(unit.members) + scaled, var))
            per_unit[-1].append(terms[-1])
            model.add_hint(var, hint[index] == home)
        if len(mine) > 1:
            model.add_at_most_one(mine)
    for home, placed in by_home.items():
        if sum(units[i].beds for i, _ in placed) > capacity[home]:
            model.add(sum(units[i].beds * var for i, var in placed) <= capacity[home])
    for ua, partners in apart_units.items():
        for ub in partners:
            if ua < ub:
                for home, _, _ in options[ua]:
                    other = variables.get((ub, home))
                    if other is not None:
                        model.add_at_most_one(variables[ua, home], other)
    model.maximize(
        cp_model.LinearExpr.weighted_sum([var for _, var in terms], [c for c, _ in terms])
    )

    solver = cp_model.CpSolver()
    # The limit covers the whole call: building the model counts too.
    remaining = float(time_limit_s) - (time.monotonic() - started)
    solver.parameters.max_time_in_seconds = max(0.01, remaining)
    solver.parameters.num_workers = workers or DEFAULT_WORKERS
    solver.parameters.random_seed = 1
    # Assignment with capacities: the full LP relaxation is tight and cheap here, and
    # proves optimality far sooner than the default (measured on bench/batches.py).
    solver.parameters.linearization_level = 2
    watcher = _Watcher()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["status"] = solver.solve(model, watcher)
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="plan-solve", daemon=True)
    thread.start()
    stopped = False
    try:
        while thread.is_alive():
            thread.join(POLL_SECONDS)
            if not thread.is_alive():
                break
            if should_stop and not stopped and should_stop():
                stopped = True
                solver.stop_search()
            if on_progress:
                elapsed = time.monotonic() - started
                with watcher.lock:
                    value = watcher.objective
                note = "Searching for a plan"
                if value is not None:
                    placed = int((value + total_scaled) // weight)
                    note = f"Best plan so far places {placed} of {len(children)} children"
                on_progress(min(0.99, elapsed / max(time_limit_s, 0.01)), note)
    finally:
        # A failing callback must not leave the solver running behind the caller.
        if thread.is_alive():
            solver.stop_search()
            thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    status = outcome["status"]
    if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        # Placing nobody is always a plan: either means a bug here, never bad input.
        raise RuntimeError(f"the plan model is {solver.status_name(status)}")
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen: list[int | None] = []
        for index in range(len(units)):
            chosen.append(
                next(
                    (home for home, _, _ in options[index] if solver.value(variables[index, home])),
                    None,
                )
            )
        optimal = status == cp_model.OPTIMAL
        value, bound = solver.objective_value, solver.best_objective_bound
    else:
        # Stopped before any plan: the greedy one is valid.
        chosen, optimal = hint, False
        value = sum(
            weight * len(units[i].members) + next(o[2] for o in options[i] if o[0] == h)
            for i, h in enumerate(hint)
            if h is not None
        )
        bound = solver.best_objective_bound
    # Every unit at its best option: a bound that needs no search, for when the
    # solver was stopped before it proved a better one.
    trivial_bound = sum(max((c for c, _ in unit_terms), default=0) for unit_terms in per_unit)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or not math.isfinite(bound):
        bound = trivial_bound
    bound = min(bound, trivial_bound)
    gap = 0.0 if optimal else max(0.0, (bound - value) / max(1.0, abs(bound)))
    result = _result(
        problem, units, chosen, capacity, apart_units, optimal=optimal, gap=gap,
        started=started,
    )  # fmt: skip
    if on_progress:
        on_progress(1.0, f"Plan places {result.placed} of {len(children)} children")
    return result


def _result(
    problem: PlanProblem,
    units: list[_Unit],
    chosen: list[int | None],
    capacity: dict[int, int],
    apart_units: dict[int, set[int]],
    *,
    optimal: bool,
    gap: float,
    started: float,
) -> PlanResult:
    """The plan with the scores and, for each unplaced child, why."""
    room = dict(capacity)
    at_home: dict[int, list[int]] = {}
    for index, home in enumerate(chosen):
        if home is not None:
            room[home] -= units[index].beds
            at_home.setdefault(home, []).append(index)
    assignments: dict[int, int | None] = {}
    reasons: dict[int, str] = {}
    total = 0.0
    placed = 0
    for index, unit in enumerate(units):
        home = chosen[index]
        for member in unit.members:
            assignments[member] = home
        if home is not None:
            placed += len(unit.members)
            total += next(score for h, score, _ in unit.options if h == home)
            continue
        reason = unit.blocked or _why_unplaced(units, index, room, at_home, apart_units, problem)
        for member in unit.members:
            mates = [m for m in unit.members if m != member]
            if mates:
                reasons[member] = f"kept together with {_ids(mates)}: {reason}"
            else:
                reasons[member] = reason
    ordered = {child.id: assignments[child.id] for child in problem.children}
    return PlanResult(
        assignments=MappingProxyType(ordered),
        reasons=MappingProxyType(reasons),
        total_score=round(total, 6),
        placed=placed,
        optimal=optimal,
        gap=gap,
        seconds=time.monotonic() - started,
    )


def _why_unplaced(
    units: list[_Unit],
    index: int,
    room: dict[int, int],
    at_home: dict[int, list[int]],
    apart_units: dict[int, set[int]],
    problem: PlanProblem,
) -> str:
    """Why a unit that had options got none: the homes that fit it are full, or the
    ones with room hold a child it is kept apart from."""
    unit = units[index]
    apart = {frozenset(pair) for pair in problem.keep_apart}
    avoided: list[int] = []  # kept-apart children sitting in the homes with room
    for home, _, _ in unit.options:
        if room[home] < unit.beds:
            continue
        partners = [i for i in at_home.get(home, []) if i in apart_units[index]]
        if not partners:
            # Room and nobody to avoid: only a search stopped early leaves that.
            return "the search stopped before placing it; a home with room remains"
        for partner in partners:
            for member in units[partner].members:
                kept = any(frozenset((member, own)) in apart for own in unit.members)
                if kept and member not in avoided:
                    avoided.append(member)
    who = "it" if len(unit.members) == 1 else "the whole group"
    pins = sorted({problem.pins[m] for m in unit.members if m in problem.pins})
    if avoided:
        homes_with_room = {h for h, _, _ in unit.options if room[h] >= unit.beds}
        if pins:
            where = f"its pinned home {pins[0]} holds"
        elif len(homes_with_room) == 1:
            where = f"the only home with room for {who} holds"
        else:
            where = f"every home with room for {who} holds one of"
        return f"kept apart from {_ids(avoided)}: {where} {_ids(avoided)}"
    if pins:
        return f"pinned to home {pins[0]}, which is full"
    if len(unit.members) > 1:
        return "every home that fits the whole group is full with other children of this batch"
    return "every home that fits is full with other children of this batch"
