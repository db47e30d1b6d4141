"""An import's row errors and message are written in its uploader's language (issue 28):
the job runs later, on a worker, so it keeps the language of the page it came from."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from homes.imports import home_imports_sweep
from homes.models import HomeImport
from tests.homes.test_import import (  # noqa: F401 (run_jobs_at_commit: a fixture)
    IMPORT,
    committed,
    csv_file,
    homes,
    post,
    row,
    run_jobs_at_commit,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def bad_rows() -> bytes:
    rows = homes(3)
    rows[0]["available_beds"] = "many"
    rows[1]["home_type"] = "castle"
    rows.append(row(external_id="KS-0003", name="Twice"))
    return csv_file(rows)


def spanish_post(user, content: bytes):
    client = APIClient()
    client.force_authenticate(user)
    with committed():
        response = client.post(
            IMPORT,
            {"file": SimpleUploadedFile("homes.csv", content), "dry_run": "false"},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE="es",
        )
    assert response.status_code == 201, response.content
    return client.get(f"{IMPORT}{response.json()['id']}/").json()


def test_a_spanish_uploaders_row_errors_are_in_spanish(admin_user):
    body = spanish_post(admin_user, bad_rows())

    assert (body["status"], body["stored"]) == ("invalid", False)
    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert errors[(2, "available_beds")] == "'many' no es un número entero."
    assert errors[(3, "home_type")].startswith(
        "'castle' no es un valor válido de «tipo de hogar»: indique un código o un nombre, p. ej., "
    )
    assert errors[(5, "external_id")] == "'KS-0003' también está en la fila 4: una fila por hogar."


def test_an_english_uploader_still_reads_english_whoever_runs_the_job(admin_user):
    with translation.override("es"):  # a worker left in Spanish by another job
        body = post(admin_user, bad_rows()).json()

    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert errors[(2, "available_beds")] == "'many' is not a whole number."
    assert errors[(5, "external_id")] == "'KS-0003' is also on row 4: one row a home."


def test_the_profile_language_is_kept_when_the_page_asked_for_none(admin_user):
    admin_user.language = "es"
    admin_user.save(update_fields=["language"])
    job = HomeImport.objects.create(
        created_by=admin_user, file_name="homes.csv", file_format="csv",
        content=csv_file(homes(1)), status=HomeImport.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=1), language="",
    )  # fmt: skip
    from core.models import OutboxMessage
    from homes.imports import RUN_IMPORT

    for _ in range(3):
        OutboxMessage.objects.create(task_name=RUN_IMPORT, args=[job.pk])

    assert home_imports_sweep() == 1
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message.startswith("La importación se detuvo antes de terminar")


def test_the_import_page_shows_a_spanish_uploaders_errors_in_spanish(admin_user):
    admin_user.language = "es"
    admin_user.save(update_fields=["language"])
    client = Client()
    client.force_login(admin_user)
    upload = SimpleUploadedFile("homes.csv", bad_rows())

    with committed():
        response = client.post("/homes/import/", {"file": upload})

    page = client.get(response["Location"]).content.decode()
    assert "no es un número entero." in page
    assert "is not a whole number" not in page
