"""Issue 27, item 5: a key rotation that finishes. `FIELD_ENCRYPTION_KEY=new,old` used to
leave 913 of 914 rows under the old key, and dropping it made `GET survivors/` a 500."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from audit.models import AuditEntry
from core.fields import ENCRYPTED_FIELD_TYPES, newest_key_holds
from survivors.models import Survivor
from survivors.services import encrypted_fields_rotate
from tests.factories import SurvivorFactory

pytestmark = pytest.mark.postgres

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def under_old_key(settings, alice, team) -> list[Survivor]:
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    survivors = [
        SurvivorFactory(agency=alice.agency, team=team, first_name=f"Lena{n}", notes="Met at 3rd")
        for n in range(5)
    ]
    for survivor in survivors:
        survivor.assigned_workers.add(alice)
    return survivors


def stored(column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM survivors_survivor ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_reencrypts_every_field_with_the_newest_key_so_the_old_one_can_go(
    under_old_key, settings, alice
):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    before = stored("first_name")
    out = StringIO()
    with pytest.raises(CommandError, match="still need an older key"):
        call_command("rotate_keys", "--check", stdout=StringIO())

    call_command("rotate_keys", "--batch-size", "2", stdout=out)

    assert "survivors_survivor: 2/5 rows read" in out.getvalue()
    assert "survivors_survivor: 5/5 rows read" in out.getvalue()
    assert all(newest_key_holds(v) for v in stored("first_name") + stored("notes"))
    assert stored("first_name") != before
    call_command("rotate_keys", "--check", stdout=StringIO())
    assert AuditEntry.objects.filter(action="keys.rotate").count() == 1

    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    response = api(alice).get("/api/v1/survivors/")
    assert response.status_code == 200
    assert sorted(s["first_name"] for s in response.json()["results"]) == [
        f"Lena{n}" for n in range(5)
    ]
    assert Survivor.objects.get(pk=under_old_key[0].pk).notes == "Met at 3rd"


def test_it_resumes_a_run_stopped_halfway(under_old_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    def stop_after_first_batch(step) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        encrypted_fields_rotate(batch_size=2, progress=stop_after_first_batch)
    done = [newest_key_holds(v) for v in stored("first_name")]
    assert done == [True, True, False, False, False]

    needed = encrypted_fields_rotate(batch_size=2)

    # The last three rows, every encrypted value of each: names, alias, birth date, ZIP,
    # zones, notes, the police case reference (and whatever encrypted field comes next).
    encrypted = [
        field
        for field in Survivor._meta.concrete_fields
        if isinstance(field, ENCRYPTED_FIELD_TYPES)
    ]
    assert len(encrypted) >= 8
    assert needed["survivors_survivor"] == 3 * len(encrypted)
    assert encrypted_fields_rotate(batch_size=2)["survivors_survivor"] == 0


def test_it_answers_a_dropped_key_with_a_clear_503_not_a_500(
    under_old_key, settings, alice, client
):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]

    response = api(alice).get("/api/v1/survivors/")

    assert response.status_code == 503
    assert response.json()["code"] == "encryption_key_missing"
    assert "add the key back to FIELD_ENCRYPTION_KEY" in response.json()["detail"]
    client.force_login(alice)
    page = client.get(f"/survivors/{under_old_key[0].pk}/")
    assert page.status_code == 503
    assert "This record cannot be opened" in page.content.decode()


def test_it_names_the_row_a_rotation_cannot_decrypt(under_old_key, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]

    with pytest.raises(CommandError, match=f"survivors.survivor {under_old_key[0].pk}: "):
        call_command("rotate_keys", stdout=StringIO())
