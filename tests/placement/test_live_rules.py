"""Every commitment re-checks the rules on live data (DESIGN.md, Workflow), through the API.

A search is a moment. Between it and a commitment (refer, accept, place, a crisis
override) the child's record may change (a new exclusion zone, an ICPC approval
removed, a birthday) and so may the home's row (beds, staff, ages served, deactivated).
Each commitment then answers 409 `rules_failed` naming the rule and changes nothing;
a change to the child's record withdraws each open referral that no longer fits.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from homes.models import AvailabilityChange, Home
from homes.services import home_update
from notifications.models import Notification
from placement.models import Placement, Recommendation, Referral
from survivors.models import Status, StatusChange, Survivor
from tests.factories import SurvivorFactory, years_before
from tests.placement.helpers import accepted, approved, recommend, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ZONE_AROUND = "66101"  # `home`'s ZIP (Kansas City, KS): a zone here covers the home


@pytest.fixture
def case(alice, survivor):
    """alice's survivor, editable through the API (survivor_update needs a creator)."""
    survivor.created_by = alice
    survivor.save(update_fields=["created_by"])
    return survivor


@pytest.fixture
def ward_with_icpc_for_mo(case, other_home):
    """A KS state ward with ICPC approval for MO; `other_home` (MO) takes out-of-state."""
    case.icpc_approved_states = ["MO"]
    case.save(update_fields=["icpc_approved_states"])
    home_update(actor=None, home_id=other_home.pk, data={"accepts_out_of_state": True})
    other_home.refresh_from_db()
    assert (case.guardianship, case.custody_state, other_home.state) == ("state", "KS", "MO")
    return case


def state_of(survivor: Survivor, home: Home) -> dict[str, Any]:
    """Everything a refused commitment must leave as it was."""
    return {
        "survivor_status": Survivor.objects.values_list("status", flat=True).get(pk=survivor.pk),
        "status_changes": StatusChange.objects.filter(survivor=survivor).count(),
        "recommendations": sorted(
            Recommendation.objects.filter(survivor=survivor).values_list(
                "pk", "status", "crisis_override"
            )
        ),
        "referrals": sorted(
            Referral.objects.filter(survivor=survivor).values_list(
                "pk", "status", "beds", "hold_expires_at", "close_reason"
            )
        ),
        "home": Home.objects.values_list("available_beds", "beds_held", "active").get(pk=home.pk),
        "availability_changes": AvailabilityChange.objects.filter(home=home).count(),
        "placements": Placement.objects.count(),
        "notifications": Notification.objects.count(),
    }


def beds(home: Home) -> tuple[int, int]:
    home.refresh_from_db()
    return home.available_beds, home.beds_held


def assert_rules_failed(response, *rules: str) -> list[dict[str, str]]:
    """A 409 `rules_failed` naming exactly these rules, each with a reason."""
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "rules_failed", body
    assert [f["rule"] for f in body["failed"]] == list(rules), body
    assert all(f["reason"] for f in body["failed"])
    return body["failed"]


def patch_survivor(api, user, survivor: Survivor, data: dict[str, Any]) -> None:
    response = api(user).patch(f"/api/v1/survivors/{survivor.pk}/", data, format="json")
    assert response.status_code == 200, response.json()


def refer(api, user, recommendation: Recommendation, **body: Any):
    return api(user).post(
        f"/api/v1/recommendations/{recommendation.pk}/refer/", body, format="json"
    )


def accept(api, user, referral: Referral):
    return api(user).post(f"/api/v1/referrals/{referral.pk}/accept/")


def place(api, user, referral: Referral):
    return api(user).post(f"/api/v1/referrals/{referral.pk}/place/")


def report_availability(api, home_admin, home: Home, **counts: int) -> None:
    response = api(home_admin).patch(
        f"/api/v1/homes/{home.pk}/availability/", counts, format="json"
    )
    assert response.status_code == 200, response.json()


def inbox(api, user, kind: str) -> list[str]:
    results = api(user).get("/api/v1/notifications/").json()["results"]
    return [item["message"] for item in results if item["kind"] == kind]


def turns_18_tomorrow(survivor: Survivor) -> None:
    """17 today, 18 tomorrow: safe on 29 February (years_before keeps a real date, and the
    day after it is never 18 years back to the day)."""
    survivor.date_of_birth = years_before(timezone.localdate(), 18) + datetime.timedelta(days=1)
    survivor.save(update_fields=["date_of_birth"])
    assert survivor.age_on(timezone.localdate()) == 17


