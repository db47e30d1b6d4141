"""matching 0005 fills the report columns of searches stored before it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from matching.models import NEED_BIT, RULE_BIT, MatchSearch

BEFORE = [("matching", "0004_searches_without_zones")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_fills_the_report_columns_of_an_old_search(agency, alice):
    survivor_id = _old_search_survivor(agency, alice)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        search = old.get_model("matching", "MatchSearch").objects.create(
            survivor_id=survivor_id, searched_by_id=alice.pk, homes_considered=4,
            feasible_count=0, near_miss_count=2,
            needs={"age": 16, "gender": "male", "custody_state": "MO", "urgency": "crisis",
                   "substance_use": "active", "dependents": 1, "pregnant": False,
                   "medical_level": "complex", "mental_health_acuity": "low",
                   "runaway_risk": "high"},
            failures_by_rule={"beds": 3, "age": 0, "state_line": 2},
        )  # fmt: skip
        lone = old.get_model("matching", "MatchSearch").objects.create(
            survivor_id=survivor_id, searched_by_id=alice.pk, homes_considered=4,
            feasible_count=0, near_miss_count=4, needs={"age": 9, "custody_state": "KS"},
            failures_by_rule={"beds": 4},
        )  # fmt: skip
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    filled = MatchSearch.objects.get(pk=search.pk)
    assert (filled.agency_id, filled.state, filled.age_band, filled.gender, filled.urgency) == (
        agency.pk, "MO", "16_17", "male", "crisis",
    )  # fmt: skip
    assert filled.need_flags == (
        NEED_BIT["substance_use"] | NEED_BIT["own_children"] | NEED_BIT["medical"]
        | NEED_BIT["runaway_risk"]
    )  # fmt: skip
    assert filled.blocked_rules == RULE_BIT["beds"] | RULE_BIT["state_line"]
    # Which rule alone excluded a home was not kept: unknown with two rules failing...
    assert filled.sole_rules == 0
    # ...and certain with one.
    alone = MatchSearch.objects.get(pk=lone.pk)
    assert (alone.age_band, alone.blocked_rules, alone.sole_rules) == (
        "under_10", RULE_BIT["beds"], RULE_BIT["beds"],
    )  # fmt: skip


def _old_search_survivor(agency, alice) -> int:
    from tests.factories import SurvivorFactory

    return SurvivorFactory(agency=agency, created_by=alice).pk
