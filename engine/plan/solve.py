"""The plan: exact with CP-SAT (`plan_solve`), or greedy, one child at a time
(`plan_greedy`, the baseline and the solver's first hint)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .types import PlanProblem, PlanResult
from .units import (
    Option,
    Unit,
    apart_units,
    capacities,
    plan_result,
    reduce_options,
    units_of,
    validate,
)

# How often the caller's should_stop and on_progress run while the solver works.
POLL_SECONDS = 0.2
# One search thread: on batches built as bench/batches.py builds them, the single
# full search (LP and all) proved the optimum 1.5 to 10 times sooner than two or eight
# portfolio workers on a 2-core machine, which the worker shares with the web app.
DEFAULT_WORKERS = 1


# ---------------------------------------------------------------------------
# The greedy baseline (also the solver's first hint).


def greedy_choice(
    units: list[Unit],
    options: list[list[Option]],
    capacity: dict[int, int],
    apart: dict[int, set[int]],
) -> list[int | None]:
    room = dict(capacity)
    at_home: dict[int, set[int]] = {}
    chosen: list[int | None] = []
    for index, unit in enumerate(units):
        pick = None
        for home, _, _ in options[index]:
            if room[home] >= unit.beds and not (at_home.get(home, set()) & apart[index]):
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
    units = units_of(problem, validate(problem))
    capacity = capacities(problem)
    apart = apart_units(problem, units)
    chosen = greedy_choice(units, [u.options for u in units], capacity, apart)
    return plan_result(
        problem, units, chosen, capacity, apart, optimal=False, gap=math.nan, started=started
    )


# ---------------------------------------------------------------------------
# The exact plan.


def solver_warm() -> None:
    """Import OR-Tools now: a plan's time limit counts from its start, the import
    included (0.6 s on a quiet host; on a busy one a 150-child plan with a 5 s limit took
    15.6 s, bench/batches.py), so a worker does it once before it takes any plan."""
    _solver_kit()


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
    cp_model, watcher_class = _solver_kit()
    children = validate(problem)
    if on_progress:
        on_progress(0.0, "Preparing the plan")
    units = units_of(problem, children)
    capacity = capacities(problem)
    apart = apart_units(problem, units)
    options = reduce_options(units) if reduce else [unit.options for unit in units]
    hint = greedy_choice(units, options, capacity, apart)
    built = _build_model(cp_model, units, options, capacity, apart, hint)
    # The limit covers the whole call: building the model counts too.
    solver = _solver(cp_model, time_limit_s - (time.monotonic() - started), workers)
    watcher = watcher_class()

    def report() -> None:
        if on_progress:
            elapsed = time.monotonic() - started
            note = _progress_note(watcher, built, len(children))
            on_progress(min(0.99, elapsed / max(time_limit_s, 0.01)), note)

    status = _solve_in_thread(solver, built.model, watcher, should_stop, report)
    chosen, optimal, gap = _outcome(cp_model, solver, status, built, units, options, hint)
    result = plan_result(
        problem, units, chosen, capacity, apart, optimal=optimal, gap=gap, started=started
    )
    if on_progress:
        on_progress(1.0, f"Plan places {result.placed} of {len(children)} children")
    return result


@dataclass
class _Model:
    model: Any  # cp_model.CpModel
    variables: dict[tuple[int, int], Any]  # (unit index, home id) -> its BoolVar
    # Placing a child is worth `weight`, more than two plans' scaled totals can differ
    # (2 * total_scaled): no gain in score pays for one child left without a home.
    weight: int
    total_scaled: int
    # Every unit at its best option: a bound that needs no search, for when the solver
    # was stopped before it proved a better one.
    trivial_bound: int


def _build_model(
    cp_model: Any,
    units: list[Unit],
    options: list[list[Option]],
    capacity: dict[int, int],
    apart: dict[int, set[int]],
    hint: list[int | None],
) -> _Model:
    """One Boolean a unit and option; at most one option a unit; beds and staff room;
    keep-apart; the lexicographic objective; the greedy plan as the hint."""
    total_scaled = sum(max((abs(o[2]) for o in opts), default=0) for opts in options)
    weight = 2 * total_scaled + 1
    model = cp_model.CpModel()
    variables: dict[tuple[int, int], Any] = {}
    by_home: dict[int, list[tuple[int, Any]]] = {}
    terms: list[tuple[int, Any]] = []
    trivial_bound = 0
    for index, unit in enumerate(units):
        mine = []
        best = 0
        for home, _, scaled in options[index]:
            var = model.new_bool_var(f"u{index}h{home}")
            variables[index, home] = var
            by_home.setdefault(home, []).append((index, var))
            mine.append(var)
            terms.append((weight * len(unit.members) + scaled, var))
            best = max(best, terms[-1][0])
            model.add_hint(var, hint[index] == home)
        trivial_bound += best
        if len(mine) > 1:
            model.add_at_most_one(mine)
    for home, placed in by_home.items():
        if sum(units[i].beds for i, _ in placed) > capacity[home]:
            model.add(sum(units[i].beds * var for i, var in placed) <= capacity[home])
    for ua, partners in apart.items():
        for ub in partners:
            if ua < ub:
                for home, _, _ in options[ua]:
                    other = variables.get((ub, home))
                    if other is not None:
                        model.add_at_most_one(variables[ua, home], other)
    model.maximize(
        cp_model.LinearExpr.weighted_sum([var for _, var in terms], [c for c, _ in terms])
    )
    return _Model(model, variables, weight, total_scaled, trivial_bound)


def _solver(cp_model: Any, seconds: float, workers: int | None) -> Any:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.num_workers = workers or DEFAULT_WORKERS
    solver.parameters.random_seed = 1
    # Assignment with capacities: the full LP relaxation is tight and cheap here, and
    # proves optimality far sooner than the default (measured on bench/batches.py).
    solver.parameters.linearization_level = 2
    return solver


def _progress_note(watcher: Any, built: _Model, children: int) -> str:
    with watcher.lock:
        value = watcher.objective
    if value is None:
        return "Searching for a plan"
    placed = int((value + built.total_scaled) // built.weight)
    return f"Best plan so far places {placed} of {children} children"


def _solve_in_thread(
    solver: Any,
    model: Any,
    watcher: Any,
    should_stop: Callable[[], bool] | None,
    report: Callable[[], None],
) -> Any:
    """CP-SAT's status, the search run in its own thread so that `should_stop` and
    `report` run in the caller's, every POLL_SECONDS."""
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
            report()
    finally:
        # A failing callback must not leave the solver running behind the caller.
        if thread.is_alive():
            solver.stop_search()
            thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["status"]


