"""`add_user ... --phone PHONE` (DESIGN's public interface) and the agency's zone in the admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Agency, User


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_records_the_phone_a_colleague_calls():
    run("add_user", "dana", "--password", "s3cret-pass!", "--role", "case_worker",
        "--agency", "tx-dfps", "--phone", "+1 (512) 555-0142 ext. 4")  # fmt: skip

    assert User.objects.get(username="dana").phone == "+1 (512) 555-0142 ext. 4"


@pytest.mark.django_db
def test_it_refuses_a_phone_that_is_not_a_number_and_creates_nobody():
    with pytest.raises(CommandError, match="phone: 'call me' is not a phone number"):
        run("add_user", "dana", "--password", "s3cret-pass!", "--role", "case_worker",
            "--agency", "tx-dfps", "--phone", "call me")  # fmt: skip

    assert not User.objects.filter(username="dana").exists()


@pytest.mark.django_db
def test_it_leaves_the_phone_optional():
    run("add_user", "dana", "--password", "s3cret-pass!", "--role", "case_worker",
        "--agency", "tx-dfps")  # fmt: skip

    assert User.objects.get(username="dana").phone == ""


def test_it_lets_an_admin_set_an_agencys_time_zone(admin_user, agency):
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/accounts/agency/{agency.pk}/change/"
    form = {"code": agency.code, "name": agency.name, "state": agency.state, "active": "on"}

    listed = client.get("/admin/accounts/agency/").content.decode()
    refused = client.post(url, {**form, "time_zone": "Mars/Olympus"})
    saved = client.post(url, {**form, "time_zone": "America/Denver"})

    assert "America/Chicago (state default)" in listed  # Kansas, blank: the state's zone
    assert refused.status_code == 200
    assert "is not an IANA time zone" in refused.content.decode()
    assert saved.status_code == 302
    agency.refresh_from_db()
    assert agency.zone_name == "America/Denver"
    assert Agency.objects.get(pk=agency.pk).time_zone == "America/Denver"
