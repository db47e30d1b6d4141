"""Issue 12, finding 7: less of a child's data, in fewer places.

- Where the child is and the exclusion zones (often where the trafficker operates) are
  encrypted at rest, and never copied into stored searches, the audit trail or
  notifications.
- An MDT member reads "Inside an exclusion zone", never which zone, its radius or the
  distance to it; the case worker still reads all of it.
- A home admin sees only their own homes, and their history without the case side's names.
- The OpenAPI schema and docs are for signed-in users (tests/api/test_schema.py).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from audit.models import AuditEntry, Outcome
from matching.models import MatchSearch
from matching.selectors import directory_cache
from notifications.models import Notification
from placement.models import Recommendation
from survivors.models import Survivor
from tests.factories import HomeFactory, SurvivorFactory
from tests.placement.helpers import placed, referred

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

RESIDENCE = "66044"  # Lawrence, KS: 32 mi from `home`
ZONE = "66105"  # Kansas City, KS: 2.2 mi from `home` (66101)


@pytest.fixture(autouse=True)
def fresh_directory_cache():
    directory_cache.reset()
    yield
    directory_cache.reset()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user) -> APIClient:
    client = APIClient()
    key, _ = token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def raw_location(survivor_id: int) -> tuple[str, str]:
    """The residence ZIP and exclusion zones as PostgreSQL holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT residence_zip, exclusion_zones FROM survivors_survivor WHERE id = %s",
            [survivor_id],
        )
        return cursor.fetchone()


