"""A group at night (issue 25, item 7): every child referred at once under one crisis
override, each re-checked, the MDT reviewing the plan after the children arrived; the
unplaced children waitlisted in one action; siblings no home takes together placed apart
by a recorded decision; the plan naming children by case number, never an internal id."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import AuditEntry
from core.errors import Conflict
from homes.models import Home
from homes.services import home_admin_grant
from placement.models import Batch, Recommendation, Referral, WaitlistEntry
from placement.services import referral_accept, referral_place
from placement.services.batch_night import (
    batch_crisis_override,
    batch_split_group,
    batch_waitlist_unplaced,
)
from placement.services.batch_reviews import batch_review
from placement.services.batch_runs import batch_run
from placement.services.batches import batch_create
from survivors.models import Status
from tests.factories import HomeFactory, SurvivorFactory, UserFactory
from tests.placement.helpers import placed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def children(alice, team):
    made = []
    for number in ("KS-N-1", "KS-N-2", "KS-N-3"):
        child = SurvivorFactory(
            agency=alice.agency, team=team, case_number=number, created_by=alice
        )
        child.assigned_workers.add(alice)
        made.append(child)
    return made


def planned(actor, children, **constraints) -> Batch:
    batch = batch_create(actor=actor, survivor_ids=[c.pk for c in children], **constraints)
    batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE, batch.error
    return batch


def test_it_refers_every_child_now_and_the_mdt_reviews_after_they_arrive(
    alice, mdt, home_admin, children, home
):
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)
    batch = planned(alice, children)
    batch = batch_crisis_override(actor=alice, batch=batch, justification="Raid at 2 a.m.")

    assert batch.crisis_override and batch.review_status == Batch.ReviewStatus.PENDING_REVIEW
    referrals = Referral.objects.filter(survivor__in=children)
    assert referrals.count() == 3 and all(r.crisis_override for r in referrals)
    assert set(batch.assignments.values_list("outcome", flat=True)) == {"referred"}
    # The children arrive before the review: the review survives the arrival.
    for referral in referrals:
        referral_accept(actor=home_admin, referral_id=referral.pk)
        referral_place(actor=alice, referral_id=referral.pk)
    assert (
        Recommendation.objects.filter(
            survivor__in=children, status=Recommendation.Status.PENDING_REVIEW
        ).count()
        == 3
    )
    batch_review(actor=mdt, batch=batch, decision="approve", comment="Right call.")
    batch.refresh_from_db()
    assert batch.review_status == Batch.ReviewStatus.APPROVED
    # No second referral: the lines keep the override's.
    assert Referral.objects.filter(survivor__in=children).count() == 3
    assert set(batch.assignments.values_list("outcome", flat=True)) == {"referred"}
    assert AuditEntry.objects.filter(action="batch.crisis_override", object_id=str(batch.pk))


def test_it_re_checks_each_child_and_writes_a_refusal_on_her_line(alice, children, home):
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)
    batch = planned(alice, children)
    # One child's record changes after the plan: the home is now inside her exclusion zone.
    children[1].exclusion_zones = [{"zip_code": home.zip_code, "radius_miles": 5}]
    children[1].save(update_fields=["exclusion_zones"])

    batch_crisis_override(actor=alice, batch=batch, justification="Raid at 2 a.m.")

    assert not Referral.objects.filter(survivor=children[1]).exists()
    line = batch.assignments.get(survivor=children[1])
    assert line.outcome.startswith("Not sent to the MDT") or line.outcome.startswith("Not referred")
    assert Referral.objects.filter(survivor__in=[children[0], children[2]]).count() == 2


def test_it_needs_a_justification_and_refers_once(alice, children, home):
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)
    batch = planned(alice, children)
    with pytest.raises(ValidationError) as refused:
        batch_crisis_override(actor=alice, batch=batch, justification="  ")
    assert "justification" in refused.value.message_dict
    batch_crisis_override(actor=alice, batch=batch, justification="Raid.")
    with pytest.raises(Conflict):
        batch_crisis_override(actor=alice, batch=batch, justification="Again.")


def test_it_waitlists_the_unplaced_children_in_one_action(alice, children, home):
    # One bed: the plan places one child; the two others have nowhere to go.
    Home.objects.filter(pk=home.pk).update(available_beds=1)
    batch = planned(alice, children)
    unplaced = list(batch.assignments.filter(home__isnull=True))
    assert len(unplaced) == 2
    # The plan's one bed goes to the first child, then there is none for the others.
    Home.objects.filter(pk=home.pk).update(available_beds=0)

    batch_waitlist_unplaced(actor=alice, batch=batch)

    waiting = set(WaitlistEntry.objects.values_list("survivor_id", flat=True))
    assert waiting == {line.survivor_id for line in unplaced}
    assert all(line.outcome == "waitlisted" for line in batch.assignments.filter(home__isnull=True))
    for line in unplaced:
        line.survivor.refresh_from_db()
        assert line.survivor.status == Status.WAITLISTED


def test_it_places_siblings_apart_by_a_recorded_decision(alice, children, home):
    # Two homes with one bed each: no home takes the two sisters together.
    Home.objects.filter(pk=home.pk).update(available_beds=1)
    HomeFactory(name="Second Light", available_beds=1)
    sisters = [children[0].pk, children[1].pk]
    batch = planned(alice, children[:2], keep_together=[sisters])
    assert batch.placed_count == 0
    reason = batch.assignments.first().reason
    assert "case KS-N-" in reason and str(children[1].pk) not in reason.split(":")[0]

    split = batch_split_group(actor=alice, batch=batch, group=1, reason="Sisters, one bed each.")

    assert split.split_from_id == batch.pk and split.split_reason == "Sisters, one bed each."
    assert split.keep_together == []
    split.refresh_from_db()
    if split.status == Batch.Status.RUNNING:
        batch_run(batch_id=split.pk)
        split.refresh_from_db()
    assert split.placed_count == 2
    trail = AuditEntry.objects.filter(action="batch.split_siblings")
    assert set(trail.exclude(survivor_id=None).values_list("survivor_id", flat=True)) == set(
        sisters
    )


def test_it_names_children_by_case_number_on_the_plan_page(alice, children, home):
    Home.objects.filter(pk=home.pk).update(available_beds=1)
    HomeFactory(name="Second Light", available_beds=1)
    batch = planned(alice, children[:2], keep_together=[[children[0].pk, children[1].pk]])
    client = Client()
    client.force_login(alice)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "kept together with case KS-N-2" in page
    assert f"kept together with {children[1].pk}" not in page
    assert "No home takes KS-N-1, KS-N-2 together" in page
    answer = client.post(
        f"/batches/{batch.pk}/split/", {"group": "1", "reason": "One bed each."}, follow=True
    )
    assert "a new plan places the siblings apart" in answer.content.decode()


# --- A child in an interim stay is planned; her move is a transfer (issue 25) -------------


@pytest.fixture
def girl_at_the_shelter(alice, mdt, children):
    """KS-N-1 sleeps at an emergency shelter tonight (an interim stay, still seeking)."""
    shelter = HomeFactory(
        name="Harris County Youth Shelter", home_type="emergency_shelter", intake_24_7=True,
        available_beds=4, staff_on_duty=4,
    )  # fmt: skip
    sam = UserFactory(username="sam", role="home_admin")
    home_admin_grant(actor=None, user=sam, home=shelter)
    stay = placed(alice, mdt, sam, children[0], shelter)
    children[0].refresh_from_db()
    assert children[0].status == Status.INTERIM and stay.interim
    return stay


def test_it_plans_a_child_in_an_interim_stay_and_her_move_is_a_transfer(
    alice, mdt, home_admin, children, home, girl_at_the_shelter
):
    stay = girl_at_the_shelter
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)

    batch = planned(alice, children)  # no "already placed": she is still seeking

    line = batch.assignments.get(survivor=children[0])
    assert line.home_id == home.pk  # a long-term home, never another shelter
    batch_crisis_override(actor=alice, batch=batch, justification="Raid at 2 a.m.")
    referral = Referral.objects.get(survivor=children[0], home=home)
    referral_accept(actor=home_admin, referral_id=referral.pk)
    referral_place(actor=alice, referral_id=referral.pk)

    stay.refresh_from_db()
    assert stay.ended_at is not None and stay.end_reason == "transfer"
    assert stay.transferred_to.home_id == home.pk
    children[0].refresh_from_db()
    assert children[0].status == Status.PLACED
    shelter = Home.objects.get(pk=stay.home_id)
    assert shelter.available_beds == 4  # her shelter bed came back with the transfer


def test_it_never_plans_a_shelter_as_her_long_term_home(alice, children, home, girl_at_the_shelter):
    Home.objects.filter(pk=home.pk).update(available_beds=0)  # only shelters have beds

    batch = planned(alice, children[:1])

    line = batch.assignments.get()
    assert line.home_id is None
    assert "interim stay at an emergency shelter: no long-term home fits" in line.reason
    batch_waitlist_unplaced(actor=alice, batch=batch)
    children[0].refresh_from_db()
    assert children[0].status == Status.INTERIM  # waitlisted, and still at the shelter
    assert WaitlistEntry.objects.filter(survivor=children[0], ended_at__isnull=True).exists()


def test_it_re_checks_under_the_locks_a_child_placed_for_good_since_the_plan(
    alice, mdt, home_admin, children, home, girl_at_the_shelter
):
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)
    batch = planned(alice, children)
    # Before the override, she is transferred to another long-term home, one by one.
    other = HomeFactory(name="Second Light", available_beds=1)
    hilda = UserFactory(username="hilda", role="home_admin")
    home_admin_grant(actor=None, user=hilda, home=other)
    placed(alice, mdt, hilda, children[0], other)

    batch_crisis_override(actor=alice, batch=batch, justification="Raid at 2 a.m.")

    line = batch.assignments.get(survivor=children[0])
    assert "placed" in line.outcome and line.referral_id is None
    assert not Referral.objects.filter(survivor=children[0], home=home).exists()
    assert Referral.objects.filter(survivor__in=children[1:], home=home).count() == 2


def test_it_still_refuses_a_child_placed_for_good(alice, mdt, home_admin, children, home):
    placed(alice, mdt, home_admin, children[0], home)
    with pytest.raises(ValidationError) as refused:
        batch_create(actor=alice, survivor_ids=[c.pk for c in children])
    assert "KS-N-1 is already placed" in str(refused.value.message_dict["survivors"])


# --- The same actions over REST (batches/{id}/crisis-override/, waitlist/, split/) --------


def test_it_refers_a_group_under_a_crisis_override_through_the_api(api, alice, mdt, children, home):
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)
    batch = planned(alice, children)

    response = api(alice).post(
        f"/api/v1/batches/{batch.pk}/crisis-override/",
        {"justification": "Raid at 2 a.m."},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["crisis_override"] is True and body["review_status"] == "pending_review"
    assert {line["outcome"] for line in body["assignments"]} == {"referred"}
    referrals = Referral.objects.filter(survivor__in=children)
    assert {line["referral"] for line in body["assignments"]} == set(
        referrals.values_list("pk", flat=True)
    )
    assert all(r.crisis_override for r in referrals)
    assert all(r.recommendation.crisis_justification == "Raid at 2 a.m." for r in referrals)
    again = api(alice).post(
        f"/api/v1/batches/{batch.pk}/crisis-override/", {"justification": "Again."}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "done"
    assert referrals.count() == 3


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "justification"),
        ({"justification": "   "}, "justification"),
        ({"justification": "x" * 4001}, "justification"),
        ({"justification": ["Raid"]}, "justification"),
    ],
)
def test_it_names_the_field_of_a_bad_crisis_override(api, alice, children, home, body, field):
    batch = planned(alice, children)

    response = api(alice).post(f"/api/v1/batches/{batch.pk}/crisis-override/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field][0]
    assert not Referral.objects.exists()


def test_it_waitlists_the_unplaced_through_the_api(api, alice, children, home):
    Home.objects.filter(pk=home.pk).update(available_beds=1)
    batch = planned(alice, children)
    Home.objects.filter(pk=home.pk).update(available_beds=0)

    response = api(alice).post(f"/api/v1/batches/{batch.pk}/waitlist/")

    assert response.status_code == 200, response.content
    unplaced = [line for line in response.json()["assignments"] if line["home"] is None]
    assert len(unplaced) == 2 and {line["outcome"] for line in unplaced} == {"waitlisted"}
    assert set(WaitlistEntry.objects.values_list("survivor_id", flat=True)) == {
        line["survivor"] for line in unplaced
    }
    again = api(alice).post(f"/api/v1/batches/{batch.pk}/waitlist/")
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_do"


def test_it_places_siblings_apart_through_the_api(api, alice, children, home):
    Home.objects.filter(pk=home.pk).update(available_beds=1)
    HomeFactory(name="Second Light", available_beds=1)
    sisters = [children[0].pk, children[1].pk]
    batch = planned(alice, children[:2], keep_together=[sisters])

    response = api(alice).post(
        f"/api/v1/batches/{batch.pk}/split/",
        {"group": 1, "reason": "Sisters, one bed each."},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != batch.pk and body["split_from"] == batch.pk
    assert body["keep_together"] == [] and body["survivors"] == sorted(sisters)
    split = Batch.objects.get(pk=body["id"])
    assert split.split_reason == "Sisters, one bed each." and split.created_by == alice


@pytest.mark.parametrize(
    "body,field",
    [
        ({"reason": "One bed each."}, "group"),
        ({"group": 0, "reason": "One bed each."}, "group"),
        ({"group": 2, "reason": "One bed each."}, "group"),  # the plan has one group
        ({"group": "first", "reason": "One bed each."}, "group"),
        ({"group": 1}, "reason"),
        ({"group": 1, "reason": ""}, "reason"),
        ({"group": 1, "reason": "x" * 4001}, "reason"),
    ],
)
def test_it_names_the_field_of_a_bad_split(api, alice, children, home, body, field):
    Home.objects.filter(pk=home.pk).update(available_beds=1)
    HomeFactory(name="Second Light", available_beds=1)
    batch = planned(alice, children[:2], keep_together=[[children[0].pk, children[1].pk]])

    response = api(alice).post(f"/api/v1/batches/{batch.pk}/split/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field] and response.json()[field][0]
    assert Batch.objects.count() == 1


@pytest.mark.parametrize("action", ["crisis-override", "waitlist", "split"])
def test_it_answers_404_for_a_plan_the_user_may_not_see(
    api, alice, charlie, home_admin, children, home, action
):
    batch = planned(alice, children)
    body = {"justification": "Raid.", "group": 1, "reason": "One bed each."}

    for outsider in (charlie, home_admin):
        response = api(outsider).post(f"/api/v1/batches/{batch.pk}/{action}/", body, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert api(alice).post("/api/v1/batches/999999999/waitlist/").status_code == 404
    assert not Referral.objects.exists() and not WaitlistEntry.objects.exists()
    denied = AuditEntry.objects.filter(outcome="denied", object_id=str(batch.pk))
    assert denied.count() == 2


def test_it_answers_404_when_a_child_of_the_plan_is_hidden_from_the_user(
    api, alice, agency, children, home
):
    Home.objects.filter(pk=home.pk).update(available_beds=3, staff_on_duty=3)
    batch = planned(alice, children)
    dora = UserFactory(username="dora", role="case_worker", agency=agency)
    for child in children[:2]:
        child.assigned_workers.add(dora)  # two of the three children

    response = api(dora).post(
        f"/api/v1/batches/{batch.pk}/crisis-override/", {"justification": "Raid."}, format="json"
    )

    assert response.status_code == 404
    assert not Referral.objects.exists()
