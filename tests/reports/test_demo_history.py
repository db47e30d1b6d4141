"""The demo's synthetic history (`seed_report_history`) fills the reports, not the night:
its children are archived, so no live list, queue or reminder shows them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from survivors.models import Survivor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--survivors", "0", stdout=StringIO())
    call_command("seed_report_history", "--children", "60", stdout=StringIO())


def test_it_keeps_the_history_out_of_live_lists_and_in_the_reports(demo):
    history = Survivor.objects.filter(case_number__startswith="HIST-")
    assert history.count() == 60 and not history.filter(archived_at__isnull=True).exists()
    supervisor = User.objects.get(username="supervisor")
    client = Client()
    client.force_login(supervisor)
    page = client.get("/").content.decode()
    assert "HIST-" not in page
    api = APIClient()
    api.force_authenticate(supervisor)
    assert not any(
        s["case_number"].startswith("HIST-")
        for s in api.get("/api/v1/survivors/").json()["results"]
    )
    referrals = api.get("/api/v1/referrals/?status=pending").json()["results"]
    assert all(r["survivor"] not in set(history.values_list("pk", flat=True)) for r in referrals)
    # The reports still count them (each history child was searched for at least once).
    report = api.get("/api/v1/reports/unmet-need/")
    assert report.status_code == 200
    cells = [cell for row in report.json()["tables"][0]["cells"] for cell in row]
    assert any(isinstance(cell, int) and cell >= 11 for cell in cells), cells
    # One archived record asked for by id is still there for whoever may see it.
    one = history.first()
    assert api.get(f"/api/v1/survivors/{one.pk}/").status_code == 200


def test_it_archives_the_history_of_a_demo_seeded_before(demo):
    Survivor.objects.filter(case_number__startswith="HIST-").update(archived_at=None)
    call_command("seed_report_history", stdout=StringIO())
    assert not Survivor.objects.filter(
        case_number__startswith="HIST-", archived_at__isnull=True
    ).exists()
