"""The legal duties with clocks (42 U.S.C. 671(a)(34)-(35); ICWA's notice), on
PostgreSQL: each duty's opening, deadline, warning, escalation and completion, and a
child missing from care from the report to her return."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification
from placement.models import Duty, FollowUp, MissingEpisode, Placement
from placement.services import duties_chase
from survivors.models import Survivor
from tests.api.payloads import INTAKE
from tests.placement.helpers import placed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

HOUR = datetime.timedelta(hours=1)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def intake(user, **fields) -> Survivor:
    response = api(user).post(
        "/api/v1/survivors/", {**INTAKE, "exclusion_zones": [], **fields}, format="json"
    )
    assert response.status_code == 201, response.json()
    return Survivor.objects.get(pk=response.json()["id"])


def kinds(survivor) -> list[str]:
    return sorted(Duty.objects.filter(survivor=survivor).values_list("kind", flat=True))


# --- Opening and deadlines ----------------------------------------------------------------


def test_it_opens_the_law_enforcement_report_for_a_sex_trafficking_victim_due_in_24_hours(alice):
    before = timezone.now()
    survivor = intake(alice, trafficking_type="sex")
    (duty,) = Duty.objects.filter(survivor=survivor)
    assert duty.kind == "law_enforcement_report"
    assert before <= duty.opened_at <= timezone.now()
    assert duty.due_at == duty.opened_at + 24 * HOUR
    assert Notification.objects.filter(recipient=alice, kind="duty_opened").exists()


def test_labor_trafficking_alone_opens_no_law_enforcement_report(alice):
    assert kinds(intake(alice, trafficking_type="labor")) == []


def test_the_agency_sets_the_clock(alice):
    alice.agency.duty_hours = 12
    alice.agency.tribe_notice_hours = 48
    alice.agency.save()
    survivor = intake(alice, trafficking_type="both", indian_child="yes", tribes=["Osage Nation"])
    by_kind = {d.kind: d for d in Duty.objects.filter(survivor=survivor)}
    le = by_kind["law_enforcement_report"]
    assert le.due_at - le.opened_at == 12 * HOUR
    tribe = by_kind["tribe_notice"]
    assert tribe.due_at - tribe.opened_at == 48 * HOUR


def test_a_foreign_national_child_opens_the_hhs_request(alice):
    assert kinds(intake(alice, foreign_national=True)) == ["hhs_request"]


def test_naming_the_tribe_the_next_morning_opens_the_tribe_notice_then(alice):
    survivor = intake(alice, indian_child="unknown")
    assert kinds(survivor) == []
    response = api(alice).patch(
        f"/api/v1/survivors/{survivor.pk}/", {"tribes": ["Cherokee Nation"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert kinds(survivor) == ["tribe_notice"]
    # Saving again opens nothing twice.
    api(alice).patch(f"/api/v1/survivors/{survivor.pk}/", {"notes": "Called."}, format="json")
    assert kinds(survivor) == ["tribe_notice"]


def test_the_intake_page_opens_the_duties_too(alice):
    response = page(alice).post(
        "/survivors/new/",
        {
            "estimated_age": "15",
            "gender": "female",
            "guardianship": "state",
            "custody_state": "KS",
            "residence_zip": "66101",
            "trafficking_type": "sex",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert kinds(Survivor.objects.get()) == ["law_enforcement_report"]


# --- The list --------------------------------------------------------------------------------


def test_the_list_filters_by_child_and_status_and_shows_only_ones_own(alice, charlie, bob):
    survivor = intake(alice, trafficking_type="sex", foreign_national=True)
    other = intake(charlie, trafficking_type="sex")
    Duty.objects.filter(survivor=survivor, kind="hhs_request").update(due_at=timezone.now() - HOUR)
    listed = api(alice).get("/api/v1/duties/").json()["results"]
    assert [d["kind"] for d in listed] == ["law_enforcement_report", "hhs_request"]
    overdue = api(alice).get("/api/v1/duties/?status=overdue").json()["results"]
    assert [d["kind"] for d in overdue] == ["hhs_request"]
    assert overdue[0]["status"] == "overdue"
    assert api(alice).get(f"/api/v1/duties/?survivor={other.pk}").json()["results"] == []
    assert len(api(bob).get("/api/v1/duties/").json()["results"]) == 2
    bad = api(alice).get("/api/v1/duties/?status=late")
    assert bad.status_code == 400 and "status" in bad.json()


# --- Completion ------------------------------------------------------------------------------


def test_the_worker_records_when_it_was_done_and_the_reference(alice, mdt):
    survivor = intake(alice, trafficking_type="sex")
    survivor.team = mdt.team
    survivor.save(update_fields=["team"])
    duty = Duty.objects.get(survivor=survivor)
    done_at = timezone.now() - HOUR
    response = api(alice).post(
        f"/api/v1/duties/{duty.pk}/complete/",
        {"reference": "KCKPD-26-1187", "completed_at": done_at.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "done" and body["on_time"] is True
    assert body["reference"] == "KCKPD-26-1187"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM placement_duty WHERE id = %s", [duty.pk])
        assert "KCKPD" not in cursor.fetchone()[0]
    again = api(alice).post(f"/api/v1/duties/{duty.pk}/complete/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "duty_done"
    # The MDT sees the duty, never its reference.
    (seen,) = api(mdt).get("/api/v1/duties/").json()["results"]
    assert seen["status"] == "done" and "reference" not in seen
    refused = api(mdt).post(f"/api/v1/duties/{duty.pk}/complete/", {}, format="json")
    assert refused.status_code == 403


def test_a_time_in_the_future_is_refused_and_an_outsider_gets_404(alice, charlie):
    duty = Duty.objects.get(survivor=intake(alice, trafficking_type="sex"))
    future = (timezone.now() + 3 * HOUR).isoformat()
    response = api(alice).post(
        f"/api/v1/duties/{duty.pk}/complete/", {"completed_at": future}, format="json"
    )
    assert response.status_code == 400 and "completed_at" in response.json()
    assert api(charlie).post(f"/api/v1/duties/{duty.pk}/complete/", {}).status_code == 404


# --- Warning and escalation ------------------------------------------------------------------


def test_the_worker_is_warned_before_the_deadline_once(alice):
    duty = Duty.objects.get(survivor=intake(alice, trafficking_type="sex"))
    assert duties_chase(now=duty.due_at - 5 * HOUR) == {"warned": 0, "escalated": 0}
    assert duties_chase(now=duty.due_at - 3 * HOUR) == {"warned": 1, "escalated": 0}
    assert duties_chase(now=duty.due_at - 2 * HOUR) == {"warned": 0, "escalated": 0}
    (warning,) = Notification.objects.filter(recipient=alice, kind="duty_due")
    assert "Report to law enforcement" in warning.message


def test_the_supervisors_are_told_once_after_the_deadline(alice, bob):
    duty = Duty.objects.get(survivor=intake(alice, trafficking_type="sex"))
    assert duties_chase(now=duty.due_at + HOUR)["escalated"] == 1
    assert duties_chase(now=duty.due_at + 2 * HOUR)["escalated"] == 0
    (told,) = Notification.objects.filter(recipient=bob, kind="duty_overdue")
    assert told.message.startswith("Overdue:")
    duty.refresh_from_db()
    assert duty.escalated_at is not None


def test_a_duty_done_in_time_is_never_escalated(alice, bob):
    duty = Duty.objects.get(survivor=intake(alice, trafficking_type="sex"))
    api(alice).post(f"/api/v1/duties/{duty.pk}/complete/", {"reference": "R1"}, format="json")
    assert duties_chase(now=duty.due_at + HOUR)["escalated"] == 0
    assert not Notification.objects.filter(kind="duty_overdue").exists()


# --- Missing from care -----------------------------------------------------------------------


@pytest.fixture
def placement(alice, mdt, home_admin, survivor, home) -> Placement:
    placement = placed(alice, mdt, home_admin, survivor, home)
    Placement.objects.filter(pk=placement.pk).update(started_at=timezone.now() - 24 * HOUR)
    placement.refresh_from_db()
    return placement


def test_a_missing_child_opens_the_le_and_ncmec_reports_due_24_hours_after_she_was_found_gone(
    alice, bob, placement
):
    since = timezone.now() - 2 * HOUR
    response = api(alice).post(
        f"/api/v1/placements/{placement.pk}/missing/",
        {"missing_since": since.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    duties = {d["kind"]: d for d in response.json()["duties"]}
    assert set(duties) == {"missing_report_le", "missing_report_ncmec"}
    for duty in Duty.objects.filter(episode_id=response.json()["id"]):
        assert duty.due_at == since + 24 * HOUR
    assert Notification.objects.filter(recipient=bob, kind="child_missing").exists()
    again = api(alice).post(f"/api/v1/placements/{placement.pk}/missing/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_missing"


def test_her_return_records_where_she_was_found_and_opens_a_screening(alice, placement):
    not_yet = api(alice).post(
        f"/api/v1/placements/{placement.pk}/returned/", {"found_at": "Motel"}, format="json"
    )
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "not_missing"
    api(alice).post(f"/api/v1/placements/{placement.pk}/missing/", {}, format="json")
    missing_place = api(alice).post(
        f"/api/v1/placements/{placement.pk}/returned/", {}, format="json"
    )
    assert missing_place.status_code == 400 and "found_at" in missing_place.json()
    response = api(alice).post(
        f"/api/v1/placements/{placement.pk}/returned/",
        {"found_at": "Motel 6 on State Ave, room 112"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["placement_fits"] is True
    assert "trafficking_screening" in [d["kind"] for d in body["duties"]]
    episode = MissingEpisode.objects.get()
    assert episode.found_at == "Motel 6 on State Ave, room 112"
    with connection.cursor() as cursor:
        cursor.execute("SELECT found_at FROM placement_missingepisode WHERE id = %s", [episode.pk])
        assert "Motel" not in cursor.fetchone()[0]


def test_the_placement_is_rechecked_before_she_goes_back(alice, bob, placement, home):
    api(alice).post(f"/api/v1/placements/{placement.pk}/missing/", {}, format="json")
    home.active = False
    home.save(update_fields=["active"])
    body = (
        api(alice)
        .post(
            f"/api/v1/placements/{placement.pk}/returned/",
            {"found_at": "Bus station"},
            format="json",
        )
        .json()
    )
    assert body["placement_fits"] is False
    assert [f["rule"] for f in body["recheck_failed"]] == ["active"]
    told = Notification.objects.get(recipient=bob, kind="child_returned")
    assert "no longer fits" in told.message


def test_a_follow_up_recorded_as_ran_away_starts_an_episode(alice, placement):
    Placement.objects.filter(pk=placement.pk).update(
        started_at=timezone.now() - datetime.timedelta(days=31)
    )
    response = api(alice).post(
        f"/api/v1/placements/{placement.pk}/outcomes/",
        {"day": 30, "outcome": FollowUp.Outcome.RUNAWAY},
        format="json",
    )
    assert response.status_code == 201, response.json()
    episode = MissingEpisode.objects.get(placement=placement)
    assert episode.source == "outcome" and episode.open
    assert sorted(episode.duties.values_list("kind", flat=True)) == [
        "missing_report_le",
        "missing_report_ncmec",
    ]


# --- The home pages ----------------------------------------------------------------------


def test_the_worker_and_supervisor_home_pages_show_overdue_crisis_first(alice, bob):
    survivor = intake(alice, trafficking_type="sex", foreign_national=True)
    Duty.objects.filter(survivor=survivor).update(due_at=timezone.now() - HOUR)
    for user in (alice, bob):
        content = page(user).get("/").content.decode()
        assert "Legal duties" in content
        first = content.index("Report to law enforcement")
        assert first < content.index("Request an HHS eligibility letter")
        assert "Overdue" in content
