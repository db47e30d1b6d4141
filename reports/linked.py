"""Tables that publish the same totals, checked together.

reports.suppression protects each table against what that table publishes. Two tables of
one report can share totals (the children per state, by age band and by gender): a total
one table withholds may then be pinned by the other, or the two ranges an attacker gets
for it may meet in a single number. `jointly_protected` asks a linear program, over every
table at once with the shared totals equal, whether any withheld entry has a minimum equal
to its maximum; a report publishes the second table only when none has.

The attacker is given what suppression gives them: every shown number, and that a
withheld entry is a whole number of at least 1 (zeros are never withheld).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.suppression import SuppressedTable

Ref = tuple[int, str, int]  # (table, "row" | "column" | "grand", index)
# An upper bound no count reaches, so that a count nothing bounds has a finite maximum far
# from its minimum (the solver answers unbounded problems less reliably).
UNBOUNDED = 10**9


@dataclass(frozen=True)
class Published:
    counts: Sequence[Sequence[int]]  # the true counts
    table: SuppressedTable  # what is published of them


def jointly_protected(tables: Sequence[Published], links: Sequence[tuple[Ref, Ref]]) -> bool:
    """Whether no withheld entry of any table can be worked out exactly from all of them."""
    from ortools.linear_solver import pywraplp  # 0.4 s to import: only when a report asks

    solver = pywraplp.Solver.CreateSolver("GLOP")
    sums: dict[Ref, object] = {}
    hidden: list[tuple[object, int]] = []  # (expression, true value)
    for t, item in enumerate(tables):
        counts, table = item.counts, item.table
        cells = []
        for i, row in enumerate(counts):
            line = []
            for j, value in enumerate(row):
                shown = table.cells[i][j]
                if shown is None:
                    x = solver.NumVar(1, UNBOUNDED, f"t{t}_{i}_{j}")
                    hidden.append((x, value))
                else:
                    x = solver.NumVar(shown, shown, f"t{t}_{i}_{j}")
                line.append(x)
            cells.append(line)
        n_cols = len(table.columns)
        row_sums = [sum(line) if line else 0 for line in cells]
        column_sums = [sum(cells[i][j] for i in range(len(cells))) for j in range(n_cols)]
        grand = sum(row_sums)
        for i, expression in enumerate(row_sums):
            sums[(t, "row", i)] = expression
            _publish(solver, hidden, expression, table.row_totals, i, sum(counts[i]))
        for j, expression in enumerate(column_sums):
            sums[(t, "column", j)] = expression
            true = sum(row[j] for row in counts)
            _publish(solver, hidden, expression, table.column_totals, j, true)
        sums[(t, "grand", 0)] = grand
        if table.row_totals is not None:
            total = sum(map(sum, counts))
            _publish(solver, hidden, grand, (table.grand_total,), 0, total)
    for a, b in links:
        solver.Add(sums[a] == sums[b])
    for expression, _ in hidden:
        low = _bound(solver, expression, minimise=True)
        high = _bound(solver, expression, minimise=False)
        if low is None or high is None or high - low < 0.5:
            return False
    return True


def _publish(solver, hidden, expression, totals, index: int, true: int) -> None:
    """A total shown is fixed; one withheld is an unknown of at least 1, to check."""
    if totals is None:
        return
    if totals[index] is None:
        if true:
            solver.Add(expression >= 1)
            hidden.append((expression, true))
    else:
        solver.Add(expression == totals[index])


def _bound(solver, expression, *, minimise: bool) -> float | None:
    objective = solver.Objective()
    objective.Clear()
    (solver.Minimize if minimise else solver.Maximize)(expression)
    if solver.Solve() != solver.OPTIMAL:
        return None
    return solver.Objective().Value()
