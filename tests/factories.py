from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from accounts.models import Agency, Role, Team, User
from homes.models import Home
from survivors.models import Survivor


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` earlier; 29 February becomes 28 February (a leap-day
    birthday counts on the last day of February in a common year... and `replace`
    would raise on it)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.LazyAttribute(lambda o: f"Agency {o.code}")
    state = "KS"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    quorum = 1


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Role.CASE_WORKER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class HomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Home

    name = factory.Sequence(lambda n: f"Home {n}")
    home_type = "safe_home"
    state = "KS"
    zip_code = "66101"
    licensed_beds = 6
    available_beds = 2
    staff_on_duty = 2
    residents_per_staff = 3
    min_age = 12
    max_age = 17
    genders_served = factory.LazyFunction(lambda: ["female", "male", "nonbinary"])
    languages = factory.LazyFunction(lambda: ["en"])
    services = factory.LazyFunction(lambda: ["trauma_therapy"])
    availability_updated_at = factory.LazyFunction(timezone.now)


class SurvivorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survivor

    case_number = factory.Sequence(lambda n: f"CASE-{n:05d}")
    first_name = "Jane"
    last_name = "Roe"
    date_of_birth = factory.LazyFunction(
        lambda: years_before(timezone.localdate(), 15) - datetime.timedelta(days=30)
    )
    gender = "female"
    guardianship = "state"
    custody_state = "KS"
    residence_zip = "66101"
    agency = factory.SubFactory(AgencyFactory)
