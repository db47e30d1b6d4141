"""Safety across cases (DESIGN.md "Safety across cases"): two children linked to be kept
apart are never offered, referred, held or placed where the other is, whatever case
each is in; the link never shows a child to someone who may not see her."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.models import AuditEntry
from core.errors import Conflict
from placement.models import KeepApart, Referral
from placement.services import keep_apart_create, referral_accept, referral_create
from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import approved, placed, recommend, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def recruiter(alice, team):
    child = SurvivorFactory(agency=alice.agency, team=team, alias="Recruiter")
    child.assigned_workers.add(alice)
    return child


@pytest.fixture
def recruit(alice, team):
    child = SurvivorFactory(agency=alice.agency, team=team, alias="Girl in blue")
    child.assigned_workers.add(alice)
    return child


@pytest.fixture
def shelter(db):
    return HomeFactory(name="Harbor Light", intake_24_7=True)


def link(api, user, child, other, reason="She recruited her."):
    return api(user).post(
        f"/api/v1/survivors/{child.pk}/keep-apart/",
        {"survivor": other.pk, "reason": reason},
        format="json",
    )


def ranked_ids(api, user, child) -> list[int]:
    answer = api(user).get(f"/api/v1/survivors/{child.pk}/matches/?include_excluded=1")
    assert answer.status_code == 200
    return [r["home"]["id"] for r in answer.json()["results"]]


def test_it_keeps_the_recruit_out_of_the_home_the_recruiter_was_referred_to(
    api, alice, mdt, recruiter, recruit, shelter
):
    answer = link(api, alice, recruit, recruiter)
    assert answer.status_code == 201, answer.content
    assert answer.json()["survivor"] == recruiter.pk
    assert shelter.pk in ranked_ids(api, alice, recruit)

    referred(alice, mdt, recruiter, shelter)

    assert shelter.pk not in ranked_ids(api, alice, recruit)
    search = api(alice).get(f"/api/v1/survivors/{recruit.pk}/matches/?include_excluded=1").json()
    # Never offered: not a near miss, nor a relaxation; the excluded list says why.
    assert shelter.pk not in [miss["home"]["id"] for miss in search["near_misses"]]
    assert "keep_apart" not in [r["rule"] for r in search["relaxations"]]
    excluded = {miss["home"]["id"]: miss["failed"] for miss in search["excluded"]}
    assert [f["rule"] for f in excluded[shelter.pk]] == ["keep_apart"]
    # The reason never names the other child.
    assert "Recruiter" not in excluded[shelter.pk][0]["reason"]
    # Proposing the home is refused on the live rows, naming the rule.
    refused = api(alice).post(
        f"/api/v1/survivors/{recruit.pk}/recommendations/",
        {"home": shelter.pk, "rationale": "Nearest bed."},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_feasible"
    assert "kept apart" in refused.json()["detail"]


def test_it_refuses_to_refer_accept_or_place_where_the_other_child_now_is(
    alice, mdt, home_admin, recruiter, recruit, home
):
    # Both approved for the same home before anyone linked them.
    for_recruit = approved(alice, mdt, recruit, home)
    placed(alice, mdt, home_admin, recruiter, home)
    keep_apart_create(
        actor=alice, survivor_id=recruit.pk, other_id=recruiter.pk, reason="Threatened her."
    )
    with pytest.raises(Conflict) as refused:
        referral_create(actor=alice, recommendation_id=for_recruit.pk)
    assert [f["rule"] for f in refused.value.failed] == ["keep_apart"]
    assert not Referral.objects.filter(survivor=recruit).exists()


def test_it_withdraws_the_later_referral_when_two_referred_children_are_linked(
    alice, mdt, home_admin, recruiter, recruit, home
):
    first = referred(alice, mdt, recruiter, home)
    later = referred(alice, mdt, recruit, home)
    keep_apart_create(
        actor=alice, survivor_id=recruiter.pk, other_id=recruit.pk, reason="Recruiter."
    )
    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.status, later.status) == ("pending", "withdrawn")
    # The home reads why without learning which child is linked to whom.
    assert "safety rule across cases" in later.close_reason
    assert "Recruiter" not in later.close_reason
    # The one left still fits: the home may accept it.
    referral_accept(actor=home_admin, referral_id=first.pk)


def test_it_answers_404_for_a_child_the_worker_may_not_see_and_links_nothing(
    api, alice, charlie, recruit
):
    stranger = SurvivorFactory(agency=charlie.agency)
    stranger.assigned_workers.add(charlie)
    assert link(api, alice, recruit, stranger).status_code == 404
    assert link(api, charlie, stranger, recruit).status_code == 404
    assert not KeepApart.objects.exists()
    assert AuditEntry.objects.filter(action="survivor.keep_apart", outcome="denied").exists()


def test_it_lists_a_link_only_to_whoever_may_see_the_other_child(
    api, alice, bob, agency, team, recruit
):
    # bob (the supervisor) links alice's recruit to a child alice may not see.
    hidden = SurvivorFactory(agency=agency, team=team, alias="Other girl")
    assert link(api, bob, recruit, hidden).status_code == 201
    assert api(bob).get(f"/api/v1/survivors/{recruit.pk}/keep-apart/").json()[0]["survivor"] == (
        hidden.pk
    )
    assert api(alice).get(f"/api/v1/survivors/{recruit.pk}/keep-apart/").json() == []
    # alice may not end it either: the same 404 as for no link.
    answer = api(alice).delete(f"/api/v1/survivors/{recruit.pk}/keep-apart/{hidden.pk}/")
    assert answer.status_code == 404
    assert KeepApart.objects.active().count() == 1


def test_it_refuses_an_mdt_member_and_bad_input_by_field(api, alice, mdt, recruit, recruiter):
    assert link(api, mdt, recruit, recruiter).status_code == 403
    assert link(api, alice, recruit, recruiter, reason="").status_code == 400
    blank = api(alice).post(
        f"/api/v1/survivors/{recruit.pk}/keep-apart/", {"reason": "x"}, format="json"
    )
    assert "survivor" in blank.json()["errors"] if "errors" in blank.json() else blank.json()
    assert blank.status_code == 400
    herself = link(api, alice, recruit, recruit)
    assert herself.status_code == 400 and "survivor" in str(herself.json())
    assert link(api, alice, recruit, recruiter).status_code == 201
    again = link(api, alice, recruiter, recruit)
    assert again.status_code == 409 and again.json()["code"] == "already_kept_apart"


def test_it_keeps_the_reason_encrypted_at_rest(alice, recruit, recruiter):
    keep_apart_create(
        actor=alice, survivor_id=recruit.pk, other_id=recruiter.pk, reason="Her pimp's sister"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM placement_keepapart")
        (stored,) = cursor.fetchone()
    assert "pimp" not in stored
    assert KeepApart.objects.get().reason == "Her pimp's sister"


def test_it_ends_a_link_softly_and_offers_the_home_again(
    api, alice, mdt, recruiter, recruit, shelter
):
    link(api, alice, recruit, recruiter)
    referred(alice, mdt, recruiter, shelter)
    assert shelter.pk not in ranked_ids(api, alice, recruit)
    answer = api(alice).delete(f"/api/v1/survivors/{recruit.pk}/keep-apart/{recruiter.pk}/")
    assert answer.status_code == 200
    assert answer.json()["ended_at"]
    assert KeepApart.objects.count() == 1 and not KeepApart.objects.active().exists()
    ended = AuditEntry.objects.filter(action="survivor.keep_apart_end")
    assert set(ended.values_list("survivor_id", flat=True)) == {recruit.pk, recruiter.pk}
    assert shelter.pk in ranked_ids(api, alice, recruit)


def refer_at_once(actor, recommendations) -> list[object]:
    """Refer each recommendation from its own thread and connection, at the same moment."""
    start = threading.Barrier(len(recommendations))
    results: list[object] = [None] * len(recommendations)

    def refer(i: int) -> None:
        try:
            start.wait()
            referral_create(actor=actor, recommendation_id=recommendations[i].pk)
            results[i] = "referred"
        except Conflict as exc:
            results[i] = tuple(f["rule"] for f in getattr(exc, "failed", ()))
        finally:
            connection.close()

    threads = [threading.Thread(target=refer, args=(i,)) for i in range(len(recommendations))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_linked_children_be_referred_to_a_home_at_once(
    alice, mdt, team, home
):
    outcomes = []
    for round_number in range(6):
        pair = []
        for name in ("Recruiter", "Recruit"):
            child = SurvivorFactory(agency=alice.agency, team=team, alias=f"{name} {round_number}")
            child.assigned_workers.add(alice)
            pair.append(child)
        recommendations = [approved(alice, mdt, child, home) for child in pair]
        keep_apart_create(
            actor=alice, survivor_id=pair[0].pk, other_id=pair[1].pk, reason="Co-victims."
        )
        results = refer_at_once(alice, recommendations)
        outcomes.append(sorted(results, key=str))
        assert Referral.objects.filter(survivor__in=pair, status="pending").count() == 1
    assert all(result == [("keep_apart",), "referred"] for result in outcomes), outcomes


def test_it_keeps_linked_children_apart_in_a_group_plan(alice, recruit, recruiter, home):
    from placement.services.batches import batch_create

    keep_apart_create(actor=alice, survivor_id=recruit.pk, other_id=recruiter.pk, reason="R.")
    batch = batch_create(actor=alice, survivor_ids=[recruit.pk, recruiter.pk])
    batch.refresh_from_db()
    assert sorted(map(sorted, batch.keep_apart)) == [sorted([recruit.pk, recruiter.pk])]


def test_it_does_not_refuse_a_home_the_other_child_left(
    alice, mdt, home_admin, recruiter, recruit, home
):
    from placement.services import placement_discharge

    stay = placed(alice, mdt, home_admin, recruiter, home)
    keep_apart_create(actor=alice, survivor_id=recruit.pk, other_id=recruiter.pk, reason="R.")
    placement_discharge(actor=alice, placement_id=stay.pk, end_reason="planned")
    recommend(alice, recruit, home)  # feasible again: the recruiter left


def test_it_keeps_two_children_apart_from_the_case_page_by_case_number(
    client, alice, mdt, recruit, recruiter
):
    client.force_login(alice)
    answer = client.post(
        f"/survivors/{recruit.pk}/keep-apart/",
        {"case_number": recruiter.case_number, "reason": "She recruited her."},
        follow=True,
    )
    assert "Kept apart" in answer.content.decode()
    page = client.get(f"/survivors/{recruit.pk}/").content.decode()
    assert f"Case {recruiter.case_number}" in page and "She recruited her." in page
    # The other child's page shows the link too; the MDT's summary never does.
    assert "She recruited her." in client.get(f"/survivors/{recruiter.pk}/").content.decode()
    client.force_login(mdt)
    assert "She recruited her." not in client.get(f"/survivors/{recruit.pk}/").content.decode()


def test_it_says_no_child_when_the_case_number_is_one_she_may_not_see(
    client, alice, charlie, recruit
):
    stranger = SurvivorFactory(agency=charlie.agency, case_number="MO-SECRET")
    stranger.assigned_workers.add(charlie)
    client.force_login(alice)
    answer = client.post(
        f"/survivors/{recruit.pk}/keep-apart/",
        {"case_number": "MO-SECRET", "reason": "Threat."},
        follow=True,
    )
    assert "No child you can see has case number MO-SECRET" in answer.content.decode()
    assert not KeepApart.objects.exists()


def test_it_finds_each_linked_childs_homes_from_either_side_in_one_statement(
    alice, mdt, home_admin, recruiter, recruit, home, shelter
):
    """keep_apart_homes (every search of a linked child asks it) reads the other child's
    placement and active referrals whichever side of the link the child is stored on, in
    one statement, and nothing once the link has ended."""
    from django.test.utils import CaptureQueriesContext

    from placement.selectors import keep_apart_homes
    from placement.services import keep_apart_end

    third = SurvivorFactory(agency=alice.agency, team=recruit.team, alias="Third")
    third.assigned_workers.add(alice)
    placed(alice, mdt, home_admin, recruiter, home)
    referred(alice, mdt, third, shelter)
    keep_apart_create(actor=alice, survivor_id=recruit.pk, other_id=recruiter.pk, reason="R.")
    keep_apart_create(actor=alice, survivor_id=third.pk, other_id=recruit.pk, reason="R.")

    with CaptureQueriesContext(connection) as queries:
        assert keep_apart_homes(recruit.pk) == {home.pk, shelter.pk}
    assert len(queries) == 1
    assert keep_apart_homes(recruiter.pk) == set()  # the recruit is nowhere yet
    assert keep_apart_homes(third.pk) == set()

    keep_apart_end(actor=alice, survivor_id=recruit.pk, other_id=recruiter.pk)
    assert keep_apart_homes(recruit.pk) == {shelter.pk}
