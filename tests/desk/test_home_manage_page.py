"""The home admin's manage page on a phone: one bed number, staff past six, flags."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from homes.models import Home
from homes.services import home_admin_grant, home_hold_beds
from tests.days import today_of
from tests.factories import HomeFactory


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def hold(home: Home, beds: int) -> None:
    home_hold_beds(actor=None, home_id=home.pk, beds=beds, note={"referral": 1})


def test_it_shows_the_beds_tapped_saved_and_headed_as_one_number(home_admin, home):
    """The issue's case: 2 beds held, the admin taps 2; the page says 2 free, 2 held."""
    hold(home, 2)  # 2 free -> 0 open to new referrals, 2 held
    client = signed_in(home_admin)

    page = shown(client.get(f"/homes/{home.pk}/manage/"))
    assert "Free beds now: <strong>2</strong>" in page
    assert "Including <strong>2 held for accepted referrals</strong>" in page
    assert 'value="2" class="tap current" aria-pressed="true"' in page

    response = client.post(f"/homes/{home.pk}/availability/", {"available_beds": "3"}, follow=True)

    page = shown(response)
    assert "Saved: 3 free beds (2 held for accepted referrals), 2 staff on duty." in page
    assert "Free beds now: <strong>3</strong>" in page
    assert 'value="3" class="tap current" aria-pressed="true"' in page
    home.refresh_from_db()
    assert (home.available_beds, home.beds_held) == (1, 2)  # case workers see 1 open bed
    # The history speaks of the same number: 2 free (held included) -> 3.
    assert '2 → 3 <span class="hint">(2 held)</span>' in page


def test_it_offers_no_tap_below_the_held_beds(home_admin, home):
    hold(home, 2)

    page = shown(signed_in(home_admin).get(f"/homes/{home.pk}/manage/"))

    assert 'name="available_beds" value="1"' not in page
    assert 'name="available_beds" value="2"' in page
    assert 'name="available_beds" value="6"' in page


def test_it_shows_a_hold_in_the_history_without_changing_the_free_beds(home_admin, home):
    hold(home, 1)

    page = shown(signed_in(home_admin).get(f"/homes/{home.pk}/manage/"))

    assert "Bed hold" in page
    assert '2 → 2 <span class="hint">(held 0 → 1)</span>' in page


def test_it_lets_a_sixteen_bed_centre_record_seven_staff_with_a_tap(home_admin, home):
    Home.objects.filter(pk=home.pk).update(licensed_beds=16, residents_per_staff=2)
    client = signed_in(home_admin)

    page = shown(client.get(f"/homes/{home.pk}/manage/"))
    assert 'name="staff_on_duty" value="7"' in page
    assert 'name="staff_on_duty" value="10"' in page  # 16 beds at 1:2 need 8, and room above

    response = client.post(f"/homes/{home.pk}/availability/", {"staff_on_duty": "7"}, follow=True)

    assert "7 staff on duty." in shown(response)
    home.refresh_from_db()
    assert home.staff_on_duty == 7


def test_it_takes_any_staff_count_in_the_number_field(home_admin, home):
    client = signed_in(home_admin)
    page = shown(client.get(f"/homes/{home.pk}/manage/"))
    assert 'name="staff_on_duty" value="30"' not in page
    assert '<label for="id_staff_on_duty">Or type the number of staff on duty</label>' in page

    client.post(f"/homes/{home.pk}/availability/", {"staff_on_duty": "30"})

    home.refresh_from_db()
    assert home.staff_on_duty == 30


def test_it_flags_an_expired_license_and_a_profile_never_confirmed(home_admin, home):
    expired = today_of(home_admin) - datetime.timedelta(days=3)
    Home.objects.filter(pk=home.pk).update(license_expires=expired)

    page = shown(signed_in(home_admin).get(f"/homes/{home.pk}/manage/"))

    assert f"License expired on {expired:%-d %b %Y}." in page
    assert "Profile never confirmed." in page
    assert f'href="/homes/{home.pk}/profile/"' in page


def test_it_warns_of_a_license_expiring_within_sixty_days(home_admin, home):
    soon = today_of(home_admin) + datetime.timedelta(days=30)
    Home.objects.filter(pk=home.pk).update(
        license_expires=soon, profile_confirmed_at=timezone.now()
    )

    page = shown(signed_in(home_admin).get(f"/homes/{home.pk}/manage/"))

    assert f"License expires on {soon:%-d %b %Y}</strong> (in 30 days)" in page
    assert "Profile never confirmed" not in page and "over a year ago" not in page


@pytest.mark.parametrize(("days_ago", "flagged"), [(366, True), (364, False)])
def test_it_flags_a_profile_unconfirmed_for_a_year(home_admin, home, days_ago, flagged):
    confirmed = timezone.now() - datetime.timedelta(days=days_ago)
    Home.objects.filter(pk=home.pk).update(profile_confirmed_at=confirmed)

    page = shown(signed_in(home_admin).get(f"/homes/{home.pk}/manage/"))

    assert ("over a year ago" in page) is flagged


def test_it_says_nothing_of_a_license_far_from_expiry(home_admin, db):
    home = HomeFactory(license_expires=today_of(home_admin) + datetime.timedelta(days=61))
    home_admin_grant(actor=None, user=home_admin, home=home)

    page = shown(signed_in(home_admin).get(f"/homes/{home.pk}/manage/"))

    assert "License expire" not in page
