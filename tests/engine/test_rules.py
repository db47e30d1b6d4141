"""The scalar rules: both sides of every boundary, and the reasons a case worker reads."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from engine import (
    ACUITY_LEVELS,
    MEDICAL_LEVELS,
    RULES,
    SUBSTANCE_LEVELS,
    ExclusionZone,
    RuleFailure,
    age_on,
    failed_rules,
    great_circle_miles,
    is_feasible,
)

from .builders import KCK, a_home, a_survivor


def failures(needs, home) -> dict[str, str]:
    return {failure.rule: failure.reason for failure in failed_rules(needs, home)}


def test_it_passes_the_default_home_for_the_default_survivor():
    assert failed_rules(a_survivor(), a_home()) == ()
    assert is_feasible(a_survivor(), a_home())


# age


def test_it_counts_a_birthday_on_the_day_itself():
    born = date(2010, 3, 15)
    assert age_on(born, date(2027, 3, 14)) == 16
    assert age_on(born, date(2027, 3, 15)) == 17


def test_it_counts_a_leap_day_birthday_on_march_first_in_common_years():
    born = date(2008, 2, 29)
    assert age_on(born, date(2025, 2, 28)) == 16
    assert age_on(born, date(2025, 3, 1)) == 17
    assert age_on(born, date(2024, 2, 28)) == 15
    assert age_on(born, date(2024, 2, 29)) == 16


def test_it_refuses_a_child_the_day_before_reaching_the_minimum_age():
    born = date(2010, 3, 15)
    home = a_home(min_age=17, max_age=19)
    day_before = a_survivor(age=age_on(born, date(2027, 3, 14)))
    birthday = a_survivor(age=age_on(born, date(2027, 3, 15)))
    assert failures(day_before, home) == {"age": "Serves ages 17–19; child is 16"}
    assert failures(birthday, home) == {}


def test_it_refuses_a_child_on_the_birthday_past_the_maximum_age():
    born = date(2010, 3, 15)
    home = a_home(min_age=12, max_age=16)
    assert failures(a_survivor(age=age_on(born, date(2027, 3, 14))), home) == {}
    assert failures(a_survivor(age=age_on(born, date(2027, 3, 15))), home) == {
        "age": "Serves ages 12–16; child is 17"
    }


def test_it_words_a_single_age_home():
    assert failures(a_survivor(age=11), a_home(min_age=12, max_age=12)) == {
        "age": "Serves age 12 only; child is 11"
    }


# beds and staffing


def test_it_needs_a_bed_for_the_child_and_each_dependent():
    needs = a_survivor(dependents=1)
    assert "beds" not in failures(needs, a_home(available_beds=2))
    assert failures(needs, a_home(available_beds=1))["beds"] == (
        "Needs 2 beds (child + 1 dependent); 1 free"
    )


def test_it_refuses_a_full_home():
    assert failures(a_survivor(), a_home(available_beds=0))["beds"] == "Needs 1 bed; none free"
    assert "beds" not in failures(a_survivor(), a_home(available_beds=1))


def test_it_fills_a_home_exactly_to_its_staff_ratio():
    # 6 licensed, 2 free: 4 residents now; the child makes 5, the dependent 6.
    needs = a_survivor(dependents=1)
    at_ratio = a_home(staff_on_duty=2, residents_per_staff=3)
    assert "staffing" not in failures(needs, at_ratio)
    one_over = a_home(staff_on_duty=1, residents_per_staff=5)
    assert failures(needs, one_over)["staffing"] == (
        "Staff on duty can cover 5 residents; 6 with this child and 1 dependent"
    )


def test_it_words_staffing_for_a_child_alone():
    home = a_home(staff_on_duty=3, residents_per_staff=2, licensed_beds=8, available_beds=2)
    assert failures(a_survivor(), home)["staffing"] == (
        "Staff on duty can cover 6 residents; 7 with this child"
    )


def test_it_refuses_a_home_without_staff_on_duty():
    home = a_home(staff_on_duty=0)
    assert failures(a_survivor(), home)["staffing"] == (
        "No staff on duty; 5 residents with this child"
    )


# gender, substance use, detox, dependents, pregnancy


def test_it_refuses_a_gender_the_home_does_not_serve():
    home = a_home(genders_served=frozenset({"female", "nonbinary"}))
    assert failures(a_survivor(gender="female"), home) == {}
    assert failures(a_survivor(gender="male"), home) == {
        "gender": "Serves female and nonbinary youth; child is male"
    }


ORDERED_RULES = [
    ("substance_use", "substance_use", "substance_use_accepted", SUBSTANCE_LEVELS),
    ("medical", "medical_level", "medical_level", MEDICAL_LEVELS),
    ("mental_health", "mental_health_acuity", "mental_health_max", ACUITY_LEVELS),
]


@pytest.mark.parametrize(("rule", "need_field", "home_field", "levels"), ORDERED_RULES)
def test_it_passes_a_level_up_to_the_home_maximum_and_refuses_above(
    rule, need_field, home_field, levels
):
    for child, home in itertools.product(range(3), range(3)):
        needs = a_survivor(**{need_field: levels[child]})
        result = failures(needs, a_home(**{home_field: levels[home]}))
        assert (rule in result) == (child > home), (levels[child], levels[home])


def test_it_explains_ordered_levels_with_both_values():
    assert failures(a_survivor(substance_use="active"), a_home(substance_use_accepted="none")) == {
        "substance_use": "Does not take youth with substance use; child has active substance use"
    }
    assert failures(
        a_survivor(substance_use="active"), a_home(substance_use_accepted="in_recovery")
    ) == {
        "substance_use": "Takes youth in recovery, not active use; child has active substance use"
    }
    assert failures(a_survivor(medical_level="complex"), a_home(medical_level="routine")) == {
        "medical": "Meets routine medical needs only; child has complex medical needs"
    }
    assert failures(
        a_survivor(mental_health_acuity="high"), a_home(mental_health_max="moderate")
    ) == {"mental_health": "Handles mental-health acuity up to moderate; child's is high"}


def test_it_needs_detox_on_site_only_for_a_child_who_needs_detox():
    home = a_home(detox_on_site=False)
    assert failures(a_survivor(needs_detox=False), home) == {}
    assert failures(a_survivor(needs_detox=True), home) == {
        "detox": "Child needs detox; none on site"
    }


def test_it_takes_dependents_up_to_the_home_maximum():
    home = a_home(max_dependents=1, available_beds=3)
    assert failures(a_survivor(dependents=1), home) == {}
    assert failures(a_survivor(dependents=2), home) == {
        "dependents": "Takes up to 1 dependent; child has 2"
    }


def test_it_refuses_dependents_where_the_home_takes_no_parenting_youth():
    home = a_home(accepts_parenting=False, max_dependents=2)
    assert failures(a_survivor(dependents=0), home) == {}
    assert failures(a_survivor(dependents=1), home) == {
        "dependents": "Does not take parenting youth; child has 1 dependent"
    }


def test_it_refuses_a_pregnant_child_where_the_home_does_not_take_one():
    home = a_home(accepts_pregnant=False)
    assert failures(a_survivor(pregnant=False), home) == {}
    assert failures(a_survivor(pregnant=True), home) == {
        "pregnancy": "Does not take pregnant youth"
    }


def test_it_refuses_a_child_with_juvenile_justice_involvement_where_the_home_does_not_take_one():
    home = a_home(accepts_juvenile_justice=False)
    assert failures(a_survivor(juvenile_justice_involved=False), home) == {}
    assert failures(a_survivor(juvenile_justice_involved=True), home) == {
        "juvenile_justice": "Does not take youth with juvenile justice involvement"
    }
    assert failures(a_survivor(juvenile_justice_involved=True), a_home()) == {}


def test_it_needs_a_staff_secure_home_only_for_a_high_runaway_risk():
    home = a_home(staff_secure=False)
    assert failures(a_survivor(runaway_risk="moderate"), home) == {}
    assert failures(a_survivor(runaway_risk="high"), home) == {
        "runaway_risk": "High runaway risk needs a staff-secure home; this one is not"
    }
    assert failures(a_survivor(runaway_risk="high"), a_home(staff_secure=True)) == {}


# guardianship and state lines


@pytest.mark.parametrize(
    ("guardianship", "refusing_home", "reason"),
    [
        ("state", {"accepts_state_wards": False}, "Does not take state wards"),
        ("parent", {"accepts_parent_placements": False}, "Does not take placements by a parent"),
        (
            "legal_guardian",
            {"accepts_parent_placements": False},
            "Does not take placements by a legal guardian",
        ),
    ],
)
def test_it_checks_who_places_the_child(guardianship, refusing_home, reason):
    needs = a_survivor(guardianship=guardianship)
    assert failures(needs, a_home()) == {}
    assert failures(needs, a_home(**refusing_home)) == {"guardianship": reason}


def test_it_places_a_state_ward_across_a_state_line_with_icpc_approval():
    needs = a_survivor(guardianship="state", custody_state="MO")
    approved = a_survivor(
        guardianship="state", custody_state="MO", icpc_approved_states=frozenset({"KS"})
    )
    assert failures(approved, a_home(state="KS")) == {}
    assert failures(needs, a_home(state="KS")) == {
        "state_line": "State ward from MO: no ICPC approval for KS"
    }


def test_it_needs_no_icpc_for_a_parent_placement():
    needs = a_survivor(guardianship="parent", custody_state="MO")
    assert failures(needs, a_home(state="KS")) == {}


def test_it_refuses_out_of_state_where_the_home_takes_none():
    home = a_home(state="KS", accepts_out_of_state=False)
    for guardianship in ("parent", "state"):
        needs = a_survivor(
            guardianship=guardianship, custody_state="MO", icpc_approved_states=frozenset({"KS"})
        )
        assert failures(needs, home) == {
            "state_line": "Home does not take out-of-state placements (home in KS, custody MO)"
        }


def test_it_needs_nothing_across_no_state_line():
    home = a_home(state="MO", accepts_out_of_state=False)
    needs = a_survivor(guardianship="state", custody_state="MO")
    assert failures(needs, home) == {}


# exclusion zones


def zone_at_home_distance(home, scale: float) -> ExclusionZone:
    """A zone on KCK whose radius is the home's distance times `scale`."""
    distance = great_circle_miles(home.latitude, home.longitude, *KCK)
    return ExclusionZone("66101", distance * scale, *KCK)