def tomorrow_comes(survivor: Survivor) -> None:
    """The birthday arrives: the same as the calendar moving on a day, the child is 18."""
    survivor.date_of_birth = years_before(timezone.localdate(), 18)
    survivor.save(update_fields=["date_of_birth"])
    assert survivor.age_on(timezone.localdate()) == 18


# --- 1. Exclusion zone ---------------------------------------------------------------------


def test_it_refuses_to_refer_into_an_exclusion_zone_added_after_the_mdt_approved(
    alice, mdt, case, home, api
):
    """The worker cannot refer to an approved home that her new exclusion zone now covers."""
    recommendation = approved(alice, mdt, case, home)
    patch_survivor(
        api, alice, case, {"exclusion_zones": [{"zip_code": ZONE_AROUND, "radius_miles": 10}]}
    )
    before = state_of(case, home)

    failed = assert_rules_failed(refer(api, alice, recommendation), "exclusion_zone")

    assert "exclusion zone 66101" in failed[0]["reason"]
    assert state_of(case, home) == before
    assert not Referral.objects.filter(survivor=case).exists()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.APPROVED


def test_it_withdraws_a_pending_referral_when_an_exclusion_zone_covers_the_home(
    alice, mdt, home_admin, case, home, api
):
    """The zone withdraws the pending referral at once; the home can no longer accept it."""
    referral = referred(alice, mdt, case, home)
    assert beds(home) == (2, 0)

    patch_survivor(
        api, alice, case, {"exclusion_zones": [{"zip_code": ZONE_AROUND, "radius_miles": 10}]}
    )

    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    assert "an area the child must be kept away from" in referral.close_reason
    case.refresh_from_db()
    assert case.status == Status.SEARCHING
    assert beds(home) == (2, 0)
    assert any(str(referral.pk) in m for m in inbox(api, home_admin, "referral_withdrawn"))
    (to_worker,) = inbox(api, alice, "referral_withdrawn")
    assert "Inside an exclusion zone" in to_worker and "66101" not in to_worker

    before = state_of(case, home)
    refused = accept(api, home_admin, referral)
    assert refused.status_code == 409 and refused.json()["code"] == "referral_withdrawn"
    assert_rules_failed(refer(api, alice, referral.recommendation), "exclusion_zone")
    assert state_of(case, home) == before


def test_it_gives_the_held_bed_back_when_an_exclusion_zone_covers_the_home(
    alice, mdt, home_admin, case, home, api
):
    """The hold is withdrawn, its bed is free again, and the home and the worker are told why."""
    referral = accepted(alice, mdt, home_admin, case, home)
    assert beds(home) == (1, 1)

    patch_survivor(
        api, alice, case, {"exclusion_zones": [{"zip_code": ZONE_AROUND, "radius_miles": 10}]}
    )

    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    assert "no longer fits" in referral.close_reason
    assert "an area the child must be kept away from" in referral.close_reason
    assert beds(home) == (2, 0)
    case.refresh_from_db()
    assert case.status == Status.SEARCHING
    (to_home,) = inbox(api, home_admin, "referral_withdrawn")
    assert f"Referral {referral.pk}" in to_home and "kept away from" in to_home
    (to_worker,) = inbox(api, alice, "referral_withdrawn")
    assert f"case {case.case_number} to {home.name}" in to_worker
    assert "Inside an exclusion zone" in to_worker and "66101" not in to_worker

    before = state_of(case, home)
    refused = place(api, alice, referral)
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "referral_withdrawn"
    assert state_of(case, home) == before
    assert not Placement.objects.exists()