def _outcome(
    cp_model: Any,
    solver: Any,
    status: Any,
    built: _Model,
    units: list[Unit],
    options: list[list[Option]],
    hint: list[int | None],
) -> tuple[list[int | None], bool, float]:
    """Each unit's home (None: unplaced), whether that is proved optimal, and the gap."""
    if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        # Placing nobody is always a plan: either means a bug here, never bad input.
        raise RuntimeError(f"the plan model is {solver.status_name(status)}")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Stopped before any plan: the greedy one is valid.
        value = sum(
            built.weight * len(units[i].members) + next(o[2] for o in options[i] if o[0] == h)
            for i, h in enumerate(hint)
            if h is not None
        )
        return hint, False, _gap(value, built.trivial_bound)
    chosen = [
        next((home for home, _, _ in opts if solver.value(built.variables[index, home])), None)
        for index, opts in enumerate(options)
    ]
    optimal = status == cp_model.OPTIMAL
    bound = solver.best_objective_bound
    if not math.isfinite(bound):
        bound = built.trivial_bound
    bound = min(bound, built.trivial_bound)
    return chosen, optimal, 0.0 if optimal else _gap(solver.objective_value, bound)


def _gap(value: float, bound: float) -> float:
    return max(0.0, (bound - value) / max(1.0, abs(bound)))
