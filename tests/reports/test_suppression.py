"""Small-cell suppression, proven by an attacker who tries to recover each withheld count.

The attacker is written here, apart from reports.suppression: an integer program (OR-Tools
CP-SAT, while the module checks itself with the GLOP LP) over the table as a reader sees it,
with one unknown per withheld number, the rule that rows and columns add up to their totals
and the totals to the grand total, every count a whole number >= 0. It asks for the least
and the greatest value each withheld number can take; equal means recovered. The stronger
attacker also knows that no withheld number is zero (zeros are always shown).
"""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.linked import Published, jointly_protected
from reports.suppression import (
    SUPPRESS_BELOW,
    SuppressedTable,
    suppress_statistic,
    suppress_table,
    suppress_values,
)

# Far above any count in these tests: an attacker's "at most this" that hits it learned nothing.
CAP = 10**6

AGE_BANDS = ("10–12", "13–15", "16–17", "18+")
STATES = tuple(f"S{n:02d}" for n in range(50))


def attack(*tables: SuppressedTable, floor: int = 0) -> dict[tuple, range]:
    """For each withheld number, the whole numbers it could be given everything published:
    ("cell", i, j), ("row", i, 0), ("column", j, 0) or ("grand", 0, 0) -> range(lo, hi + 1).

    Tables given together count the same children over the same rows, so they share
    their row totals and grand total; the cells and column totals of the second and
    later tables carry the table's index last: ("cell", i, j, 1)."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    unknown: dict[tuple, cp_model.IntVar] = {}
    shared: dict[tuple, cp_model.IntVar] = {}

    def number(key: tuple, published: int | None):
        if key in shared:
            # The same number in another table: what one shows, all show.
            if published is not None:
                model.Add(shared[key] == published)
            return shared[key]
        if published is None:
            unknown[key] = model.NewIntVar(floor, CAP, f"{key}")
            variable = unknown[key]
        else:
            variable = model.NewIntVar(published, published, f"{key}")
        if key[0] in ("row", "grand"):
            shared[key] = variable
        return variable

    for t, table in enumerate(tables):
        n_rows, n_cols = len(table.rows), len(table.columns)
        own = (t,) if t else ()
        cells = [
            [number(("cell", i, j, *own), table.cells[i][j]) for j in range(n_cols)]
            for i in range(n_rows)
        ]
        if table.row_totals is None:
            continue
        assert table.column_totals is not None
        row_totals = [number(("row", i, 0), table.row_totals[i]) for i in range(n_rows)]
        column_totals = [
            number(("column", j, 0, *own), table.column_totals[j]) for j in range(n_cols)
        ]
        grand = number(("grand", 0, 0), table.grand_total)
        for i in range(n_rows):
            model.Add(sum(cells[i]) == row_totals[i])
        for j in range(n_cols):
            model.Add(sum(cells[i][j] for i in range(n_rows)) == column_totals[j])
        model.Add(sum(row_totals) == grand)
        model.Add(sum(column_totals) == grand)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    found = {}
    for key, variable in unknown.items():
        bounds = []
        for objective in (model.Minimize, model.Maximize):
            objective(variable)
            assert solver.Solve(model) == cp_model.OPTIMAL, key
            bounds.append(int(solver.Value(variable)))
        found[key] = range(bounds[0], bounds[1] + 1)
    return found


def recovered(*tables: SuppressedTable, floor: int = 0) -> dict[tuple, int]:
    return {key: r[0] for key, r in attack(*tables, floor=floor).items() if len(r) == 1}


def truth(counts: list[list[int]]) -> dict[tuple[str, int, int], int]:
    n_cols = len(counts[0]) if counts else 0
    values = {("cell", i, j): v for i, row in enumerate(counts) for j, v in enumerate(row)}
    values |= {("row", i, 0): sum(row) for i, row in enumerate(counts)}
    values |= {("column", j, 0): sum(row[j] for row in counts) for j in range(n_cols)}
    values[("grand", 0, 0)] = sum(map(sum, counts))
    return values


def published(table: SuppressedTable) -> dict[tuple[str, int, int], int | None]:
    shown: dict[tuple[str, int, int], int | None] = {
        ("cell", i, j): v for i, row in enumerate(table.cells) for j, v in enumerate(row)
    }
    if table.row_totals is not None and table.column_totals is not None:
        shown |= {("row", i, 0): v for i, v in enumerate(table.row_totals)}
        shown |= {("column", j, 0): v for j, v in enumerate(table.column_totals)}
        shown[("grand", 0, 0)] = table.grand_total
    return shown


def protect_and_attack(counts: list[list[int]], *, totals: bool = True) -> SuppressedTable:
    """Suppress, then check everything a reader could notice: no published number from 1
    to 10, every published number true, and no withheld number recoverable by either
    attacker. Returns the table for further checks."""
    rows = [f"r{i}" for i in range(len(counts))]
    columns = [f"c{j}" for j in range(len(counts[0]) if counts else 0)]
    table = suppress_table(rows, columns, counts, totals=totals)
    true = truth(counts)
    for key, value in published(table).items():
        if value is not None:
            assert value == true[key], key
            assert not 0 < value < SUPPRESS_BELOW, key
        else:
            # Zeros identify nobody and are always shown.
            assert true[key] > 0, key
    for floor in (0, 1):
        assert recovered(table, floor=floor) == {}, (counts, floor)
    return table


# ---------------------------------------------------------------------------
# The attacker works: primary suppression alone is broken by it.


def test_the_attacker_recovers_a_small_count_when_only_small_cells_are_withheld():
    counts = [[5, 100, 200], [30, 40, 50]]
    true = truth(counts)
    naive = SuppressedTable(
        rows=("a", "b"),
        columns=("x", "y", "z"),
        cells=((None, 100, 200), (30, 40, 50)),
        row_totals=(305, 120),
        column_totals=(35, 140, 250),
        grand_total=425,
        primary=frozenset({(0, 0)}),
        complementary=frozenset(),
    )
    assert recovered(naive) == {("cell", 0, 0): 5} == {("cell", 0, 0): true[("cell", 0, 0)]}


def test_the_attacker_recovers_two_small_cells_that_only_cover_each_other_in_one_row():
    # Both small cells of a column sit with a shown column total: 3 + 7 = 10 leaves a
    # range, but each row's total still gives its cell away.
    naive = SuppressedTable(
        rows=("a", "b"),
        columns=("x", "y"),
        cells=((None, 40), (None, 50)),
        row_totals=(43, 57),
        column_totals=(None, 90),
        grand_total=100,
        primary=frozenset({(0, 0), (1, 0)}),
        complementary=frozenset(),
        primary_totals=frozenset({("column", 0)}),
    )
    assert recovered(naive) == {("cell", 0, 0): 3, ("cell", 1, 0): 7, ("column", 0, 0): 10}


# ---------------------------------------------------------------------------
# Hand-written tables.


def test_a_small_cell_alone_in_its_row_is_covered_by_the_cheapest_rectangle():
    table = protect_and_attack([[5, 100, 200], [30, 40, 50]])
    assert table.primary == {(0, 0)}
    assert table.complementary == {(0, 1), (1, 0), (1, 1)}
    # The largest cell and every total stay published: the smallest cells were given up.
    assert table.cells[0][2] == 200
    assert table.row_totals == (305, 120)
    assert table.column_totals == (35, 140, 250)
    assert table.grand_total == 425


def test_a_column_of_small_counts_is_protected_though_its_total_is_shown():
    table = protect_and_attack([[3, 40, 25], [4, 50, 31], [5, 60, 12]])
    assert table.primary == {(0, 0), (1, 0), (2, 0)}
    assert table.column_totals is not None and table.column_totals[0] == 12
    assert table.complementary


def test_a_total_of_five_is_withheld_and_so_is_what_would_give_it_away():
    table = protect_and_attack([[2, 3, 0], [20, 30, 14], [15, 12, 40]])
    assert ("row", 0) in table.primary_totals
    assert table.row_totals is not None and table.row_totals[0] is None
    assert table.any_suppressed


def test_a_small_column_total_made_of_zeros_and_one_small_cell_is_withheld():
    table = protect_and_attack([[0, 40], [7, 50], [0, 60]])
    assert ("column", 0) in table.primary_totals
    assert table.cells[0][0] == 0 and table.cells[2][0] == 0


@pytest.mark.parametrize(
    "counts",
    [
        [[5, 100, 200]],
        [[0, 7, 0, 30]],
        [[3, 4, 50, 12]],
        [[12, 13, 14]],
        [[1, 2, 3]],
    ],
    ids=["one-small", "zeros-around", "two-small", "none-small", "all-small"],
)
def test_a_single_row_table_is_protected(counts):
    protect_and_attack(counts)


@pytest.mark.parametrize(
    "counts",
    [
        [[5], [100], [200]],
        [[0], [7], [0], [30]],
        [[3], [4], [50], [12]],
    ],
    ids=["one-small", "zeros-around", "two-small"],
)
def test_a_single_column_table_is_protected(counts):
    protect_and_attack(counts)


def test_a_single_small_count_is_withheld_with_every_total_it_would_show_through():
    table = protect_and_attack([[6]])
    assert table.cells == ((None,),)
    assert table.row_totals == (None,) and table.column_totals == (None,)
    assert table.grand_total is None


def test_a_small_cell_among_zeros_takes_its_totals_with_it():
    counts = [[0, 0, 0], [0, 4, 0], [0, 0, 0]]
    table = protect_and_attack(counts)
    assert table.cells == ((0, 0, 0), (0, None, 0), (0, 0, 0))
    assert table.grand_total is None


def test_a_small_cell_among_zeros_in_a_larger_table_is_protected():
    protect_and_attack([[0, 0, 0, 25], [0, 4, 0, 30], [0, 0, 0, 18], [40, 12, 0, 0]])


def test_a_table_of_zeros_publishes_everything():
    table = protect_and_attack([[0, 0], [0, 0]])
    assert not table.any_suppressed
    assert table.grand_total == 0


def test_a_state_by_age_band_table_of_fifty_states_is_protected():
    rng = random.Random(14)
    counts = [
        [rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 11, 14, 18, 25, 40, 75, 160]) for _ in AGE_BANDS]
        + [rng.choice([0, 3, 12, 30])]
        for _ in STATES
    ]
    table = protect_and_attack(counts)
    assert len(table.rows) == 50 and len(table.columns) == 5
    assert table.primary and table.complementary


def test_a_table_without_totals_withholds_only_the_small_cells():
    counts = [[5, 100], [0, 12]]
    table = protect_and_attack(counts, totals=False)
    assert table.cells == ((None, 100), (0, 12))
    assert table.row_totals is None and table.column_totals is None
    assert table.grand_total is None
    assert table.complementary == frozenset()


def test_it_suppresses_the_same_way_every_time():
    counts = [[3, 40, 25, 0], [4, 50, 31, 9], [5, 60, 12, 22], [18, 2, 70, 13]]
    first = suppress_table(["a", "b", "c", "d"], ["w", "x", "y", "z"], counts)
    again = suppress_table(["a", "b", "c", "d"], ["w", "x", "y", "z"], [list(r) for r in counts])
    assert first == again


def test_it_protects_the_largest_table_a_report_draws_in_well_under_a_second():
    rng = random.Random(60)
    counts = [[rng.choice([0, 1, 3, 7, 12, 30, 90, 400]) for _ in range(10)] for _ in range(60)]
    suppress_table(["x"], ["y"], [[3]])  # OR-Tools' import is paid once per process
    started = time.perf_counter()
    table = suppress_table([str(i) for i in range(60)], [str(j) for j in range(10)], counts)
    assert time.perf_counter() - started < 1.0
    assert recovered(table, floor=1) == {}


def test_it_refuses_a_ragged_table():
    with pytest.raises(ValueError, match="row 1 has 1 counts for 2 columns"):
        suppress_table(["a", "b"], ["x", "y"], [[1, 2], [3]])


@pytest.mark.parametrize("bad", [-1, 2.5, True, None])
def test_it_refuses_a_count_that_is_not_a_whole_number_of_children(bad):
    with pytest.raises((ValueError, TypeError)):
        suppress_table(["a"], ["x", "y"], [[12, bad]])


# ---------------------------------------------------------------------------
# Generated tables.

SKEWED_COUNT = st.one_of(st.just(0), st.integers(1, 10), st.integers(0, 15), st.integers(11, 300))


@st.composite
def tables(draw) -> list[list[int]]:
    n_rows = draw(st.integers(1, 8))
    n_cols = draw(st.integers(1, 6))
    row = st.lists(SKEWED_COUNT, min_size=n_cols, max_size=n_cols)
    return draw(st.lists(row, min_size=n_rows, max_size=n_rows))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_generated_table_gives_a_suppressed_count_away(counts):
    protect_and_attack(counts)


# ---------------------------------------------------------------------------
# Two tables of the same children over the same rows (by state and age band, by state
# and gender) publish the same row totals: a reader puts them side by side. Each is
# suppressed on its own; a report publishes the second only when reports.linked finds
# that together they still give nothing away (reports.unmet_need).

STATE_BY_AGE = [[12, 12], [15, 15], [3, 0]]
STATE_BY_GENDER = [[12, 12], [26, 4], [1, 2]]


def published_together(
    rows: list[str], first: list[list[int]], second: list[list[int]]
) -> tuple[SuppressedTable, SuppressedTable] | None:
    """The two tables, suppressed apart, when reports.linked lets both be published, else
    None; when both are, the attacker recovers nothing from them side by side."""
    tables = (
        suppress_table(rows, [f"a{j}" for j in range(len(first[0]))], first),
        suppress_table(rows, [f"g{j}" for j in range(len(second[0]))], second),
    )
    links = [((0, "row", i), (1, "row", i)) for i in range(len(rows))]
    together = jointly_protected(
        [Published(first, tables[0]), Published(second, tables[1])],
        [*links, ((0, "grand", 0), (1, "grand", 0))],
    )
    if not together:
        return None
    # Safe side by side is safe alone: one table is the same attack with fewer clues.
    for floor in (0, 1):
        assert recovered(*tables, floor=floor) == {}, (first, second, floor)
    return tables


def test_the_attacker_recovers_a_count_from_two_tables_suppressed_apart():
    rows = ["KS", "MO", "NE"]
    by_age = suppress_table(rows, ["13–15", "16–17"], STATE_BY_AGE)
    by_gender = suppress_table(rows, ["Girl", "Boy"], STATE_BY_GENDER)
    assert recovered(by_age) == {} and recovered(by_gender) == {}
    # One table shows the state total the other withholds, which gives a small count away.
    assert by_age.row_totals != by_gender.row_totals
    assert recovered(by_age, by_gender)[("cell", 2, 0)] == 3
    # ... and so the check the report asks refuses to publish them together.
    assert published_together(rows, STATE_BY_AGE, STATE_BY_GENDER) is None


def test_two_tables_that_withhold_alike_are_published_together_and_stay_safe():
    """The same children split the same way twice: the same cells are withheld, each
    table covers the other, and both are published."""
    counts = [[16, 5, 30], [20, 12, 14], [40, 3, 25]]
    assert published_together(["KS", "MO", "NE"], counts, [row[:] for row in counts])


@st.composite
def linked_tables(draw) -> tuple[list[list[int]], list[list[int]]]:
    first = draw(tables())
    n_cols = draw(st.integers(1, 4))
    second = []
    for row in first:
        left = sum(row)
        split = []
        for _ in range(n_cols - 1):
            part = draw(st.integers(0, left))
            split.append(part)
            left -= part
        second.append([*split, left])
    return first, second


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linked_tables())
def test_no_generated_pair_of_tables_published_together_gives_a_count_away(pair):
    first, second = pair
    published_together([f"r{i}" for i in range(len(first))], first, second)


# ---------------------------------------------------------------------------
# Counts that do not add up, and statistics.


def test_it_withholds_small_counts_where_a_child_counts_under_several_needs():
    needs = ["substance use", "own children", "pregnancy", "medical"]
    assert suppress_values(needs, [0, 10, 11, 250]) == (0, None, 11, 250)


def test_it_refuses_values_that_do_not_match_their_labels():
    with pytest.raises(ValueError, match="2 labels but 3 values"):
        suppress_values(["a", "b"], [1, 2, 3])


@pytest.mark.parametrize(
    ("value", "n", "shown"),
    [(14.5, 11, 14.5), (14.5, 10, None), (3.0, 0, None), (None, 40, None), (0.0, 200, 0.0)],
)
def test_a_statistic_over_fewer_than_eleven_children_is_withheld(value, n, shown):
    assert suppress_statistic(value, n) == shown
