from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from homes.models import Home
from homes.services import home_create, home_update_availability
from tests.factories import HomeFactory

VALID = dict(
    name="Beacon Home",
    home_type="safe_home",
    state="KS",
    zip_code="66101",
    licensed_beds=6,
    available_beds=2,
    staff_on_duty=2,
    residents_per_staff=3,
    min_age=12,
    max_age=17,
    genders_served=["female"],
    languages=["en", "es"],
    services=["trauma_therapy", "education"],
)


def errors_of(admin_user, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        home_create(actor=admin_user, data={**VALID, **changes})
    return caught.value.message_dict


def test_it_creates_a_valid_home_and_stamps_availability(admin_user):
    home = home_create(actor=admin_user, data=VALID)
    assert home.pk
    assert home.availability_updated_at is not None
    assert home.availability_updated_by == admin_user


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"state": "XX"}, "state", "not a valid choice"),
        ({"state": "ks"}, "state", "not a valid choice"),
        ({"zip_code": "6610"}, "zip_code", "not a 5-digit ZIP"),
        ({"zip_code": "00000"}, "zip_code", "does not exist"),
        ({"zip_code": "64108"}, "zip_code", "is in MO, not KS"),
        ({"min_age": 18, "max_age": 12}, "min_age", "cannot be above the maximum"),
        ({"available_beds": 7}, "available_beds", "cannot exceed licensed beds"),
        ({"residents_per_staff": 0}, "residents_per_staff", "greater than or equal to 1"),
        ({"available_beds": -1}, "available_beds", "greater than or equal to 0"),
        ({"genders_served": ["female", "robot"]}, "genders_served", "Unknown genders: robot"),
        ({"languages": ["english"]}, "languages", "Unknown language codes"),
        ({"services": ["spa"]}, "services", "Unknown services: spa"),
        ({"home_type": "hotel"}, "home_type", "not a valid choice"),
        ({"latitude": 39.1}, "latitude", "both latitude and longitude"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(admin_user, changes, field, fragment):
    errors = errors_of(admin_user, **changes)
    assert field in errors
    assert any(fragment in message for message in errors[field]), errors[field]
    assert not Home.objects.exists()


def test_it_refuses_an_unknown_field(admin_user):
    errors = errors_of(admin_user, availability_updated_at="2020-01-01")
    assert errors == {"availability_updated_at": ["This field cannot be set."]}


def test_it_updates_availability_with_history_and_audit(home_admin, home):
    updated = home_update_availability(actor=home_admin, home_id=home.pk, available_beds=0)
    assert updated.available_beds == 0
    change = home.availability_changes.get()
    assert (change.available_beds_before, change.available_beds_after) == (2, 0)
    assert change.by == home_admin
    from audit.models import AuditEntry

    entry = AuditEntry.objects.get(action="home.availability")
    assert entry.actor_username == "hank"
    assert entry.before == {"available_beds": 2, "staff_on_duty": 2}
    assert entry.after == {"available_beds": 0, "staff_on_duty": 2}


def test_it_refuses_availability_above_licensed_and_writes_nothing(home_admin, home):
    with pytest.raises(ValidationError) as caught:
        home_update_availability(actor=home_admin, home_id=home.pk, available_beds=7)
    assert "available_beds" in caught.value.message_dict
    home.refresh_from_db()
    assert home.available_beds == 2
    assert not home.availability_changes.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_keeps_beds_within_licensed_in_the_database_itself():
    home = HomeFactory(licensed_beds=4, available_beds=1)
    assert connection.vendor == "postgresql"
    for bad in (5, -1):
        with pytest.raises(IntegrityError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE homes_home SET available_beds = %s WHERE id = %s", [bad, home.pk]
                )
    home.refresh_from_db()
    assert home.available_beds == 1


@pytest.mark.django_db
def test_it_lets_only_home_admins_and_admins_edit_a_home(
    home, home_admin, home_admin_other, alice, admin_user
):
    assert list(Home.objects.editable_by(home_admin)) == [home]
    assert home not in Home.objects.editable_by(home_admin_other)
    assert not Home.objects.editable_by(alice).exists()
    assert home in Home.objects.editable_by(admin_user)
    assert home_admin.has_perm("homes.change_home", home)
    assert not home_admin.has_perm("homes.change_home")  # never a model-wide permission