def test_it_tells_the_home_why_without_revealing_where_the_exclusion_zone_lies(
    alice, mdt, home_admin, case, home, api
):
    """The home hears its hold was withdrawn, never the zone's ZIP or radius (trafficker's area)."""
    referral = accepted(alice, mdt, home_admin, case, home)
    zone = {"zip_code": "66102", "radius_miles": 5}  # 2.3 mi from the home's ZIP centroid
    patch_survivor(api, alice, case, {"exclusion_zones": [zone]})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    assert beds(home) == (2, 0)

    # The case worker is told a zone covers the home; which one is on the record, not in a
    # notification (it may leave Harbor as an email).
    (to_worker,) = inbox(api, alice, "referral_withdrawn")
    assert "Inside an exclusion zone" in to_worker and "66102" not in to_worker
    # The home is told, in the app (and by email, the same text) and on the referral, but
    # the zone is need-to-know for the case side: the home never sees exclusion_zones.
    (to_home,) = inbox(api, home_admin, "referral_withdrawn")
    assert f"Referral {referral.pk}" in to_home
    seen = api(home_admin).get(f"/api/v1/referrals/{referral.pk}/").json()
    assert seen["status"] == "withdrawn"
    for text in (to_home, seen["close_reason"]):
        assert "66102" not in text, text
        assert "radius" not in text, text


def test_it_refuses_accept_and_place_inside_a_zone_written_past_the_api(
    alice, mdt, home_admin, case, home, api
):
    """A zone stored without the API's re-check (an import) still stops accept and place."""
    pending = referred(alice, mdt, case, home)
    Survivor.objects.filter(pk=case.pk).update(
        exclusion_zones=[{"zip_code": ZONE_AROUND, "radius_miles": 10}]
    )
    before = state_of(case, home)

    refused = accept(api, home_admin, pending)
    assert_rules_failed(refused, "exclusion_zone")
    # The home admin reads the refusal: it names the rule, never where the zone lies.
    assert ZONE_AROUND not in refused.content.decode() and "radius" not in refused.json()["detail"]

    assert state_of(case, home) == before
    assert beds(home) == (2, 0)

    # The same with beds already held: the arrival is refused and the hold stays as it was.
    Survivor.objects.filter(pk=case.pk).update(exclusion_zones=[])
    response = accept(api, home_admin, pending)
    assert response.status_code == 200, response.json()
    Survivor.objects.filter(pk=case.pk).update(
        exclusion_zones=[{"zip_code": ZONE_AROUND, "radius_miles": 10}]
    )
    before = state_of(case, home)

    assert_rules_failed(place(api, alice, pending), "exclusion_zone")

    assert state_of(case, home) == before
    assert beds(home) == (1, 1)
    assert not Placement.objects.exists()


# --- 2. ICPC -------------------------------------------------------------------------------


def test_it_withdraws_an_out_of_state_referral_when_the_icpc_approval_is_removed(
    alice, mdt, home_admin_other, ward_with_icpc_for_mo, other_home, api
):
    """Without ICPC approval for MO the referral is withdrawn and cannot be made again."""
    case = ward_with_icpc_for_mo
    referral = referred(alice, mdt, case, other_home)
    assert referral.status == Referral.Status.PENDING

    patch_survivor(api, alice, case, {"icpc_approved_states": []})

    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    assert "no ICPC approval for MO" in referral.close_reason
    case.refresh_from_db()
    assert case.status == Status.SEARCHING
    assert any("ICPC" in m for m in inbox(api, home_admin_other, "referral_withdrawn"))
    assert any("ICPC" in m for m in inbox(api, alice, "referral_withdrawn"))

    before = state_of(case, other_home)
    refused = accept(api, home_admin_other, referral)
    assert refused.status_code == 409 and refused.json()["code"] == "referral_withdrawn"
    failed = assert_rules_failed(refer(api, alice, referral.recommendation), "state_line")
    assert failed[0]["reason"] == "State ward from KS: no ICPC approval for MO"
    assert state_of(case, other_home) == before


def test_it_refuses_an_out_of_state_acceptance_once_the_home_stops_taking_them(
    alice, mdt, home_admin_other, ward_with_icpc_for_mo, other_home, api
):
    """A home that no longer takes out-of-state children cannot accept a KS ward."""
    case = ward_with_icpc_for_mo
    referral = referred(alice, mdt, case, other_home)
    home_update(actor=None, home_id=other_home.pk, data={"accepts_out_of_state": False})
    before = state_of(case, other_home)

    assert_rules_failed(accept(api, home_admin_other, referral), "state_line")

    assert state_of(case, other_home) == before
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING


def test_it_refuses_an_out_of_state_arrival_once_the_home_stops_taking_them(
    alice, mdt, home_admin_other, ward_with_icpc_for_mo, other_home, api
):
    """The worker cannot place a KS ward in MO once the home stopped taking out-of-state."""
    case = ward_with_icpc_for_mo
    referral = accepted(alice, mdt, home_admin_other, case, other_home)
    held = beds(other_home)
    home_update(actor=None, home_id=other_home.pk, data={"accepts_out_of_state": False})
    before = state_of(case, other_home)

    assert_rules_failed(place(api, alice, referral), "state_line")

    assert state_of(case, other_home) == before
    assert beds(other_home) == held
    assert not Placement.objects.exists()


# --- 3. Age --------------------------------------------------------------------------------


def test_it_refuses_acceptance_after_the_child_outgrew_the_home_on_a_birthday(
    alice, mdt, home_admin, case, home, api
):
    """A 17-year-old referred yesterday is 18 today: a home for 12-17 cannot accept."""
    assert (home.min_age, home.max_age) == (12, 17)
    turns_18_tomorrow(case)
    referral = referred(alice, mdt, case, home)
    tomorrow_comes(case)
    before = state_of(case, home)

    failed = assert_rules_failed(accept(api, home_admin, referral), "age")

    assert failed[0]["reason"] == "Serves ages 12–17; child is 18"
    assert state_of(case, home) == before
    assert beds(home) == (2, 0)


def test_it_refuses_the_arrival_after_the_child_outgrew_the_home_on_a_birthday(
    alice, mdt, home_admin, case, home, api
):
    """The hold was taken at 17; on the 18th birthday the arrival is refused, the hold kept."""
    turns_18_tomorrow(case)
    referral = accepted(alice, mdt, home_admin, case, home)
    tomorrow_comes(case)
    before = state_of(case, home)

    assert_rules_failed(place(api, alice, referral), "age")

    assert state_of(case, home) == before
    assert beds(home) == (1, 1)
    assert not Placement.objects.exists()


def test_it_refuses_the_arrival_once_the_home_lowers_its_max_age(
    alice, mdt, home_admin, case, home, api
):
    """A home that now serves up to 14 cannot receive the 15-year-old it accepted."""
    assert case.age_on(timezone.localdate()) == 15
    referral = accepted(alice, mdt, home_admin, case, home)
    home_update(actor=home_admin, home_id=home.pk, data={"max_age": 14})
    before = state_of(case, home)

    failed = assert_rules_failed(place(api, alice, referral), "age")

    assert failed[0]["reason"] == "Serves ages 12–14; child is 15"
    assert state_of(case, home) == before
    assert not Placement.objects.exists()


# --- 4. Beds -------------------------------------------------------------------------------


def test_it_refuses_acceptance_when_another_child_took_the_last_bed(
    alice, mdt, home_admin, team, case, home, api
):
    """The home took another child into its last bed: accepting this one answers beds."""
    report_availability(api, home_admin, home, available_beds=1, staff_on_duty=3)
    other_child = SurvivorFactory(agency=alice.agency, team=team, first_name="Ana")
    other_child.assigned_workers.add(alice)
    referral = referred(alice, mdt, case, home)
    first = referred(alice, mdt, other_child, home)
    assert accept(api, home_admin, first).status_code == 200
    assert beds(home) == (0, 1)
    before = state_of(case, home)

    failed = assert_rules_failed(accept(api, home_admin, referral), "beds")

    assert failed[0]["reason"] == "Needs 1 bed; none free"
    assert state_of(case, home) == before
    assert beds(home) == (0, 1)


def test_it_refuses_acceptance_when_the_home_reports_no_bed_free(
    alice, mdt, home_admin, case, home, api
):
    """After the home reported 0 free beds, accepting the referral answers beds."""
    referral = referred(alice, mdt, case, home)
    report_availability(api, home_admin, home, available_beds=0, staff_on_duty=3)
    before = state_of(case, home)

    assert_rules_failed(accept(api, home_admin, referral), "beds")

    assert state_of(case, home) == before
    assert beds(home) == (0, 0)


# --- 5. Staffing ---------------------------------------------------------------------------


def test_it_refuses_acceptance_when_no_staff_is_on_duty(alice, mdt, home_admin, case, home, api):
    """With nobody on duty the home cannot accept, though it has free beds."""
    referral = referred(alice, mdt, case, home)
    report_availability(api, home_admin, home, staff_on_duty=0)
    before = state_of(case, home)

    failed = assert_rules_failed(accept(api, home_admin, referral), "staffing")

    assert failed[0]["reason"].startswith("No staff on duty")
    assert state_of(case, home) == before
    assert beds(home) == (2, 0)


