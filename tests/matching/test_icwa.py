"""The Indian Child Welfare Act's placement preferences (25 U.S.C. 1915(b)) in the ranking,
a tribe's own order (1915(c)), and good cause to depart from them (25 CFR 23.132),
end to end: intake, the home's profile, the search, the proposal, the MDT's page and the
packet."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from homes.columns import HEADERS, read_row, write_row
from matching.models import TribePreference
from placement.models import Recommendation
from survivors.models import Survivor
from tests.api.payloads import INTAKE
from tests.factories import HomeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TRIBE = "Cherokee Nation"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def homes(db):
    """A generic foster home 5.8 mi from the child (KCK 66101), a home the Cherokee
    Nation approved 73 mi away, and an Indian foster home 57 mi away."""
    near = HomeFactory(name="Near Foster", home_type="specialized_foster", zip_code="66106")
    tribal = HomeFactory(
        name="Tribal Home",
        home_type="foster",
        zip_code="66523",
        icwa_category="tribe_approved",
        approving_tribes=[TRIBE],
    )
    indian = HomeFactory(
        name="Indian Foster",
        home_type="foster",
        zip_code="66603",
        icwa_category="indian_foster_home",
    )
    return near, tribal, indian


def ranked(user, survivor) -> list[tuple[str, int | None]]:
    body = api(user).get(f"/api/v1/survivors/{survivor.pk}/matches/").json()
    return [(r["home"]["name"], r["icwa_tier"]) for r in body["results"]]


def make_indian(survivor, status="yes", tribes=(TRIBE,)):
    survivor.indian_child = status
    survivor.tribes = list(tribes)
    survivor.save(update_fields=["indian_child", "tribes"])
    return survivor


def test_it_ranks_the_tribes_home_far_away_above_a_closer_generic_one_for_an_indian_child(
    alice, survivor, homes
):
    make_indian(survivor)
    assert ranked(alice, survivor) == [
        ("Tribal Home", 2),
        ("Indian Foster", 3),
        ("Near Foster", None),
    ]


def test_it_ranks_by_score_alone_for_another_child(alice, survivor, homes):
    order = ranked(alice, survivor)
    assert order[0] == ("Near Foster", None)
    assert all(tier is None for _, tier in order)


def test_an_unknown_status_with_a_tribe_named_ranks_the_preferences_first(alice, survivor, homes):
    make_indian(survivor, status="unknown", tribes=())
    assert ranked(alice, survivor)[0] == ("Near Foster", None)
    make_indian(survivor, status="unknown")
    assert ranked(alice, survivor)[0] == ("Tribal Home", 2)


def test_a_home_another_tribe_approved_is_not_the_childs_tribes_home(alice, survivor, homes):
    make_indian(survivor, tribes=("Osage Nation",))
    order = ranked(alice, survivor)
    assert order[0] == ("Indian Foster", 3)
    assert ("Tribal Home", None) in order


def test_a_tribes_own_order_replaces_the_default(alice, survivor, homes):
    TribePreference.objects.create(
        name="cherokee nation",  # any case
        order=["extended_family", "indian_foster_home", "tribe_approved", "tribal_institution"],
    )
    make_indian(survivor)
    assert ranked(alice, survivor)[:2] == [("Indian Foster", 2), ("Tribal Home", 3)]
    content = page(alice).get(f"/survivors/{survivor.pk}/search/").content.decode()
    assert "placement preferences cherokee nation set" in content


def test_the_search_page_says_why_the_order(alice, survivor, homes):
    make_indian(survivor)
    content = page(alice).get(f"/survivors/{survivor.pk}/search/").content.decode()
    assert "ICWA applies" in content
    assert "ICWA preference 2" in content


def test_a_what_if_search_takes_the_status_and_tribes(alice, homes):
    body = {"age": 15, "gender": "female", "guardianship": "state", "custody_state": "KS",
            "residence_zip": "66101"}  # fmt: skip
    plain = api(alice).post("/api/v1/match/", body, format="json").json()
    assert plain["results"][0]["home"]["name"] == "Near Foster"
    icwa = (
        api(alice)
        .post("/api/v1/match/", {**body, "indian_child": "yes", "tribes": [TRIBE]}, format="json")
        .json()
    )
    assert icwa["results"][0]["home"]["name"] == "Tribal Home"
    assert icwa["results"][0]["icwa_tier"] == 2
    wrong = api(alice).post("/api/v1/match/", {**body, "indian_child": "maybe"}, format="json")
    assert wrong.status_code == 400
    assert "indian_child" in wrong.json()


def propose(user, survivor, home, **extra):
    return api(user).post(
        f"/api/v1/survivors/{survivor.pk}/recommendations/",
        {"home": home.pk, "rationale": "Closest to school.", **extra},
        format="json",
    )


def test_choosing_a_home_below_a_preferred_one_without_good_cause_is_refused(
    alice, survivor, homes
):
    near, tribal, _ = homes
    make_indian(survivor)
    refused = propose(alice, survivor, near)
    assert refused.status_code == 409
    assert refused.json()["code"] == "good_cause_required"
    assert "Tribal Home" in refused.json()["detail"]
    assert not Recommendation.objects.exists()

    no_detail = propose(alice, survivor, near, good_cause="child_request")
    assert no_detail.status_code == 400
    assert "good_cause_detail" in no_detail.json()

    made = propose(
        alice,
        survivor,
        near,
        good_cause="child_request",
        good_cause_detail="She asked to stay near her school and her little brother.",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["good_cause"] == "child_request"
    assert made.json()["icwa_tier"] is None
    assert made.json()["best_icwa_tier"] == 2


def test_the_preferred_home_needs_no_good_cause(alice, survivor, homes):
    _, tribal, _ = homes
    make_indian(survivor)
    made = propose(alice, survivor, tribal)
    assert made.status_code == 201, made.json()
    assert made.json()["icwa_tier"] == 2
    assert made.json()["good_cause"] == ""


def test_the_mdt_and_the_packet_see_the_good_cause(alice, mdt, survivor, homes):
    near, _, _ = homes
    make_indian(survivor)
    made = propose(
        alice,
        survivor,
        near,
        good_cause="sibling_attachment",
        good_cause_detail="Her brother is placed there.",
    ).json()
    for url in (f"/recommendations/{made['id']}/", f"/recommendations/{made['id']}/?print=1"):
        content = page(mdt).get(url).content.decode()
        assert "Good cause (25 CFR 23.132):" in content, url
        assert "A sibling attachment kept only through this placement" in content
        assert "Her brother is placed there." in content


def test_the_propose_form_on_the_page_takes_the_good_cause(alice, survivor, homes):
    near, _, _ = homes
    make_indian(survivor)
    client = page(alice)
    refused = client.post(
        f"/survivors/{survivor.pk}/propose/",
        {"homes": [str(near.pk)], "rationale": "Near school."},
        follow=True,
    )
    assert "needs good cause" in refused.content.decode()
    assert not Recommendation.objects.exists()
    client.post(
        f"/survivors/{survivor.pk}/propose/",
        {
            "homes": [str(near.pk)],
            "rationale": "Near school.",
            "good_cause": "parents_request",
            "good_cause_detail": "Her mother asked after seeing the tribe's homes.",
        },
    )
    assert Recommendation.objects.get().good_cause == "parents_request"


def test_intake_records_the_icwa_status_tribes_and_the_new_fields(alice, mdt):
    response = api(alice).post(
        "/api/v1/survivors/",
        {
            **INTAKE,
            "exclusion_zones": [],
            "indian_child": "unknown",
            "tribes": ["  Cherokee   Nation "],
            "trafficking_type": "sex",
            "identified_by": "KCK Police",
            "law_enforcement_reference": "KCKPD-26-1187",
            "foreign_national": True,
            "interpreter_needed": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    survivor = Survivor.objects.get(pk=response.json()["id"])
    assert survivor.tribes == [TRIBE]
    assert survivor.trafficking_type == "sex"
    assert survivor.law_enforcement_reference == "KCKPD-26-1187"
    # Encrypted at rest.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT law_enforcement_reference FROM survivors_survivor WHERE id = %s",
            [survivor.pk],
        )
        assert "KCKPD" not in cursor.fetchone()[0]
    survivor.team = mdt.team
    survivor.save(update_fields=["team"])
    summary = api(mdt).get(f"/api/v1/survivors/{survivor.pk}/").json()
    assert summary["tribes"] == [TRIBE]
    assert "law_enforcement_reference" not in summary
    assert "identified_by" not in summary


def test_intake_refuses_a_tribe_with_the_status_no(alice):
    response = api(alice).post(
        "/api/v1/survivors/",
        {**INTAKE, "exclusion_zones": [], "indian_child": "no", "tribes": [TRIBE]},
        format="json",
    )
    assert response.status_code == 400
    assert "indian_child" in response.json()


def test_the_intake_page_takes_the_icwa_fields(alice):
    client = page(alice)
    form = client.get("/survivors/new/").content.decode()
    assert 'name="indian_child"' in form and 'name="tribes"' in form
    assert 'name="trafficking_type"' in form and 'name="foreign_national"' in form
    response = client.post(
        "/survivors/new/",
        {
            "estimated_age": "15",
            "gender": "female",
            "guardianship": "state",
            "custody_state": "KS",
            "residence_zip": "66101",
            "indian_child": "unknown",
            "tribes": "",
            "trafficking_type": "sex",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    survivor = Survivor.objects.get()
    assert survivor.indian_child == "unknown" and survivor.tribes == []
    assert "Unknown — ask" in client.get(response["Location"]).content.decode()


def test_a_homes_icwa_category_goes_through_the_api_page_and_spreadsheet(admin_user, home):
    client = api(admin_user)
    changed = client.patch(
        f"/api/v1/homes/{home.pk}/",
        {"icwa_category": "tribe_approved", "approving_tribes": [TRIBE]},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["approving_tribes"] == [TRIBE]
    missing = client.patch(
        f"/api/v1/homes/{home.pk}/",
        {"icwa_category": "tribe_approved", "approving_tribes": []},
        format="json",
    )
    assert missing.status_code == 400
    assert "approving_tribes" in missing.json()
    home.refresh_from_db()
    cells = dict(zip(HEADERS, write_row(home), strict=True))
    assert cells["icwa_category"] == "tribe_approved"
    assert cells["approving_tribes"] == TRIBE
    assert read_row(cells)["approving_tribes"] == [TRIBE]
    content = page(admin_user).get(f"/homes/{home.pk}/profile/").content.decode()
    assert 'name="icwa_category"' in content and 'name="approving_tribes"' in content


def test_an_admin_sets_a_tribes_order_in_the_admin_and_it_is_audited(admin_user):
    from audit.models import AuditEntry

    client = page(admin_user)
    response = client.post(
        "/admin/matching/tribepreference/add/",
        {
            "name": "Osage Nation",
            "order": '["extended_family", "indian_foster_home", "tribe_approved"]',
            "source": "Resolution 2026-14",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    preference = TribePreference.objects.get(name="Osage Nation")
    assert preference.order == ["extended_family", "indian_foster_home", "tribe_approved"]
    assert AuditEntry.objects.filter(action="tribe_preference.save").exists()
    bad = client.post(
        "/admin/matching/tribepreference/add/",
        {"name": "Kaw Nation", "order": '["relatives"]', "source": ""},
    )
    assert bad.status_code == 200
    assert not TribePreference.objects.filter(name="Kaw Nation").exists()
