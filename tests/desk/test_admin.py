"""The Survivor and Home admin screens save through the workflow's services: an
admin's edit re-checks what the same edit on a page or the API would."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from homes.services import home_update
from notifications.models import Notification
from placement.models import Referral
from placement.services import survivor_waitlist
from placement.services.homes import home_availability_report
from tests.placement.helpers import referred

pytestmark = pytest.mark.postgres


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_withdraws_a_referral_the_admins_edit_of_the_record_no_longer_fits(
    admin_user, alice, mdt, survivor, other_home
):
    """A KS state ward referred to a home in MO loses the ICPC approval for MO."""
    survivor.created_by = alice
    survivor.icpc_approved_states = ["MO"]
    survivor.save(update_fields=["created_by", "icpc_approved_states"])
    home_update(actor=None, home_id=other_home.pk, data={"accepts_out_of_state": True})
    referral = referred(alice, mdt, survivor, other_home)
    client = signed_in(admin_user)
    url = reverse("admin:survivors_survivor_change", args=[survivor.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None}
    data.update(
        {
            "icpc_approved_states": "[]", "services_needed": "[]", "exclusion_zones": "[]",
            "first_name": "Jane", "last_name": "Roe", "notes": "",
            "status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0",
        }
    )  # fmt: skip

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN
    assert "no ICPC approval for MO" in referral.close_reason


def test_it_tells_the_case_worker_when_an_admins_edit_of_a_home_frees_a_bed(
    admin_user, alice, home_admin, survivor, home, django_capture_on_commit_callbacks
):
    home_availability_report(actor=home_admin, home_id=home.pk, available_beds=0)
    survivor_waitlist(actor=alice, survivor_id=survivor.pk)
    client = signed_in(admin_user)
    url = reverse("admin:homes_home_change", args=[home.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    data["available_beds"] = 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Notification.objects.filter(
        kind="bed_opened", recipient=alice, message__contains=home.name
    ).exists()
