"""What the trail missed (issue 12, finding 5): sign-ins and logouts, changes to who may
do what made in the Django admin or a shell, guardian object permissions, and reads of
the HTML audit page and of admin change pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.forms import MultiWidget
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework.test import APIClient

from audit.models import AuditEntry
from matching.models import MatchSearch
from placement.models import Recommendation, Referral
from tests.factories import TeamFactory

PASSWORD = "correct-horse-battery"  # tests/factories.py UserFactory


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(action: str, **filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("id"))


# --- Sign-in and logout ---------------------------------------------------------------------


def test_it_records_a_web_sign_in_and_logout_with_the_client_address(alice):
    client = Client(REMOTE_ADDR="192.0.2.10")

    signed = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    left = client.post(reverse("logout"))

    assert signed.status_code == 302 and left.status_code in (200, 302)
    [login] = rows("auth.login")
    [logout] = rows("auth.logout")
    for entry in (login, logout):
        assert (entry.actor, entry.outcome, entry.ip) == (alice, "ok", "192.0.2.10")
        assert (entry.object_type, entry.object_id) == ("accounts.user", str(alice.pk))
        assert entry.after == {"channel": "web"}
    assert login.id < logout.id


def test_it_records_an_api_sign_in_and_logout(alice):
    client = APIClient(REMOTE_ADDR="192.0.2.11")

    issued = client.post(
        "/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert issued.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    assert client.post("/api/v1/auth/logout/").status_code == 204

    [login] = rows("auth.login")
    [logout] = rows("auth.logout")
    assert (login.actor, login.ip, login.after) == (alice, "192.0.2.11", {"channel": "api"})
    assert (logout.actor, logout.ip, logout.after) == (alice, "192.0.2.11", {"channel": "api"})


def test_it_records_no_sign_in_for_a_wrong_password(alice):
    Client().post(reverse("login"), {"username": "alice", "password": "not-her-password"})

    assert rows("auth.login") == []
    assert [e.after["username"] for e in rows("auth.login_failed")] == ["alice"]


# --- Roles, agencies, teams and flags -------------------------------------------------------


def _admin_form_data(page) -> dict[str, Any]:
    """What the browser would post back from an admin change page, unchanged."""
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                if part is not None:
                    data[f"{name}_{index}"] = part
        elif value is not None and value is not False:
            data[name] = value
    return data


def test_it_records_a_role_and_team_change_made_in_the_django_admin(admin_user, alice, agency):
    """The finding: an admin changed a role and a team in the Django admin, and the
    trail had no row."""
    client = signed_in(admin_user)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    data = _admin_form_data(client.get(url))
    new_team = TeamFactory(agency=agency, name="KS Night MDT")
    reviewers = Group.objects.create(name="Reviewers")
    data.update({"role": "supervisor", "team": new_team.pk, "groups": [reviewers.pk]})

    response = client.post(url, data, REMOTE_ADDR="192.0.2.12")

    assert response.status_code == 302, response.context["adminform"].form.errors
    [change] = rows("user.access_change", object_id=str(alice.pk), actor=admin_user)
    assert change.before == {"role": "case_worker", "team": "KS Metro MDT"}
    assert change.after == {"role": "supervisor", "team": "KS Night MDT", "source": "admin"}
    assert change.ip == "192.0.2.12"
    [groups] = rows("user.groups_change", object_id=str(alice.pk))
    assert (groups.actor, groups.before, groups.after) == (
        admin_user, {"groups": []}, {"groups": ["Reviewers"], "source": "admin"},
    )  # fmt: skip


def test_it_records_a_change_made_in_a_shell_with_no_actor_and_its_source(alice, other_agency):
    alice.agency = other_agency
    alice.is_active = False
    alice.save()

    [change] = rows("user.access_change", object_id=str(alice.pk), before__isnull=False)
    assert change.actor is None
    assert change.before == {"agency": "ks-dcf", "is_active": True}
    assert change.after == {"agency": "mo-cd", "is_active": False, "source": "system"}


def test_it_records_a_new_user_and_their_access(db, agency):
    from tests.factories import UserFactory

    root = UserFactory(username="root2", role="admin", is_staff=True, is_superuser=True)

    [created] = rows("user.access_change", object_id=str(root.pk))
    assert created.before is None
    assert created.after == {
        "role": "admin", "agency": None, "team": None, "is_active": True, "is_staff": True,
        "is_superuser": True, "source": "system",
    }  # fmt: skip


def test_it_records_no_row_for_a_save_that_changes_no_access(alice):
    before = AuditEntry.objects.count()
    alice.last_login = timezone.now()
    alice.save(update_fields=["last_login"])
    alice.first_name = "Alice"
    alice.save()

    assert AuditEntry.objects.count() == before


def test_it_records_groups_and_permissions_changed_from_either_side(alice, bob):
    reviewers = Group.objects.create(name="Reviewers")
    view_home = Permission.objects.get(codename="view_home")

    alice.groups.add(reviewers)
    reviewers.user_set.add(bob)
    reviewers.user_set.clear()
    alice.user_permissions.add(view_home)
    reviewers.permissions.add(view_home)

    groups = [(e.object_id, e.before, e.after) for e in rows("user.groups_change")]
    assert groups == [
        (str(alice.pk), {"groups": []}, {"groups": ["Reviewers"], "source": "system"}),
        (str(bob.pk), {"groups": []}, {"groups": ["Reviewers"], "source": "system"}),
        (str(alice.pk), {"groups": ["Reviewers"]}, {"groups": [], "source": "system"}),
        (str(bob.pk), {"groups": ["Reviewers"]}, {"groups": [], "source": "system"}),
    ]
    [perms] = rows("user.user_permissions_change")
    assert perms.after == {"user_permissions": ["homes.view_home"], "source": "system"}
    [group_perms] = rows("group.permissions_change")
    assert (group_perms.object_type, group_perms.object_id) == ("auth.group", str(reviewers.pk))
    assert group_perms.after == {"permissions": ["homes.view_home"], "source": "system"}


# --- Guardian object permissions -----------------------------------------------------------


def test_it_replays_a_home_admin_given_another_home_in_the_admin_then_changing_its_beds(
    admin_user, home_admin, other_home
):
    """The finding: hank was given another home on guardian's admin page and changed
    its beds, and the trail showed no grant."""
    admin = signed_in(admin_user)
    url = reverse("admin:homes_home_permissions_manage_user", args=[other_home.pk, home_admin.pk])

    granted = admin.post(url, {"permissions": ["change_home"]}, REMOTE_ADDR="192.0.2.13")
    assert granted.status_code == 302
    beds = signed_in(home_admin).post(
        f"/homes/{other_home.pk}/availability/", {"available_beds": "0"}
    )
    assert beds.status_code == 302
    revoked = admin.post(url, {"_save": "Save"}, REMOTE_ADDR="192.0.2.13")  # none ticked
    assert revoked.status_code == 302

    on_home = {"object_type": "homes.home", "object_id": str(other_home.pk)}
    [grant] = rows("permission.object_grant", **on_home)
    assert (grant.actor, grant.ip) == (admin_user, "192.0.2.13")
    assert grant.before == {"user": "hank", "permission": "homes.change_home", "granted": False}
    assert grant.after == {
        "user": "hank", "permission": "homes.change_home", "granted": True, "source": "admin",
    }  # fmt: skip
    assert rows("home.availability", actor=home_admin, **on_home)
    [revoke] = rows("permission.object_revoke", **on_home)
    assert (revoke.actor, revoke.after["granted"], revoke.after["user"]) == (
        admin_user, False, "hank",
    )  # fmt: skip
    assert grant.id < revoke.id
    assert not home_admin.has_perm("homes.change_home", other_home)


def test_it_records_assign_perm_and_remove_perm_from_code(home_admin, other_home):
    reviewers = Group.objects.create(name="Reviewers")

    assign_perm("homes.change_home", home_admin, other_home)
    assign_perm("homes.view_home", reviewers, other_home)
    remove_perm("homes.change_home", home_admin, other_home)

    on_home = {"object_type": "homes.home", "object_id": str(other_home.pk)}
    grants = [(e.actor, e.after) for e in rows("permission.object_grant", **on_home)]
    assert grants == [
        (None, {"user": "hank", "permission": "homes.change_home", "granted": True,
                "source": "system"}),
        (None, {"group": "Reviewers", "permission": "homes.view_home", "granted": True,
                "source": "system"}),
    ]  # fmt: skip
    [revoke] = rows("permission.object_revoke", **on_home)
    assert revoke.before["granted"] is True and revoke.after["granted"] is False


# --- Reads -------------------------------------------------------------------------------------


def test_it_records_the_supervisors_read_of_the_html_audit_page(survivor, bob):
    page = signed_in(bob).get(f"/survivors/{survivor.pk}/audit/", REMOTE_ADDR="192.0.2.14")

    assert page.status_code == 200
    [read] = rows("audit.read", survivor_id=survivor.pk)
    assert (read.actor, read.outcome, read.ip) == (bob, "ok", "192.0.2.14")
    # The page was taken before the read was recorded: it never lists the read itself.
    assert "audit.read" not in page.content.decode()


@pytest.fixture
def referral(survivor, alice, home):
    recommendation = Recommendation.objects.create(
        survivor=survivor, home=home, team=survivor.team, quorum=1, proposed_by=alice,
        rationale="Closest home.", status="approved", searched_at=timezone.now(),
        needs={"age": 15}, home_profile={"id": home.pk}, rank=1, score=80.0, breakdown=[],
        feasible_count=1,
    )  # fmt: skip
    return Referral.objects.create(
        recommendation=recommendation, survivor=survivor, home=home, referred_by=alice, beds=1
    )


@pytest.fixture
def match_search(survivor, alice):
    return MatchSearch.objects.create(
        survivor=survivor, searched_by=alice, needs={"age": 15}, homes_considered=3,
        feasible_count=1, near_miss_count=1, failures_by_rule={},
    )  # fmt: skip


def test_it_records_each_admin_change_page_shown_on_the_childs_trail(
    admin_user, survivor, referral, match_search, home
):
    """The finding: an admin opened a referral and a match search in the Django admin,
    and the child's trail showed nothing."""
    client = signed_in(admin_user)
    shown = [
        ("placement", "referral", referral.pk, survivor.pk),
        ("matching", "matchsearch", match_search.pk, survivor.pk),
        ("survivors", "survivor", survivor.pk, survivor.pk),
        ("homes", "home", home.pk, None),
    ]
    for app, model, pk, _ in shown:
        url = reverse(f"admin:{app}_{model}_change", args=[pk])
        assert client.get(url, REMOTE_ADDR="192.0.2.15").status_code == 200, url

    reads = [(e.object_type, int(e.object_id), e.survivor_id) for e in rows("admin.read")]
    assert reads == [(f"{app}.{model}", pk, child) for app, model, pk, child in shown]
    assert {(e.actor, e.ip) for e in rows("admin.read")} == {(admin_user, "192.0.2.15")}


def test_it_records_no_admin_read_for_lists_or_missing_records(admin_user, referral):
    client = signed_in(admin_user)
    client.get(reverse("admin:placement_referral_changelist"))
    client.get(reverse("admin:placement_referral_change", args=[referral.pk + 1000]))

    assert rows("admin.read") == []
