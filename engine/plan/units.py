"""A batch's problem as the solver sees it, and a plan read back.

A unit is a keep-together group, or a child on its own, placed as one: its options are
the homes every member may go to that hold the whole unit, scored by the sum. The
options are cut to the few an optimal plan may need (`reduce_options`, exact), and a
plan of units becomes one of children, with why each unplaced child is (`plan_result`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from .types import PlanChild, PlanProblem, PlanResult

# Scores have one decimal (scoring.round_points); 1000 keeps three exactly.
SCALE = 1000

# (home id, summed score, scaled summed score)
Option = tuple[int, float, int]


@dataclass
class Unit:
    members: tuple[int, ...]  # child ids, intake order
    beds: int
    # best first (score desc, then id)
    options: list[Option]
    # why the unit cannot be placed anywhere, before any other child is considered
    blocked: str | None = None


def id_list(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids)


def child_list(problem: PlanProblem, ids: Sequence[int]) -> str:
    """Children as a reason names them: by `problem.names` (a case number), never an id
    a reader could not use."""
    return ", ".join(problem.names.get(i, str(i)) for i in ids)


def capacities(problem: PlanProblem) -> dict[int, int]:
    """Each home's room: the fewer of its free beds and its staff room."""
    return {home.id: min(home.beds, home.staff_room) for home in problem.homes}


def validate(problem: PlanProblem) -> dict[int, PlanChild]:
    """The children by id; ValueError for a problem that names a child or home twice or
    an unknown one (the caller's bug, never a child's)."""
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


def units_of(problem: PlanProblem, children: dict[int, PlanChild]) -> list[Unit]:
    """The units in intake order of their first member, options that could each hold
    the unit alone (beds and staff room), pins applied, best first."""
    capacity = capacities(problem)
    group_of = _groups(problem)
    apart = {frozenset(pair) for pair in problem.keep_apart}
    units: list[Unit] = []
    seen: set[int] = set()
    for child in problem.children:
        if child.id in seen:
            continue
        members = group_of.get(child.id, (child.id,))
        seen.update(members)
        unit = Unit(members, sum(children[m].beds for m in members), [])
        _set_options(unit, problem, children, capacity, apart)
        units.append(unit)
    return units


def _groups(problem: PlanProblem) -> dict[int, tuple[int, ...]]:
    """Each grouped child's group, its members in intake order."""
    position = {child.id: index for index, child in enumerate(problem.children)}
    group_of: dict[int, tuple[int, ...]] = {}
    for group in problem.keep_together:
        members = tuple(sorted(set(group), key=position.__getitem__))
        for child_id in members:
            group_of[child_id] = members
    return group_of


def _set_options(
    unit: Unit,
    problem: PlanProblem,
    children: dict[int, PlanChild],
    capacity: dict[int, int],
    apart: set[frozenset[int]],
) -> None:
    """The unit's options, best first, or why it has none (`blocked`)."""
    members = unit.members
    clash = _clash(members, apart)
    if clash:
        unit.blocked = f"{child_list(problem, clash)} are kept both together and apart"
        return
    pinned = {problem.pins[m] for m in members if m in problem.pins}
    if len(pinned) > 1:
        unit.blocked = "members are pinned to different homes " + id_list(sorted(pinned))
        return
    common = _common_scores(members, children)
    if pinned:
        (pin,) = pinned
        if pin not in common:
            who = "it" if len(members) == 1 else "the whole group"
            unit.blocked = f"pinned to home {pin}, which is not feasible for {who}"
            return
        common = {pin: common[pin]}
    fits = [(h, s) for h, s in common.items() if capacity.get(h, 0) >= unit.beds]
    if not fits:
        if len(members) > 1:
            unit.blocked = "no home fits the whole group"
        elif pinned:
            unit.blocked = f"pinned to home {next(iter(pinned))}, which is full"
        else:
            unit.blocked = "no feasible home"
        return
    fits.sort(key=lambda item: (-item[1], item[0]))
    unit.options = [(h, s, round(s * SCALE)) for h, s in fits]


def _clash(members: tuple[int, ...], apart: set[frozenset[int]]) -> tuple[int, int] | None:
    """Two members of a group that are also to be kept apart, if any."""
    return next(
        (
            (a, b)
            for i, a in enumerate(members)
            for b in members[i + 1 :]
            if frozenset((a, b)) in apart
        ),
        None,
    )


def _common_scores(members: tuple[int, ...], children: dict[int, PlanChild]) -> dict[int, float]:
    """The homes every member may go to, with the summed score."""
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
    return common


def reduce_options(units: list[Unit]) -> list[list[Option]]:
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


def apart_units(problem: PlanProblem, units: list[Unit]) -> dict[int, set[int]]:
    """For each unit (by index), the units it is kept apart from."""
    unit_of = {m: i for i, unit in enumerate(units) for m in unit.members}
    apart: dict[int, set[int]] = {i: set() for i in range(len(units))}
    for a, b in problem.keep_apart:
        ua, ub = unit_of[a], unit_of[b]
        if ua != ub:
            apart[ua].add(ub)
            apart[ub].add(ua)
    return apart


def plan_result(
    problem: PlanProblem,
    units: list[Unit],
    chosen: list[int | None],
    capacity: dict[int, int],
    apart: dict[int, set[int]],
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
        reason = unit.blocked or _why_unplaced(units, index, room, at_home, apart, problem)
        for member in unit.members:
            mates = [m for m in unit.members if m != member]
            if mates:
                reasons[member] = f"kept together with {child_list(problem, mates)}: {reason}"
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
    units: list[Unit],
    index: int,
    room: dict[int, int],
    at_home: dict[int, list[int]],
    apart_of: dict[int, set[int]],
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
        partners = [i for i in at_home.get(home, []) if i in apart_of[index]]
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
        named = child_list(problem, avoided)
        return f"kept apart from {named}: {where} {named}"
    if pins:
        return f"pinned to home {pins[0]}, which is full"
    if len(unit.members) > 1:
        return "every home that fits the whole group is full with other children of this batch"
    return "every home that fits is full with other children of this batch"
