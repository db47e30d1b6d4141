from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from survivors.models import Status, Survivor
from tests.api.payloads import INTAKE
from tests.factories import SurvivorFactory

pytestmark = pytest.mark.postgres


def test_it_records_an_intake_for_the_case_workers_agency_and_assigns_her(alice, client_for):
    response = client_for(alice).post("/api/v1/survivors/", INTAKE, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    survivor = Survivor.objects.get(pk=body["id"])
    assert survivor.agency == alice.agency
    assert survivor.team == alice.team
    assert list(survivor.assigned_workers.all()) == [alice]
    assert survivor.created_by == alice
    assert survivor.status == Status.INTAKE
    assert body["assigned_workers"] == ["alice"]
    assert body["agency"] == "ks-dcf"
    assert body["first_name"] == "Lena"
    assert body["exclusion_zones"] == [{"zip_code": "66102", "radius_miles": 15.0}]


def test_it_refuses_a_case_number_the_agency_already_uses(alice, survivor, client_for):
    payload = {**INTAKE, "case_number": survivor.case_number}

    response = client_for(alice).post("/api/v1/survivors/", payload, format="json")

    assert response.status_code == 400
    assert "already has a survivor with this case number" in str(response.json())


def test_it_shows_mdt_members_a_summary_without_identity_notes_or_places(world, mdt, client_for):
    survivor = world.objects["survivor"]
    survivor.notes = "Disclosed the trafficker's name."
    survivor.exclusion_zones = [{"zip_code": "66102", "radius_miles": 20}]
    survivor.save()
    client = client_for(mdt)

    detail = client.get(f"/api/v1/survivors/{survivor.pk}/").json()
    listed = client.get("/api/v1/survivors/").json()["results"]

    for record in (detail, listed[0]):
        assert record["id"] == survivor.pk
        hidden = {"first_name", "last_name", "date_of_birth", "notes", "exclusion_zones"}
        assert hidden.isdisjoint(record), record.keys()
        assert "residence_zip" not in record  # where the child is now locates the child
        assert record["urgency"] == survivor.urgency
        assert record["age"] == survivor.age_on(timezone.localdate())
        assert record["exclusion_zone_count"] == 1
        assert record["case_number"] == survivor.case_number
    full = client_for(world.users["supervisor_own"]).get(f"/api/v1/survivors/{survivor.pk}/")
    assert full.json()["notes"] == "Disclosed the trafficker's name."


def test_it_answers_a_hidden_record_exactly_like_a_missing_one(world, charlie, client_for):
    client = client_for(charlie)
    hidden = world.objects["survivor"].pk
    missing = Survivor.objects.order_by("-pk").first().pk + 1000

    for method, body in [("get", None), ("patch", {"urgency": "crisis"}), ("put", INTAKE)]:
        answers = [
            getattr(client, method)(f"/api/v1/survivors/{pk}/", body, format="json")
            for pk in (hidden, missing, "not-an-id")
        ]
        assert {r.status_code for r in answers} == {404}
        assert all(r.content == answers[0].content for r in answers)
        assert all(r.headers["Content-Type"] == "application/json" for r in answers)


def test_it_audits_a_refused_read_as_denied_with_the_survivor_it_targeted(
    world, charlie, client_for
):
    survivor = world.objects["survivor"]

    client_for(charlie).get(f"/api/v1/survivors/{survivor.pk}/", REMOTE_ADDR="203.0.113.9")

    entry = AuditEntry.objects.get(actor=charlie, outcome="denied")
    assert entry.action == "survivor.read"
    assert entry.survivor_id == survivor.pk
    assert entry.object_id == str(survivor.pk)
    assert entry.actor_username == "charlie"
    assert entry.ip == "203.0.113.9"


def test_it_audits_a_probe_for_a_missing_id_without_linking_it_to_a_trail(charlie, client_for):
    client_for(charlie).get("/api/v1/survivors/999999/")

    entry = AuditEntry.objects.get(actor=charlie)
    assert (entry.action, entry.outcome, entry.object_id) == ("survivor.read", "denied", "999999")
    assert entry.survivor_id is None


def test_it_lets_an_mdt_member_read_but_not_edit(world, mdt, client_for):
    survivor = world.objects["survivor"]

    response = client_for(mdt).patch(
        f"/api/v1/survivors/{survivor.pk}/", {"urgency": "crisis"}, format="json"
    )

    assert response.status_code == 403
    survivor.refresh_from_db()
    assert survivor.urgency == "planned"
    denied = AuditEntry.objects.get(actor=mdt, outcome="denied")
    assert (denied.action, denied.survivor_id) == ("survivor.update", survivor.pk)


def test_it_updates_through_the_service_and_audits_what_changed(world, alice, client_for):
    survivor = world.objects["survivor"]

    response = client_for(alice).patch(
        f"/api/v1/survivors/{survivor.pk}/",
        {"urgency": "crisis", "last_name": "Moe"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["urgency"] == "crisis"
    update = AuditEntry.objects.get(action="survivor.update")
    assert update.before == {"urgency": "planned", "last_name": "<encrypted>"}
    assert update.after == {"urgency": "crisis", "last_name": "<encrypted>"}
    assert update.actor_username == "alice"


def test_it_gives_a_message_per_field_for_invalid_input(alice, client_for):
    payload = {
        **INTAKE,
        "date_of_birth": "2099-01-01",
        "gender": "unknown",
        "services_needed": ["trauma_therapy", "astrology"],
        "exclusion_zones": [{"zip_code": "66102", "radius_miles": -3}],
    }

    response = client_for(alice).post("/api/v1/survivors/", payload, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"gender", "services_needed", "exclusion_zones"}
    assert errors["services_needed"] == ['1: "astrology" is not a valid choice.']
    assert errors["exclusion_zones"] == [
        "0.radius_miles: Ensure this value is greater than or equal to 0."
    ]
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)
    assert not Survivor.objects.filter(case_number=INTAKE["case_number"]).exists()


def test_it_turns_a_service_rule_into_a_400_per_field(alice, client_for):
    payload = {**INTAKE, "date_of_birth": "2099-01-01"}

    response = client_for(alice).post("/api/v1/survivors/", payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"date_of_birth": ["The date of birth cannot be in the future."]}


def test_it_keeps_home_admins_away_from_every_survivor(world, home_admin, client_for):
    client = client_for(home_admin)

    assert client.get("/api/v1/survivors/").json()["count"] == 0
    for survivor in Survivor.objects.all():
        assert client.get(f"/api/v1/survivors/{survivor.pk}/").status_code == 404


def test_it_paginates_with_limit_and_offset(alice, client_for):
    for _ in range(5):
        SurvivorFactory(agency=alice.agency).assigned_workers.add(alice)

    page = client_for(alice).get("/api/v1/survivors/?limit=2&offset=1").json()

    assert page["count"] == 5
    assert len(page["results"]) == 2
    assert "offset=3" in page["next"]


# --- A child without papers or a name -----------------------------------------------------

NO_PAPERS = {
    "alias": "Girl in blue, Greyhound station",
    "estimated_age": 15,
    "gender": "female",
    "guardianship": "state",
    "custody_state": "KS",
    "residence_zip": "66101",
    "primary_language": "es",
}


def test_it_records_a_child_without_case_number_name_or_birth_date(alice, client_for):
    response = client_for(alice).post("/api/v1/survivors/", NO_PAPERS, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    year = timezone.localdate().year
    assert body["case_number"] == f"KS-DCF-{year}-00001"
    assert (body["first_name"], body["last_name"], body["date_of_birth"]) == ("", "", None)
    assert body["alias"] == "Girl in blue, Greyhound station"
    assert body["estimated_age"] == 15
    assert body["age_estimated_on"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"estimated_age": None},
         {"date_of_birth": ["Give the date of birth or an estimated age."]}),
        ({"date_of_birth": "2011-05-04"},
         {"estimated_age": ["Give the date of birth or an estimated age, not both."]}),
        ({"estimated_age": 26},
         {"estimated_age": ["Ensure this value is less than or equal to 25."]}),
        ({"primary_language": "Spanish"},
         {"primary_language": ['"Spanish" is not a language code: give an ISO 639-1 code such '
                               "as es (Spanish)."]}),
    ],
)  # fmt: skip
def test_it_names_the_field_of_a_missing_or_doubled_age_and_of_a_language_name(
    alice, client_for, changes, errors
):
    response = client_for(alice).post("/api/v1/survivors/", {**NO_PAPERS, **changes}, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Survivor.objects.exists()


def test_it_tells_mdt_members_an_age_is_estimated_and_never_the_alias(alice, mdt, client_for):
    created = client_for(alice).post("/api/v1/survivors/", NO_PAPERS, format="json").json()

    summary = client_for(mdt).get(f"/api/v1/survivors/{created['id']}/").json()

    assert (summary["age"], summary["age_estimated"]) == (15, True)
    assert {"alias", "estimated_age", "age_estimated_on"}.isdisjoint(summary)


def test_it_restarts_the_estimate_date_when_the_api_changes_the_estimate(alice, client_for):
    client = client_for(alice)
    created = client.post("/api/v1/survivors/", NO_PAPERS, format="json").json()
    Survivor.objects.filter(pk=created["id"]).update(
        age_estimated_on=timezone.localdate().replace(year=timezone.localdate().year - 1)
    )

    body = client.patch(
        f"/api/v1/survivors/{created['id']}/", {"estimated_age": 16}, format="json"
    ).json()

    assert (body["estimated_age"], body["age_estimated_on"]) == (
        16, timezone.localdate().isoformat(),
    )  # fmt: skip


# --- Finding a case ----------------------------------------------------------------------


def test_it_finds_a_case_by_name_or_alias_and_audits_the_search_without_the_words(
    world, alice, client_for
):
    survivor = world.objects["survivor"]  # Jane Roe
    client = client_for(alice)
    unnamed = client.post("/api/v1/survivors/", NO_PAPERS, format="json").json()

    by_name = client.get("/api/v1/survivors/", {"search": "jane roe"}).json()
    by_alias = client.get("/api/v1/survivors/", {"search": "GREYHOUND"}).json()

    assert [r["id"] for r in by_name["results"]] == [survivor.pk]
    assert [r["id"] for r in by_alias["results"]] == [unnamed["id"]]
    searches = AuditEntry.objects.filter(action="survivor.search").order_by("id")
    assert [s.after["results"] for s in searches] == [1, 1]
    assert "greyhound" not in str(searches.values_list("after", flat=True)).lower()


def test_it_filters_the_list_by_status(world, bob, client_for):
    survivor = world.objects["survivor"]
    Survivor.objects.filter(pk=survivor.pk).update(status="waitlisted")

    listed = client_for(bob).get("/api/v1/survivors/", {"status": "waitlisted"}).json()

    assert [r["id"] for r in listed["results"]] == [survivor.pk]
    search = AuditEntry.objects.get(action="survivor.search")
    assert search.after == {"results": 1, "status": "waitlisted", "by_text": False}


def test_it_answers_a_bad_status_filter_with_a_400_naming_status(alice, client_for):
    response = client_for(alice).get("/api/v1/survivors/", {"status": "lost"})

    assert response.status_code == 400
    assert response.json() == {"status": ['"lost" is not a valid choice.']}


def test_it_lets_mdt_members_search_by_case_number_only(world, mdt, client_for):
    survivor = world.objects["survivor"]
    client = client_for(mdt)

    assert client.get("/api/v1/survivors/", {"search": "Jane"}).json()["count"] == 0
    found = client.get("/api/v1/survivors/", {"search": survivor.case_number.lower()}).json()
    assert [r["id"] for r in found["results"]] == [survivor.pk]
