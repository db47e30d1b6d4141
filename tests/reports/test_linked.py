"""Two tables publishing the same totals are checked together (reports.linked)."""

from __future__ import annotations

from reports.linked import Published, jointly_protected
from reports.suppression import SuppressedTable


def published(cells, row_totals, column_totals, grand) -> SuppressedTable:
    return SuppressedTable(
        rows=tuple(f"r{i}" for i in range(len(cells))),
        columns=tuple(f"c{j}" for j in range(len(cells[0]))),
        cells=tuple(tuple(row) for row in cells),
        row_totals=row_totals,
        column_totals=column_totals,
        grand_total=grand,
        primary=frozenset(),
        complementary=frozenset(),
    )


# Fifteen children in one state: by age band the state's total is withheld (a table on its
# own could not tell 15 from 2); by gender the same total is shown.
BY_AGE = Published([[15, 0]], published([[None, 0]], (None,), (None, 0), None))
BY_GENDER = Published([[15]], published([[15]], (15,), (15,), 15))
LINKS = [((0, "row", 0), (1, "row", 0)), ((0, "grand", 0), (1, "grand", 0))]


def test_it_finds_a_count_one_table_withholds_and_the_other_gives_away():
    assert jointly_protected([BY_AGE], []) is True
    assert jointly_protected([BY_AGE, BY_GENDER], LINKS) is False


def test_it_passes_tables_whose_shared_totals_leave_every_withheld_count_open():
    # 21 children: 16 and 5 by age band (both withheld), 16 and 5 by gender (both withheld),
    # the total shown in both; each withheld count can be anything from 1 to 20.
    by_age = Published([[16, 5]], published([[None, None]], (21,), (None, None), 21))
    by_gender = Published([[16, 5]], published([[None, None]], (21,), (None, None), 21))
    assert jointly_protected([by_age, by_gender], LINKS) is True
