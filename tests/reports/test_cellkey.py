"""The cell-key method itself (reports.cellkey): the same records always make the same
number, a piece moves by at most 2 (one record by at most 1), zero stays zero, the moves
average out, and no published number leaves a single count from 1 to 10 possible."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import override_settings

from reports.cellkey import SPREAD, piece_key, possible_counts, protected
from tests.reports.method import piece, possible


def test_the_same_records_make_the_same_number_in_any_order():
    ids = list(range(1000, 1012))
    assert protected("child", ids) == protected("child", reversed(ids)) == piece("child", ids)
    assert piece_key("child", ids) == piece_key("child", sorted(ids, key=str))


def test_a_piece_moves_by_at_most_two_and_one_record_by_at_most_one():
    for n in range(0, 40):
        for start in range(0, 3000, 100):
            value = protected("referral", range(start, start + n))
            assert abs(value - n) <= (0 if n == 0 else 1 if n == 1 else SPREAD)
            assert value >= 0


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 25])
def test_the_moves_average_out_and_take_every_value_of_the_table(n):
    """Over many pieces of n records the published values are spread evenly around n."""
    values = Counter(protected("child", range(start, start + n)) for start in range(0, 30_000, 30))
    moves = {value - n for value in values}
    assert moves == ({-1, 0, 1} if n == 1 else {-2, -1, 0, 1, 2})
    mean = sum(v * c for v, c in values.items()) / sum(values.values())
    assert abs(mean - n) < 0.1
    assert min(values.values()) > 0.15 * sum(values.values()) / len(values)


def test_no_published_number_leaves_a_single_count_from_1_to_10():
    for published in range(0, 13):
        counts = set(possible_counts(published))
        assert counts == possible(published)  # the code's reading is the definition's
        assert len(counts) >= 3


def test_another_key_moves_the_pieces_differently():
    """Why the key is set once and kept: a new key is a fresh look at every count."""
    ids = [list(range(s, s + 6)) for s in range(0, 600, 6)]
    before = [protected("child", group) for group in ids]
    with override_settings(REPORT_CELL_KEY="another key"):
        after = [protected("child", group) for group in ids]
        assert after == [piece("child", group) for group in ids]
    assert before != after
