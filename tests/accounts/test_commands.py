from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Agency, Team, User
from audit.models import AuditEntry
from homes.models import Home
from survivors.models import Status, Survivor
from tests.factories import HomeFactory


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_adds_a_case_worker_creating_agency_and_team():
    output = run("add_user", "dana", "--password", "s3cret-pass!", "--role", "case_worker",
                 "--agency", "ne-dhhs", "--team", "Omaha MDT")  # fmt: skip
    assert "Created dana (Case worker)" in output
    user = User.objects.get(username="dana")
    assert user.check_password("s3cret-pass!")
    assert user.agency == Agency.objects.get(code="ne-dhhs")
    assert user.team == Team.objects.get(name="Omaha MDT", agency=user.agency)
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_it_adds_a_home_admin_with_their_homes():
    first, second = HomeFactory(), HomeFactory()
    run("add_user", "hal", "--password", "pw-1234567890", "--role", "home_admin",
        "--home", str(first.pk), str(second.pk))  # fmt: skip
    hal = User.objects.get(username="hal")
    assert set(Home.objects.editable_by(hal)) == {first, second}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard"], "role: 'wizard' is not a role"),
        (["--role", "home_admin", "--home", "999999"], "home: There is no home with id 999999"),
        (["--role", "case_worker"], "agency: A case worker must belong to an agency"),
        (["--role", "mdt_member", "--team", "Nowhere MDT"], "team: A new team needs --agency"),
    ],
)
def test_it_refuses_a_bad_user_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        run("add_user", "eve", "--password", "pw-1234567890", *args)
    assert not User.objects.filter(username="eve").exists()


@pytest.mark.django_db
def test_it_seeds_realistic_demo_data_once():
    output = run("seed_demo")
    assert "password for all" in output
    for username in ("caseworker", "supervisor", "mdt", "homeadmin", "admin"):
        assert username in output
        assert User.objects.filter(username=username).exists()
    homes = Home.objects.all()
    assert homes.count() >= 200
    assert homes.values("state").distinct().count() >= 10
    female_only = homes.filter(genders_served=["female"]).count()
    boys = sum(1 for g in homes.values_list("genders_served", flat=True) if "male" in g)
    assert female_only > boys
    assert homes.filter(accepts_parenting=True).count() < homes.count() * 0.25
    assert homes.filter(substance_use_accepted="active").count() < homes.count() * 0.2
    assert homes.filter(staff_on_duty=0).exists()
    assert Survivor.objects.count() >= 30
    assert set(Survivor.objects.values_list("status", flat=True)) == set(Status.values)
    # Every status has the records behind it, made by the real workflow.
    from placement.models import Placement, Recommendation, WaitlistEntry

    for survivor in Survivor.objects.filter(status=Status.PLACED):
        assert Placement.objects.filter(survivor=survivor, ended_at__isnull=True).exists()
    for survivor in Survivor.objects.filter(status=Status.DISCHARGED):
        assert Placement.objects.filter(survivor=survivor, ended_at__isnull=False).exists()
    for survivor in Survivor.objects.filter(status=Status.PENDING_REVIEW):
        assert Recommendation.objects.filter(survivor=survivor, status="pending_review").exists()
    for survivor in Survivor.objects.filter(status=Status.REFERRED):
        assert survivor.referrals.filter(status="pending").exists()
    for survivor in Survivor.objects.filter(status=Status.WAITLISTED):
        assert WaitlistEntry.objects.filter(survivor=survivor, ended_at__isnull=True).exists()

    run("seed_demo")
    assert Home.objects.count() == homes.count()
    assert Survivor.objects.count() == 36
    assert User.objects.filter(username="caseworker").count() == 1