def test_it_refuses_a_home_inside_an_exclusion_zone():
    home = a_home(latitude=39.07, longitude=-94.62)
    needs = a_survivor(exclusion_zones=(ExclusionZone("66101", 10, *KCK),))
    assert failures(needs, home) == {
        "exclusion_zone": "Within 3.2 mi of exclusion zone 66101 (radius 10 mi)"
    }


def test_it_refuses_a_home_exactly_at_the_exclusion_radius():
    home = a_home()
    needs = a_survivor(exclusion_zones=(zone_at_home_distance(home, 1.0),))
    assert set(failures(needs, home)) == {"exclusion_zone"}


def test_it_accepts_a_home_just_beyond_the_exclusion_radius():
    home = a_home()
    needs = a_survivor(exclusion_zones=(zone_at_home_distance(home, 1 - 1e-12),))
    assert failures(needs, home) == {}


def test_it_refuses_a_home_at_the_centroid_of_a_zero_radius_zone():
    home = a_home(latitude=KCK[0], longitude=KCK[1])
    needs = a_survivor(exclusion_zones=(ExclusionZone("66101", 0, *KCK),))
    assert set(failures(needs, home)) == {"exclusion_zone"}


def test_it_names_every_exclusion_zone_a_home_lies_in():
    home = a_home(latitude=39.07, longitude=-94.62)
    needs = a_survivor(
        exclusion_zones=(
            ExclusionZone("66101", 10, *KCK),
            ExclusionZone("64106", 3.5, 39.10, -94.57),
            ExclusionZone("66044", 5, 38.9717, -95.2353),
        )
    )
    assert failures(needs, home) == {
        "exclusion_zone": "Within 3.2 mi of exclusion zone 66101 (radius 10 mi) "
        "and 3.4 mi of exclusion zone 64106 (radius 3.5 mi)"
    }


