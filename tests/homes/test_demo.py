"""The demo directory has whom to call, licenses, and the issue's 2 a.m. night in Texas."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from core.vocab import validate_phone
from homes.models import Home
from matching.selectors import match_needs, needs_from_fields

TONIGHT = {
    "age": 15, "gender": "female", "guardianship": "state", "custody_state": "TX",
    "residence_zip": "77002", "urgency": "crisis", "pregnant": True, "primary_language": "es",
    "exclusion_zones": [{"zip_code": "77002", "radius_miles": 10}],
    "services_needed": ["trauma_therapy"],
}  # fmt: skip


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--survivors", "0", stdout=StringIO())


def test_it_gives_every_demo_home_a_phone_a_contact_and_a_license(demo):
    today = timezone.localdate()
    homes = list(Home.objects.all())

    for home in homes:
        validate_phone(home.intake_phone)
        assert "555-01" in home.intake_phone
        assert home.contact_name and home.license_number and home.license_expires
    expired = [h for h in homes if h.license_expires < today]
    assert len(expired) == 1
    assert any(0 <= (h.license_expires - today).days <= 30 for h in homes)
    for user in User.objects.all():
        validate_phone(user.phone)
    # The demo home admin's page shows the warning, and a 16-bed centre to staff.
    kept = Home.objects.editable_by(User.objects.get(username="homeadmin"))
    assert kept.filter(license_expires__lte=today + datetime.timedelta(days=30)).exists()
    assert kept.filter(name="Demo Harbor Crisis Center", licensed_beds=16).exists()


def test_it_has_nothing_but_a_shelter_for_the_2am_child_and_a_home_one_staff_short(demo):
    """The issue's night: only emergency shelters take her, a trafficking-specific home
    fails only `staffing`, all outside the trafficker's 10 miles."""
    needs = needs_from_fields(TONIGHT, today=timezone.localdate())

    result = match_needs(needs, limit=50)

    names = dict(Home.objects.values_list("id", "name"))
    feasible = Home.objects.filter(id__in=[r.home.id for r in result.results])
    assert feasible.exists()
    assert set(feasible.values_list("home_type", flat=True)) == {"emergency_shelter"}
    assert feasible.filter(intake_24_7=True, accepts_pregnant=True, state="TX").exists()
    staffing_only = [
        names[m.home.id] for m in result.near_misses if [f.rule for f in m.failed] == ["staffing"]
    ]
    assert "Demo Bayou Safe Home" in staffing_only
    bayou = Home.objects.get(name="Demo Bayou Safe Home")
    assert bayou.home_type in {"safe_home", "crisis_stabilization", "specialized_foster"}


def test_it_adds_nothing_when_run_again(demo):
    counts = (Home.objects.count(), User.objects.count())
    phones = dict(Home.objects.values_list("id", "intake_phone"))

    call_command("seed_demo", "--survivors", "0", stdout=StringIO())

    assert (Home.objects.count(), User.objects.count()) == counts
    assert dict(Home.objects.values_list("id", "intake_phone")) == phones
