"""Small-cell suppression: no published count lets anyone single out a child.

Every count from 1 to 10 is withheld (primary suppression). In a table that also
publishes row, column and grand totals, a withheld cell could be worked out by
subtracting the shown cells from a shown total, so more cells are withheld
(complementary suppression) until no withheld number, cell or total, can be recovered
exactly from what is shown, from the totals, and from every count being a whole number.

Pure Python: no database, no Django. OR-Tools is imported on the first table that needs
the exact check, not when a worker starts.

How the table is protected. Think of the table with its totals as a grid of
(rows + 1) x (columns + 1) entries in which every line (a row or a column, the totals
row and column included) says "these entries add up to that one". Each entry sits on
exactly one row line and one column line, so the withheld entries are the edges of a
graph whose nodes are the lines. A withheld entry that lies on no cycle of that graph
(a bridge) is fixed by the sums alone; one on a cycle can be moved up and down around
the cycle while every sum stays true. So: withhold the small entries, then close every
bridge into a cycle along the cheapest path of shown entries (cells before totals,
small before large), then confirm with linear programming that every withheld entry
has a minimum below its maximum. The constraint matrix of a table with margins is
totally unimodular, so the LP bounds are the whole-number bounds. The check assumes
the attacker also knows that no withheld entry is zero (zeros are never withheld),
which is stronger than the totals alone; where the LP still finds an exact entry,
a fresh cycle of shown entries is withheld around it and the loop runs again.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

SUPPRESS_BELOW = 11  # any count 1..10 is suppressed; 0 is shown (it identifies nobody)

# What a page prints for a withheld number. A table with complementary suppression must
# print the same words for every withheld entry: telling "small" from "withheld to
# protect another" would give an attacker bounds (<= 10 and >= 11) that recover them.
SMALL_TEXT = "fewer than 11"
SUPPRESSED_TEXT = "suppressed"
TABLE_NOTE = (
    "Counts from 1 to 10 are suppressed, and so are some larger counts and totals, "
    "so that no suppressed count can be worked out from the others."
)
VALUES_NOTE = "Counts from 1 to 10 are shown as “fewer than 11”."

Position = tuple[int, int]
TotalRef = tuple[str, int]  # ("row", i) | ("column", j) | ("grand", 0)


@dataclass(frozen=True)
class SuppressedTable:
    rows: tuple[str, ...]  # row labels
    columns: tuple[str, ...]  # column labels
    cells: tuple[tuple[int | None, ...], ...]  # None = suppressed
    row_totals: tuple[int | None, ...] | None  # None when the table has no totals column
    column_totals: tuple[int | None, ...] | None
    grand_total: int | None  # None when suppressed or when there are no totals
    primary: frozenset[Position]  # (row, col) suppressed because small
    complementary: frozenset[Position]  # suppressed so that totals cannot reveal a primary
    # Totals withheld because they are 1..10 themselves, and those withheld to protect
    # another entry: ("row", i), ("column", j) or ("grand", 0).
    primary_totals: frozenset[TotalRef] = frozenset()
    complementary_totals: frozenset[TotalRef] = frozenset()

    @property
    def suppressed(self) -> frozenset[Position]:
        return self.primary | self.complementary

    @property
    def any_suppressed(self) -> bool:
        """Whether the page should print TABLE_NOTE under the table."""
        return bool(
            self.primary or self.complementary or self.primary_totals or self.complementary_totals
        )

    def is_suppressed(self, row: int, column: int) -> bool:
        return (row, column) in self.primary or (row, column) in self.complementary


def suppress_table(
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    totals: bool = True,
) -> SuppressedTable:
    """Additive table: each row's cells sum to its row total, each column's to its column
    total. Primary suppression of every cell in 1..10; totals in 1..10 are suppressed too;
    then complementary suppression (the smallest cells that keep the most information)
    until no suppressed cell or total can be recovered exactly from what is published (the
    cells shown, the row/column/grand totals shown, and that every count is a whole number
    >= 0, or even >= 1). Holds for a single row or single column table too.

    With totals=False nothing links the cells, so primary suppression is all there is and
    the totals fields are None."""
    row_labels = tuple(str(label) for label in rows)
    column_labels = tuple(str(label) for label in columns)
    matrix = _checked_counts(counts, len(row_labels), len(column_labels))
    n_rows, n_cols = len(row_labels), len(column_labels)

    if not totals:
        # Without published sums nothing links one cell to another: a withheld cell
        # could be any whole number, so primary suppression is the whole protection.
        primary = frozenset(
            (i, j) for i in range(n_rows) for j in range(n_cols) if _small(matrix[i][j])
        )
        return SuppressedTable(
            rows=row_labels,
            columns=column_labels,
            cells=_publish(matrix, primary),
            row_totals=None,
            column_totals=None,
            grand_total=None,
            primary=primary,
            complementary=frozenset(),
        )

    grid = _with_margins(matrix, n_cols)
    primary_entries = _small_entries(grid)
    hidden = _protect(grid, set(primary_entries))
    return _result(row_labels, column_labels, grid, primary_entries, hidden)


def _result(
    row_labels: tuple[str, ...],
    column_labels: tuple[str, ...],
    grid: list[list[int]],
    primary_entries: set[Position],
    hidden: set[Position],
) -> SuppressedTable:
    n_rows, n_cols = len(row_labels), len(column_labels)

    def total_ref(i: int, j: int) -> TotalRef:
        if i == n_rows and j == n_cols:
            return ("grand", 0)
        return ("row", i) if j == n_cols else ("column", j)

    def is_cell(entry: Position) -> bool:
        return entry[0] < n_rows and entry[1] < n_cols

    complementary_entries = hidden - primary_entries
    shown = _publish(grid, frozenset(hidden))
    return SuppressedTable(
        rows=row_labels,
        columns=column_labels,
        cells=tuple(row[:n_cols] for row in shown[:n_rows]),
        row_totals=tuple(row[n_cols] for row in shown[:n_rows]),
        column_totals=shown[n_rows][:n_cols],
        grand_total=shown[n_rows][n_cols],
        primary=frozenset(e for e in primary_entries if is_cell(e)),
        complementary=frozenset(e for e in complementary_entries if is_cell(e)),
        primary_totals=frozenset(total_ref(*e) for e in primary_entries if not is_cell(e)),
        complementary_totals=frozenset(
            total_ref(*e) for e in complementary_entries if not is_cell(e)
        ),
    )


def suppress_values(labels: Sequence[str], values: Sequence[int]) -> tuple[int | None, ...]:
    """Non-additive counts (a child counts under several needs): primary suppression only."""
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    return tuple(None if _small(_checked_count(v)) else v for v in values)


def suppress_statistic(value: float | None, n: int) -> float | None:
    """A median/percentile/share computed over n children is shown only when n >= 11."""
    if value is None or _checked_count(n) < SUPPRESS_BELOW:
        return None
    return value


# ---------------------------------------------------------------------------
# Checking and laying out the numbers.


def _checked_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"a count must be a whole number, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"a count cannot be negative ({value})")
    return int(value)


def _checked_counts(counts: Sequence[Sequence[int]], n_rows: int, n_cols: int) -> list[list[int]]:
    if len(counts) != n_rows:
        raise ValueError(f"{n_rows} row labels but {len(counts)} rows of counts")
    matrix = []
    for i, row in enumerate(counts):
        if len(row) != n_cols:
            raise ValueError(f"row {i} has {len(row)} counts for {n_cols} columns")
        matrix.append([_checked_count(v) for v in row])
    return matrix


def _small(value: int) -> bool:
    return 0 < value < SUPPRESS_BELOW


def _small_entries(grid: Sequence[Sequence[int]]) -> set[Position]:
    return {(i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if _small(v)}


def _with_margins(matrix: list[list[int]], n_cols: int) -> list[list[int]]:
    """The table with its row totals as a last column and column totals as a last row."""
    grid = [[*row, sum(row)] for row in matrix]
    grid.append([sum(row[j] for row in grid) for j in range(n_cols + 1)])
    return grid


def _publish(
    grid: Sequence[Sequence[int]], hidden: frozenset[Position]
) -> tuple[tuple[int | None, ...], ...]:
    return tuple(
        tuple(None if (i, j) in hidden else v for j, v in enumerate(row))
        for i, row in enumerate(grid)
    )


# ---------------------------------------------------------------------------
# Complementary suppression.


def _protect(grid: list[list[int]], hidden: set[Position]) -> set[Position]:
    """Withhold more entries of `grid` (with margins) until none in `hidden` is exact."""
    if not hidden:
        return hidden
    while True:
        # The sums alone fix a bridge; closing each into a cycle is cheap graph work and
        # settles nearly every table before the LP is asked.
        while bridges := _bridges(grid, hidden):
            entry = min(bridges)
            hidden |= _cheapest_cycle(grid, hidden, entry, through_hidden=True)
        exact = _exact_entries(grid, hidden)
        if not exact:
            return hidden
        # A cycle of shown entries (all >= 11) always leaves room to move `entry` up
        # by one while they move down, whatever else the attacker knows.
        added = _cheapest_cycle(grid, hidden, min(exact), through_hidden=False)
        if not added:
            raise RuntimeError("every non-zero entry is withheld, yet one is exact")
        hidden |= added


def _node_ids(grid: Sequence[Sequence[int]], entry: Position) -> tuple[int, int]:
    """The row line and column line an entry lies on, as graph nodes."""
    return entry[0], len(grid) + entry[1]


def _bridges(grid: Sequence[Sequence[int]], hidden: set[Position]) -> list[Position]:
    """Hidden entries that lie on no cycle of hidden entries (Tarjan, iterative)."""
    n_nodes = len(grid) + len(grid[0])
    adjacent: list[list[tuple[int, Position]]] = [[] for _ in range(n_nodes)]
    for entry in sorted(hidden):
        a, b = _node_ids(grid, entry)
        adjacent[a].append((b, entry))
        adjacent[b].append((a, entry))

    order = [-1] * n_nodes
    low = [0] * n_nodes
    found: list[Position] = []
    counter = 0
    for root in range(n_nodes):
        if order[root] != -1 or not adjacent[root]:
            continue
        order[root] = low[root] = counter
        counter += 1
        stack: list[tuple[int, Position | None, int]] = [(root, None, 0)]
        while stack:
            node, via, next_index = stack[-1]
            if next_index < len(adjacent[node]):
                stack[-1] = (node, via, next_index + 1)
                neighbour, entry = adjacent[node][next_index]
                if entry == via:
                    continue
                if order[neighbour] == -1:
                    order[neighbour] = low[neighbour] = counter
                    counter += 1
                    stack.append((neighbour, entry, 0))
                else:
                    low[node] = min(low[node], order[neighbour])
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    assert via is not None
                    found.append(via)
    return found


def _cheapest_cycle(
    grid: Sequence[Sequence[int]],
    hidden: set[Position],
    entry: Position,
    *,
    through_hidden: bool,
) -> set[Position]:
    """The shown entries to withhold so that `entry` lies on a cycle of withheld ones.

    Cheapest first by: fewest totals withheld (totals are what readers quote), then the
    smallest sum of the counts withheld, then the fewest entries. Zeros are never used:
    a withheld zero protects nothing, and an attacker who knows zeros are shown would
    learn it is not zero anyway.
    """
    start, goal = _node_ids(grid, entry)
    came_from = _cheapest_paths(grid, hidden, entry, through_hidden=through_hidden)
    if goal not in came_from:
        # No such path is left (the rare table where the shown entries around `entry`
        # are all used up): withhold the smallest shown entry on its lines, else any.
        # Each call withholds at least one more entry, and a table with every non-zero
        # entry withheld is safe (scale every entry up: all the sums still hold), so
        # an empty answer means there was nothing left to give.
        smallest = _smallest_shown(grid, hidden, entry)
        return set() if smallest is None else {smallest}
    added: set[Position] = set()
    node = goal
    while node != start:
        node, step = came_from[node]
        if step not in hidden:
            added.add(step)
    return added


def _cheapest_paths(
    grid: Sequence[Sequence[int]],
    hidden: set[Position],
    entry: Position,
    *,
    through_hidden: bool,
) -> dict[int, tuple[int, Position]]:
    """From `entry`'s row line towards its column line, through every entry but `entry`
    (Dijkstra, at _cheapest_cycle's costs): for each line reached, the line before it
    on its cheapest path and the entry stepped over."""
    n_rows = len(grid)
    n_cols = len(grid[0])
    start, goal = _node_ids(grid, entry)

    def edges(node: int) -> Iterable[tuple[int, Position]]:
        if node < n_rows:
            for j in range(n_cols):
                yield n_rows + j, (node, j)
        else:
            for i in range(n_rows):
                yield i, (i, node - n_rows)

    best: dict[int, tuple[int, int, int]] = {start: (0, 0, 0)}
    came_from: dict[int, tuple[int, Position]] = {}
    queue: list[tuple[tuple[int, int, int], int]] = [((0, 0, 0), start)]
    while queue:
        cost, node = heapq.heappop(queue)
        if node == goal:
            break
        if cost > best[node]:
            continue
        for neighbour, step in edges(node):
            value = grid[step[0]][step[1]]
            if step == entry or value == 0:
                continue
            if step in hidden:
                if not through_hidden:
                    continue
                step_cost = (0, 0, 0)
            else:
                is_total = step[0] == n_rows - 1 or step[1] == n_cols - 1
                step_cost = (int(is_total), value, 1)
            new_cost = (cost[0] + step_cost[0], cost[1] + step_cost[1], cost[2] + step_cost[2])
            if neighbour not in best or new_cost < best[neighbour]:
                best[neighbour] = new_cost
                came_from[neighbour] = (node, step)
                heapq.heappush(queue, (new_cost, neighbour))
    return came_from


def _smallest_shown(
    grid: Sequence[Sequence[int]], hidden: set[Position], entry: Position
) -> Position | None:
    shown = [
        (grid[i][j], (i, j))
        for i, row in enumerate(grid)
        for j in range(len(row))
        if (i, j) not in hidden and grid[i][j] > 0
    ]
    on_lines = [item for item in shown if item[1][0] == entry[0] or item[1][1] == entry[1]]
    if not (on_lines or shown):
        return None
    return min(on_lines or shown)[1]


def _exact_entries(grid: Sequence[Sequence[int]], hidden: set[Position]) -> list[Position]:
    """Withheld entries whose least and greatest possible values are equal.

    The attacker knows every shown entry, every line sum, and that each withheld entry
    is a whole number of at least 1 (only non-zero entries are withheld)."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    # Anything above the largest entry is as good as unbounded: the true values sit
    # below it, so a bound there never turns a movable entry into a fixed one.
    ceiling = 2 * max(max(row) for row in grid) + 2
    variables: dict[Position, Any] = {  # OR-Tools' variables (the library is untyped)
        entry: solver.NumVar(1, ceiling, f"x{n}") for n, entry in enumerate(sorted(hidden))
    }
    n_rows, n_cols = len(grid), len(grid[0])
    # A line's last entry is its total: the others, minus it, add up to zero.
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    for line in lines:
        if not any(entry in hidden for entry in line):
            continue
        signed = [(entry, -1 if k == len(line) - 1 else 1) for k, entry in enumerate(line)]
        known = sum(sign * grid[i][j] for (i, j), sign in signed if (i, j) not in hidden)
        solver.Add(
            sum(sign * variables[entry] for entry, sign in signed if entry in hidden) == -known
        )
    return [entry for entry, variable in variables.items() if _fixed(solver, variable, entry)]


def _fixed(solver: Any, variable: Any, entry: Position) -> bool:
    """Whether the LP's least and greatest values of `variable` are the same."""
    from ortools.linear_solver import pywraplp

    objective = solver.Objective()
    bounds = []
    for maximise in (False, True):
        objective.Clear()
        objective.SetCoefficient(variable, 1)
        if maximise:
            objective.SetMaximization()
        else:
            objective.SetMinimization()
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"the suppression check could not bound {entry}")
        bounds.append(variable.solution_value())
    return bounds[1] - bounds[0] < 0.5
