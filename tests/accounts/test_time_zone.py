"""Every time on a page is in the signed-in user's agency's zone, with the zone named."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.middleware import user_zone_name
from core.templatetags.harbor import when
from homes.models import AvailabilityChange
from homes.services import home_admin_grant, home_update_availability
from survivors.models import Survivor
from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory

# 08:13 UTC on 29 November 2026 is 02:13 in Texas (CST, UTC-6).
AT_0813_UTC = datetime.datetime(2026, 11, 29, 8, 13, tzinfo=datetime.UTC)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def texas(db):
    return AgencyFactory(code="tx-dfps", name="Texas DFPS", state="TX")


@pytest.fixture
def tina(texas):
    return UserFactory(username="tina", role="case_worker", agency=texas)


@pytest.fixture
def texas_case(texas, tina):
    survivor = SurvivorFactory(agency=texas, custody_state="TX", residence_zip="77002")
    Survivor.objects.filter(pk=survivor.pk).update(created_at=AT_0813_UTC)
    survivor.assigned_workers.add(tina)
    return survivor


def test_it_shows_a_2_am_texas_intake_at_02_13_cst_not_08_13(tina, texas_case):
    page = signed_in(tina).get(f"/survivors/{texas_case.pk}/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "29 Nov 2026, 02:13 CST" in text
    assert "08:13" not in text


def test_it_uses_the_zone_an_admin_set_for_the_agency(texas, tina, texas_case):
    texas.time_zone = "America/Denver"  # e.g. an El Paso office
    texas.save()

    text = signed_in(tina).get(f"/survivors/{texas_case.pk}/").content.decode()

    assert "29 Nov 2026, 01:13 MST" in text


def test_it_gives_each_role_the_zone_of_where_they_work(db, texas):
    team = TeamFactory(agency=texas)
    mdt = UserFactory(role="mdt_member", team=team)
    keeper = UserFactory(role="home_admin")
    home_admin_grant(actor=None, user=keeper, home=HomeFactory(state="CA", zip_code="94103"))
    home_admin_grant(actor=None, user=keeper, home=HomeFactory(state="NY", zip_code="10001"))
    newcomer = UserFactory(role="home_admin")  # no home yet
    root = UserFactory(role="admin", is_staff=True, is_superuser=True)

    assert user_zone_name(mdt) == "America/Chicago"  # their team's agency's
    assert user_zone_name(keeper) == "America/Los_Angeles"  # their first home's state
    assert user_zone_name(newcomer) == "UTC"
    assert user_zone_name(root) == "UTC"


def test_it_shows_a_home_admin_the_time_of_their_home(db):
    home = HomeFactory(state="CA", zip_code="94103")
    keeper = UserFactory(role="home_admin")
    home_admin_grant(actor=None, user=keeper, home=home)
    home_update_availability(actor=keeper, home_id=home.pk, staff_on_duty=3)
    changed = AvailabilityChange.objects.filter(home=home).latest("at").at
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):
        pacific = when(changed)

    text = signed_in(keeper).get(f"/homes/{home.pk}/manage/").content.decode()

    assert pacific in text
    assert pacific.endswith(("PST", "PDT"))


def test_it_leaves_the_api_in_utc(tina, texas_case):
    body = signed_in(tina).get(f"/api/v1/survivors/{texas_case.pk}/").json()

    assert body["created_at"].startswith("2026-11-29T08:13:00")
