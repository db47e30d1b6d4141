from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from audit.models import AuditEntry
from survivors.models import Survivor
from survivors.services import survivor_create, survivor_update
from tests.factories import years_before


def intake(**changes):
    today = timezone.localdate()
    return {
        "case_number": "KS-2026-0042",
        "first_name": "Marisol",
        "last_name": "Quintanilla",
        "date_of_birth": years_before(today, 15) - datetime.timedelta(days=3),
        "gender": "female",
        "guardianship": "state",
        "custody_state": "MO",
        "icpc_approved_states": ["KS"],
        "residence_zip": "64108",
        "services_needed": ["trauma_therapy"],
        "exclusion_zones": [{"zip_code": "64108", "radius_miles": 15}],
        "notes": "Disclosed trafficker's street name Vargas.",
        **changes,
    }


def test_it_assigns_the_intake_to_its_worker_agency_and_team(alice):
    survivor = survivor_create(actor=alice, data=intake())
    assert survivor.agency == alice.agency
    assert survivor.team == alice.team
    assert list(survivor.assigned_workers.all()) == [alice]
    assert survivor.status_changes.get().after == "intake"


def test_it_stores_identity_and_notes_encrypted_at_rest(alice):
    survivor = survivor_create(actor=alice, data=intake())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_name, last_name, date_of_birth, notes"
            " FROM survivors_survivor WHERE id = %s",
            [survivor.pk],
        )
        raw = " ".join(str(v) for v in cursor.fetchone())
    for secret in ("Marisol", "Quintanilla", "Vargas", survivor.date_of_birth.isoformat()):
        assert secret not in raw
    fresh = Survivor.objects.get(pk=survivor.pk)
    assert (fresh.first_name, fresh.last_name) == ("Marisol", "Quintanilla")
    assert fresh.notes == "Disclosed trafficker's street name Vargas."


def test_it_keeps_identity_out_of_the_audit_trail(alice):
    survivor = survivor_create(actor=alice, data=intake())
    survivor_update(
        actor=alice, survivor_id=survivor.pk, data={"last_name": "Q.", "urgency": "crisis"}
    )
    text = str(list(AuditEntry.objects.values_list("before", "after")))
    assert "Marisol" not in text and "Quintanilla" not in text and "Vargas" not in text
    update = AuditEntry.objects.get(action="survivor.update")
    assert update.after == {"last_name": "<encrypted>", "urgency": "crisis"}
    assert update.before["urgency"] == "planned"


TOMORROW = object()


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"date_of_birth": TOMORROW}, "date_of_birth", "future"),
        ({"dependents": -1}, "dependents", "greater than or equal to 0"),
        ({"custody_state": "ZZ"}, "custody_state", "not a valid choice"),
        ({"icpc_approved_states": ["KS", "Kansas"]}, "icpc_approved_states", "Unknown state codes"),
        ({"residence_zip": "99999"}, "residence_zip", "does not exist"),
        ({"residence_zip": "abcde"}, "residence_zip", "5-digit"),
        (
            {"exclusion_zones": [{"zip_code": "64108", "radius_miles": -2}]},
            "exclusion_zones",
            "between 0 and 500",
        ),
        (
            {"exclusion_zones": [{"zip_code": "00000", "radius_miles": 2}]},
            "exclusion_zones",
            "does not exist",
        ),
        (
            {"exclusion_zones": [{"zip": "64108"}]},
            "exclusion_zones",
            "exactly zip_code and radius_miles",
        ),
        ({"max_distance_miles": 0}, "max_distance_miles", "greater than or equal to 1"),
        ({"gender": "unknown"}, "gender", "not a valid choice"),
        ({"primary_language": "xx"}, "primary_language", "ISO 639-1"),
        ({"services_needed": ["yoga"]}, "services_needed", "Unknown services"),
        ({"needs_detox": True}, "needs_detox", "substance use"),
    ],
)
def test_it_refuses_bad_intake_naming_the_field(alice, changes, field, fragment):
    changes = {  # tomorrow when the test runs, not when the suite was collected
        key: timezone.localdate() + datetime.timedelta(days=1) if value is TOMORROW else value
        for key, value in changes.items()
    }
    with pytest.raises(ValidationError) as caught:
        survivor_create(actor=alice, data=intake(**changes))
    messages = caught.value.message_dict.get(field, [])
    assert any(fragment in m for m in messages), caught.value.message_dict
    assert not Survivor.objects.exists()
    assert not AuditEntry.objects.filter(action="survivor.create").exists()


def test_it_refuses_agency_and_status_in_an_intake(alice, other_agency):
    with pytest.raises(ValidationError) as caught:
        survivor_create(actor=alice, data=intake(agency=other_agency, status="placed"))
    assert set(caught.value.message_dict) == {"agency", "status"}


def test_it_shows_a_survivor_only_to_who_needs_to_know(
    survivor, alice, bob, charlie, other_supervisor, mdt, mdt_other, home_admin, admin_user
):
    def sees(user) -> bool:
        return Survivor.objects.visible_to(user).filter(pk=survivor.pk).exists()

    assert sees(alice)  # assigned case worker
    assert sees(bob)  # her agency's supervisor
    assert sees(mdt)  # a member of the survivor's MDT team
    assert sees(admin_user)
    assert not sees(charlie)  # a case worker elsewhere
    assert not sees(other_supervisor)
    assert not sees(mdt_other)
    assert not sees(home_admin)


def test_it_hides_survivors_from_an_unassigned_colleague(survivor, agency, team):
    from tests.factories import UserFactory

    colleague = UserFactory(username="carol", role="case_worker", agency=agency, team=team)
    assert not Survivor.objects.visible_to(colleague).exists()


def test_it_hides_everything_from_a_deactivated_user(survivor, alice):
    alice.is_active = False
    alice.save()
    assert not Survivor.objects.visible_to(alice).exists()