# crisis intake and ordering


def test_it_needs_24_7_intake_only_in_a_crisis():
    home = a_home(intake_24_7=False)
    assert failures(a_survivor(urgency="planned"), home) == {}
    assert failures(a_survivor(urgency="crisis"), home) == {
        "crisis_intake": "No 24/7 intake for a crisis placement"
    }


# license


def test_it_passes_a_license_through_its_last_day_and_refuses_it_the_day_after():
    expires = date(2026, 11, 3)
    home = a_home(license_expires=expires)
    assert failures(a_survivor(search_date=expires), home) == {}
    assert failures(a_survivor(search_date=date(2026, 11, 4)), home) == {
        "license": "License expired on 3 Nov 2026"
    }


def test_it_passes_a_home_with_no_license_expiry_recorded():
    assert failures(a_survivor(search_date=date(2099, 1, 1)), a_home(license_expires=None)) == {}


def test_it_checks_the_license_on_the_search_date_it_is_given():
    home = a_home(license_expires=date(2025, 1, 31))
    assert failures(a_survivor(search_date=date(2025, 1, 31)), home) == {}
    assert failures(a_survivor(search_date=date(2025, 2, 1)), home) == {
        "license": "License expired on 31 Jan 2025"
    }


def test_it_refuses_a_datetime_for_the_search_date():
    with pytest.raises(ValueError, match="search_date"):
        a_survivor(search_date=datetime(2025, 3, 1, tzinfo=UTC))


def test_it_reports_every_failed_rule_in_table_order():
    home = a_home(
        intake_24_7=False,
        available_beds=0,
        state="MO",
        accepts_out_of_state=False,
        genders_served=frozenset({"male"}),
        license_expires=date(2020, 1, 1),
    )
    result = failed_rules(a_survivor(urgency="crisis"), home)
    assert [failure.rule for failure in result] == [
        "beds",
        "gender",
        "state_line",
        "crisis_intake",
        "license",
    ]
    assert all(isinstance(failure, RuleFailure) for failure in result)
    assert [rule for rule in RULES if rule in {f.rule for f in result}] == [f.rule for f in result]


def test_it_refuses_a_home_without_the_childs_language_only_when_she_needs_an_interpreter():
    home = a_home(languages=frozenset({"en"}))
    assert failures(a_survivor(primary_language="es"), home) == {}  # points, not a rule
    assert failures(a_survivor(primary_language="es", interpreter_needed=True), home) == {
        "language": "Does not list es; the child needs an interpreter"
    }
    assert failures(a_survivor(primary_language="en", interpreter_needed=True), home) == {}
    # No language recorded: nothing to match, nothing refused.
    assert failures(a_survivor(primary_language="", interpreter_needed=True), home) == {}
