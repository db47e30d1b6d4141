"""Harbor's matching engine: pure Python and numpy, no Django.

`match(needs, directory, now=...)` is the entry point; `rules.failed_rules`
is the readable specification that the vectorised search is tested against.
"""

from __future__ import annotations

from .assign import EXCLUDED_PAGE, excluded_order, match, shown_distance
from .geo import (
    EARTH_RADIUS_MILES,
    great_circle_miles,
    great_circle_miles_np,
    home_location,
    zip_centroid,
    zip_state,
)
from .rules import failed_rules, is_feasible
from .scoring import FACTOR_MAX, FACTORS, VectorScores, score_home, score_rows
from .types import (
    ACUITY_LEVELS,
    GENDERS,
    GUARDIANSHIPS,
    HOME_TYPES,
    INTERIM_HOME_TYPE,
    MEDICAL_LEVELS,
    RULES,
    SERVICES,
    STALE_AFTER,
    SUBSTANCE_LEVELS,
    TONIGHT_RULES,
    TRAFFICKING_SPECIFIC,
    URGENCIES,
    ExclusionZone,
    Factor,
    HomeOffer,
    MatchResult,
    Miss,
    Ranked,
    Relaxation,
    RuleFailure,
    SurvivorNeeds,
    Tonight,
    age_on,
)
from .vector import RULE_BIT, Directory, failure_masks, survivor_distances

__all__ = [
    "ACUITY_LEVELS",
    "EARTH_RADIUS_MILES",
    "EXCLUDED_PAGE",
    "FACTORS",
    "FACTOR_MAX",
    "GENDERS",
    "GUARDIANSHIPS",
    "HOME_TYPES",
    "INTERIM_HOME_TYPE",
    "MEDICAL_LEVELS",
    "RULES",
    "RULE_BIT",
    "SERVICES",
    "STALE_AFTER",
    "SUBSTANCE_LEVELS",
    "TONIGHT_RULES",
    "TRAFFICKING_SPECIFIC",
    "URGENCIES",
    "Directory",
    "ExclusionZone",
    "Factor",
    "HomeOffer",
    "MatchResult",
    "Miss",
    "Ranked",
    "Relaxation",
    "RuleFailure",
    "SurvivorNeeds",
    "Tonight",
    "VectorScores",
    "age_on",
    "excluded_order",
    "failed_rules",
    "failure_masks",
    "great_circle_miles",
    "great_circle_miles_np",
    "home_location",
    "is_feasible",
    "match",
    "score_home",
    "score_rows",
    "shown_distance",
    "survivor_distances",
    "zip_centroid",
    "zip_state",
]