def test_it_refuses_the_arrival_when_no_staff_is_on_duty(alice, mdt, home_admin, case, home, api):
    """With nobody on duty the child cannot be placed; the bed stays held for them."""
    referral = accepted(alice, mdt, home_admin, case, home)
    report_availability(api, home_admin, home, staff_on_duty=0)
    before = state_of(case, home)

    assert_rules_failed(place(api, alice, referral), "staffing")

    assert state_of(case, home) == before
    assert beds(home) == (1, 1)
    assert not Placement.objects.exists()


def test_it_places_a_child_into_the_bed_held_for_them_at_a_full_home(
    alice, mdt, home_admin, case, home, api
):
    """The home's last bed, held for this child, with staff for exactly it: the child arrives."""
    # 6 licensed, 1 free, 2 staff x 3 residents: room and staff for exactly one more child.
    report_availability(api, home_admin, home, available_beds=1, staff_on_duty=2)
    assert (home.licensed_beds, home.residents_per_staff) == (6, 3)
    referral = referred(alice, mdt, case, home)
    assert accept(api, home_admin, referral).status_code == 200
    assert beds(home) == (0, 1)  # no bed free to anyone else, and 6 residents counted

    response = place(api, alice, referral)

    assert response.status_code == 201, response.json()
    placement = Placement.objects.get()
    assert response.json()["id"] == placement.pk
    assert (placement.survivor_id, placement.home_id, placement.beds) == (case.pk, home.pk, 1)
    assert beds(home) == (0, 0)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PLACED
    case.refresh_from_db()
    assert case.status == Status.PLACED


# --- 6. Home deactivated -------------------------------------------------------------------


def deactivate(home: Home, actor) -> None:
    home_update(actor=actor, home_id=home.pk, data={"active": False})


def test_it_refuses_to_refer_to_a_deactivated_home(alice, mdt, admin_user, case, home, api):
    """A home taken out of service after the MDT approved it cannot be referred to."""
    recommendation = approved(alice, mdt, case, home)
    deactivate(home, admin_user)
    before = state_of(case, home)

    failed = assert_rules_failed(refer(api, alice, recommendation), "active")

    assert "not taking children" in failed[0]["reason"]
    assert state_of(case, home) == before
    assert not Referral.objects.exists()


def test_it_refuses_acceptance_by_a_deactivated_home(
    alice, mdt, home_admin, admin_user, case, home, api
):
    """A deactivated home cannot accept the referral it received while active."""
    referral = referred(alice, mdt, case, home)
    deactivate(home, admin_user)
    before = state_of(case, home)

    assert_rules_failed(accept(api, home_admin, referral), "active")

    assert state_of(case, home) == before
    assert beds(home) == (2, 0)


def test_it_refuses_the_arrival_at_a_deactivated_home(
    alice, mdt, home_admin, admin_user, case, home, api
):
    """The worker cannot place a child at a home deactivated after it accepted."""
    referral = accepted(alice, mdt, home_admin, case, home)
    deactivate(home, admin_user)
    before = state_of(case, home)

    assert_rules_failed(place(api, alice, referral), "active")

    assert state_of(case, home) == before
    assert beds(home) == (1, 1)
    assert not Placement.objects.exists()


# --- 7. Crisis override --------------------------------------------------------------------


def test_it_never_crisis_overrides_into_an_exclusion_zone(alice, mdt, case, home, api):
    """A crisis override skips the MDT review, never the exclusion zone: 409, nothing sent."""
    recommendation = recommend(alice, case, home)
    assert recommendation.status == Recommendation.Status.PENDING_REVIEW
    patch_survivor(
        api, alice, case, {"exclusion_zones": [{"zip_code": ZONE_AROUND, "radius_miles": 10}]}
    )
    before = state_of(case, home)

    response = refer(
        api,
        alice,
        recommendation,
        crisis_override=True,
        justification="Found at 2 a.m., nowhere safe to sleep tonight.",
    )

    assert_rules_failed(response, "exclusion_zone")
    assert state_of(case, home) == before
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.PENDING_REVIEW
    assert (recommendation.crisis_override, recommendation.crisis_justification) == (False, "")
    assert not Referral.objects.exists()