def texts_kept() -> dict[str, list[str]]:
    """Every place a copy of the child's location could end up, as text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT action, before::text, after::text FROM audit_auditentry")
        audit = [" ".join(str(cell) for cell in row) for row in cursor.fetchall()]
    return {
        "audit": audit,
        "searches": [str(needs) for needs in MatchSearch.objects.values_list("needs", flat=True)],
        "recommendations": [
            str(needs) for needs in Recommendation.objects.values_list("needs", flat=True)
        ],
        "notifications": list(Notification.objects.values_list("message", flat=True)),
    }


# --- Encrypted at rest, copied nowhere ---------------------------------------------------


def test_it_keeps_the_childs_location_out_of_the_database_in_plaintext(alice, home):
    body = {
        "date_of_birth": "2011-03-04", "gender": "female", "guardianship": "state",
        "custody_state": "KS", "residence_zip": RESIDENCE,
        "exclusion_zones": [{"zip_code": ZONE, "radius_miles": 1}],
    }  # fmt: skip
    created = api(alice).post("/api/v1/survivors/", body, format="json")
    assert created.status_code == 201, created.json()

    zip_cell, zones_cell = raw_location(created.json()["id"])
    assert RESIDENCE not in zip_cell and ZONE not in zones_cell
    assert zip_cell.startswith("gAAAA") and zones_cell.startswith("gAAAA")  # Fernet tokens
    # The API and the model read them as they were given.
    shown = api(alice).get(f"/api/v1/survivors/{created.json()['id']}/").json()
    assert shown["residence_zip"] == RESIDENCE
    assert shown["exclusion_zones"] == [{"zip_code": ZONE, "radius_miles": 1.0}]
    survivor = Survivor.objects.get(pk=created.json()["id"])
    assert survivor.exclusion_zones == [{"zip_code": ZONE, "radius_miles": 1}]


def test_it_copies_no_zip_into_the_trail_searches_or_notifications(
    alice, mdt, home_admin, survivor, home
):
    """Finding 7 replayed: a zone recorded, changed and searched used to be copied into
    audit `after` rows, every MatchSearch and the case worker's notification."""
    survivor.created_by = alice
    survivor.residence_zip = RESIDENCE
    survivor.save()
    referral = referred(alice, mdt, survivor, home)
    worker = api(alice)
    edited = worker.patch(
        f"/api/v1/survivors/{survivor.pk}/",
        {"exclusion_zones": [{"zip_code": ZONE, "radius_miles": 3}], "residence_zip": "66103"},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    referral.refresh_from_db()
    assert referral.status == "withdrawn"  # the new zone covers the home
    matches = f"/api/v1/survivors/{survivor.pk}/matches/"
    assert worker.get(f"{matches}?include_excluded=1").status_code == 200
    assert api(mdt).get(matches).status_code == 200
    assert signed_in(alice).get(f"/survivors/{survivor.pk}/search/").status_code == 200

    kept = texts_kept()
    assert kept["audit"] and kept["searches"] and kept["notifications"]
    for where, texts in kept.items():
        for text in texts:
            for zip_code in (RESIDENCE, ZONE, "66103"):
                assert zip_code not in text, (where, text)
    update = AuditEntry.objects.get(action="survivor.update")
    assert update.before == {"residence_zip": "<encrypted>", "exclusion_zones": "<encrypted>"}
    assert update.after == update.before
    # A stored search keeps how many zones there were, not where they lie.
    assert {search.needs["exclusion_zones"] for search in MatchSearch.objects.all()} == {1}
    (to_worker,) = Notification.objects.filter(recipient=alice, kind="referral_withdrawn")
    assert "Inside an exclusion zone" in to_worker.message


def test_it_records_an_intake_without_its_location_in_the_trail(alice):
    body = {
        "estimated_age": 14, "gender": "female", "guardianship": "parent",
        "custody_state": "KS", "residence_zip": RESIDENCE,
        "exclusion_zones": [{"zip_code": ZONE, "radius_miles": 4}],
    }  # fmt: skip
    assert api(alice).post("/api/v1/survivors/", body, format="json").status_code == 201

    create = AuditEntry.objects.get(action="survivor.create")
    assert create.after["residence_zip"] == "<encrypted>"
    assert create.after["exclusion_zones"] == "<encrypted>"
    assert create.after["custody_state"] == "KS"  # the rest of the intake is still there


# --- An MDT member never learns where a zone lies -----------------------------------------


@pytest.fixture
def zoned(alice, team, home):
    """Finding 7's case: a zone at 64108, a home 1.7 mi from its centre."""
    HomeFactory(name="Riverside", state="MO", zip_code="64106")
    survivor = SurvivorFactory(
        agency=alice.agency,
        team=team,
        created_by=alice,
        custody_state="MO",
        guardianship="parent",
        residence_zip="64111",
        exclusion_zones=[{"zip_code": "64108", "radius_miles": 5}],
    )
    survivor.assigned_workers.add(alice)
    return survivor


def _zone_reasons(body: dict) -> list[str]:
    misses = body["near_misses"] + (body["excluded"] or [])
    return [f["reason"] for m in misses for f in m["failed"] if f["rule"] == "exclusion_zone"]


def test_it_tells_an_mdt_member_only_that_homes_are_inside_a_zone(alice, mdt, zoned):
    """Finding 7 replayed ("Within 1.7 mi of exclusion zone 64108" was shown to the MDT),
    and issue 29 finding 8: which homes said "Inside an exclusion zone" (all in one part
    of one city) still drew the zone on a map. No home inside it is listed to the MDT."""
    path = f"/api/v1/survivors/{zoned.pk}/matches/?include_excluded=1"

    seen_by_mdt = api(mdt).get(path)
    assert seen_by_mdt.status_code == 200
    assert _zone_reasons(seen_by_mdt.json()) == []
    body = seen_by_mdt.content.decode()
    assert "Riverside" not in body and "64108" not in body and "1.7 mi" not in body

    # The case worker who recorded the zone still reads which one and how near.
    seen_by_worker = api(alice).get(path).json()
    assert "Within 1.7 mi of exclusion zone 64108 (radius 5 mi)" in _zone_reasons(seen_by_worker)


def test_it_keeps_the_zone_off_the_mdt_members_search_page_and_download(alice, mdt, zoned):
    page = signed_in(mdt).post(f"/survivors/{zoned.pk}/search/", {"include_excluded": "on"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Riverside" not in html and "64108" not in html and "1.7 mi of" not in html
    # The MDT member sees that a zone excluded homes, not which.
    assert "inside an exclusion zone recorded for this child" in html

    download = signed_in(mdt).get(f"/api/v1/survivors/{zoned.pk}/matches/excluded/")
    csv = b"".join(download.streaming_content).decode()
    assert "Riverside" not in csv and "64108" not in csv

    worker_page = signed_in(alice).post(
        f"/survivors/{zoned.pk}/search/", {"include_excluded": "on"}
    )
    assert "exclusion zone 64108" in worker_page.content.decode()


# --- A home admin sees only their own homes ---------------------------------------------


def test_it_lists_only_a_home_admins_own_homes(home_admin, home, other_home, alice):
    """Finding 7 replayed: a home admin listed every safe home with its ZIP."""
    listed = api(home_admin).get("/api/v1/homes/")
    assert listed.status_code == 200
    assert [h["id"] for h in listed.json()["results"]] == [home.pk]
    assert "64108" not in listed.content.decode() and "Cedar Place" not in listed.content.decode()
    # The case side still reads the whole directory.
    assert api(alice).get("/api/v1/homes/").json()["count"] == 2


def test_it_hides_another_home_from_a_home_admin_as_if_it_did_not_exist(
    home_admin, home, other_home
):
    client = api(home_admin)
    missing = client.get("/api/v1/homes/999999/")
    for path in (
        f"/api/v1/homes/{other_home.pk}/",
        f"/api/v1/homes/{other_home.pk}/availability/history/",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == missing.json()
    patched = client.patch(
        f"/api/v1/homes/{other_home.pk}/availability/", {"available_beds": 0}, format="json"
    )
    assert patched.status_code == 404
    other_home.refresh_from_db()
    assert other_home.available_beds == 2
    refused = AuditEntry.objects.filter(
        actor=home_admin, outcome=Outcome.DENIED, object_id=str(other_home.pk)
    )
    assert sorted(refused.values_list("action", flat=True)) == [
        "home.availability", "home.availability_history", "home.read",
    ]  # fmt: skip


def test_it_shows_a_home_admin_its_history_without_the_case_workers_names(
    alice, mdt, home_admin, survivor, home
):
    """Finding 7 replayed: a home's bed history named which agency's worker placed there."""
    survivor.created_by = alice
    survivor.save()
    placed(alice, mdt, home_admin, survivor, home)
    path = f"/api/v1/homes/{home.pk}/availability/history/"

    to_home = {c["source"]: c["by"] for c in api(home_admin).get(path).json()["results"]}
    assert to_home == {"placement": None, "hold": "hank"}
    to_worker = {c["source"]: c["by"] for c in api(alice).get(path).json()["results"]}
    assert to_worker == {"placement": "alice", "hold": "hank"}


def test_it_refuses_a_home_admin_the_what_if_search_over_every_home(home_admin, home):
    body = {"age": 15, "gender": "female", "guardianship": "state", "custody_state": "KS"}
    assert api(home_admin).post("/api/v1/match/", body, format="json").status_code == 403
    assert signed_in(home_admin).get("/search/").status_code == 403
    assert signed_in(home_admin).post("/search/", body).status_code == 403
