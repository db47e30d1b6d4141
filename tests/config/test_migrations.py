"""Upgrading (and rolling back) a database made before the workflow moved to `placement`.

The workflow's models moved from `matching` to `placement` without moving a row: their
tables keep their `matching_*` names, and placement.0001 only relabels content types and
notification links. These tests take the test database back to the old release, fill every
table of the project's apps through the old release's historical models, migrate, and
compare every row of every table before and after.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from matching.models import MatchSearch
from notifications.models import Notification
from notifications.views import link_of
from placement.models import (
    Placement,
    Recommendation,
    Referral,
    Review,
    WaitlistEntry,
    WaitlistOffer,
)
from survivors.models import Survivor

# The leaf migrations of the project's apps in the release before the move.
OLD_LEAVES = {
    "accounts": "0001_initial",
    "audit": "0001_initial",
    "homes": "0002_beds_held",
    "survivors": "0002_created_by_optional",
    "matching": "0002_workflow",
    "notifications": "0001_initial",
}
PROJECT_APPS = tuple(OLD_LEAVES)
MOVED = ["recommendation", "review", "referral", "placement", "waitlistentry", "waitlistoffer"]
WORKFLOW_TABLES = [f"matching_{model}" for model in MOVED] + ["matching_matchsearch"]
# The only tables whose rows the move may change; every other row must stay byte for byte.
RELABELLED_TABLES = {"django_content_type", "notifications_notification"}
DOB = datetime.date(2010, 5, 1)
# Tables made by migrations after the move: a rollback to before the move drops them.
LATER_TABLES = {
    "homes_licensereminder", "homes_homeimport", "audit_auditseal", "accounts_apitoken",
    "accounts_recoverycode", "placement_batch", "placement_batch_survivors",
    "placement_batchassignment", "placement_followup", "placement_duty",
    "placement_missingepisode", "placement_keepapart", "placement_answerlink",
    "matching_tribepreference", "survivors_handoff", "accounts_authenticator",
}  # fmt: skip
# Columns a later migration re-encodes instead of keeping byte for byte, compared by value
# in the tests: the child's location (survivors 0006 encrypts it) and the zones copied into
# stored searches (matching 0004 keeps only how many there were).
# And the authenticator secrets accounts 0007 moved out of django-otp's table (emptied
# there, encrypted in accounts_authenticator): a rollback puts them back in clear.
REENCODED_COLUMNS = {
    "survivors_survivor": {"residence_zip", "exclusion_zones"},
    "matching_matchsearch": {"needs"},
    "otp_totp_totpdevice": {"key", "confirmed"},
}
TOTP_SECRET = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, in hex
ZONE = {"zip_code": "64108", "radius_miles": 5}


# --- Moving the database between releases ------------------------------------------------


def _old_release(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """The old release's leaf nodes: the project's old leaves, everything else at its latest."""
    leaves = executor.loader.graph.leaf_nodes()
    others = {node for node in leaves if node[0] not in {*PROJECT_APPS, "placement"}}
    return sorted(others | set(OLD_LEAVES.items()))


def _downgrade(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """Unapply the move (and survivors.0003) and check the database is exactly at the old
    release: every migration of the old release applied, none of the new ones."""
    old = _old_release(executor)
    executor.migrate([*old, ("placement", None)])
    executor.loader.build_graph()
    graph = executor.loader.graph
    expected = {node for leaf in old for node in graph.forwards_plan(leaf)}
    applied = {node for node in executor.loader.applied_migrations if node in graph.nodes}
    assert applied == expected
    assert ("matching", "0003_move_workflow_to_placement") not in applied
    return old


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _fully_migrated() -> bool:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


# --- Looking at the database without any model class --------------------------------------


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(name for name in names if name != "django_migrations")


def _row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in _tables():
            if table == "homes_homechange":
                # Not data: the log a trigger writes as homes change, for the matching
                # directory (a later migration than the move makes it).
                continue
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def _rows(
    tables: Iterable[str], columns: dict[str, list[str]] | None = None
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every row of these tables, raw (survivor fields stay ciphertext), in a stable order,
    with the column names. Given `columns`, only those: a later release may add columns, but
    every value that was there must still be there."""
    rows = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            names = ", ".join(map(quote, columns[table])) if columns else "*"
            cursor.execute(f"SELECT {names} FROM {quote(table)} ORDER BY 1")
            rows[table] = ([column.name for column in cursor.description], cursor.fetchall())
    return rows


def _content_types() -> dict[int, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, app_label, model FROM django_content_type")
        return {pk: (app_label, model) for pk, app_label, model in cursor.fetchall()}


def _location_cells(survivor_id: int) -> list[str]:
    """The survivor's residence ZIP and exclusion zones as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT residence_zip::text, exclusion_zones::text FROM survivors_survivor "
            "WHERE id = %s",
            [survivor_id],
        )
        return list(cursor.fetchone())


def _notification_types() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, object_type FROM notifications_notification")
        return dict(cursor.fetchall())


def _project_tables(counts: dict[str, int]) -> list[str]:
    return [table for table in counts if table.split("_", 1)[0] in PROJECT_APPS]


def _relabelled(label: str, old: str, new: str) -> str:
    app_label, _, model = label.partition(".")
    return f"{new}.{model}" if app_label == old and model in MOVED else label


# --- Filling every table -------------------------------------------------------------------


def _fill(apps: Any, workflow: str) -> dict[str, int]:
    """At least one row in every table of the project's apps (and an admin log entry and
    permissions on the workflow's content types), through the historical models of `apps`,
    where the workflow's models live in the app `workflow`. Returns the ids."""
    now = timezone.now()
    model = apps.get_model
    content_types = {
        name: model("contenttypes", "ContentType").objects.get_or_create(
            app_label=workflow, model=name
        )[0]
        for name in MOVED
    }

    def permission(action: str, name: str) -> Any:
        return model("auth", "Permission").objects.get_or_create(
            content_type=content_types[name],
            codename=f"{action}_{name}",
            defaults={"name": f"Can {action} {name}"},
        )[0]

    agency = model("accounts", "Agency").objects.create(
        code="ks-dcf", name="Kansas DCF", state="KS"
    )
    team = model("accounts", "Team").objects.create(agency=agency, name="KS Metro MDT", quorum=1)
    user = model("accounts", "User").objects
    alice = user.create(
        username="alice", password="!", role="case_worker", agency=agency, team=team
    )
    mona = user.create(username="mona", password="!", role="mdt_member", team=team)
    hank = user.create(username="hank", password="!", role="home_admin")
    reviewers = model("auth", "Group").objects.create(name="Reviewers")
    mona.groups.add(reviewers)
    alice.user_permissions.add(permission("view", "referral"))

    home = model("homes", "Home").objects.create(
        name="Lighthouse House", home_type="safe_home", state="KS", zip_code="66101",
        licensed_beds=6, available_beds=2, beds_held=1, genders_served=["female"],
        languages=["en"], services=["trauma_therapy"],
    )  # fmt: skip
    other_home = model("homes", "Home").objects.create(
        name="Cedar Place", home_type="group_home", state="MO", zip_code="64108",
        licensed_beds=4, available_beds=1, genders_served=["female", "male"],
    )  # fmt: skip
    model("homes", "AvailabilityChange").objects.create(
        home=home, by=hank, source="hold", available_beds_before=3, available_beds_after=2,
        staff_on_duty_before=2, staff_on_duty_after=2, beds_held_before=0, beds_held_after=1,
    )  # fmt: skip

    survivor = model("survivors", "Survivor").objects
    jane = survivor.create(
        agency=agency, team=team, created_by=alice, case_number="KS-2026-001",
        first_name="Jane", last_name="Roe", date_of_birth=DOB, notes="Arrived with one bag.",
        gender="female", guardianship="state", custody_state="KS", residence_zip="66101",
        exclusion_zones=[ZONE], status="placed",
    )  # fmt: skip
    mary = survivor.create(
        agency=agency, team=team, created_by=alice, case_number="KS-2026-002",
        first_name="Mary", last_name="Poe", date_of_birth=DOB, gender="female",
        guardianship="parent", custody_state="KS", residence_zip="66102", status="waitlisted",
    )  # fmt: skip
    jane.assigned_workers.add(alice)
    model("survivors", "StatusChange").objects.create(
        survivor=jane, by=alice, before="referred", after="placed", note="Arrived."
    )
    search = model("matching", "MatchSearch").objects.create(
        survivor=jane, searched_by=alice,
        needs={"age": 15, "gender": "female", "exclusion_zones": [ZONE]},
        homes_considered=2, feasible_count=1, near_miss_count=1,
        failures_by_rule={"out_of_state": 1}, top_home_ids=[home.pk],
    )  # fmt: skip

    snapshot = {
        "searched_at": now, "needs": {"age": 15}, "home_profile": {"name": "Lighthouse House"},
        "rank": 1, "score": 0.92, "breakdown": {"distance": 0.4}, "feasible_count": 1,
    }  # fmt: skip
    recommendation = model(workflow, "Recommendation").objects.create(
        survivor=jane, home=home, team=team, proposed_by=alice, quorum=1, status="approved",
        rationale="Closest safe home with a bed.", decided_at=now, distance_miles=4.2,
        **snapshot,
    )  # fmt: skip
    withdrawn = model(workflow, "Recommendation").objects.create(
        survivor=jane, home=other_home, team=team, proposed_by=alice, quorum=1,
        status="withdrawn", rationale="Second choice.", crisis_override=True,
        crisis_justification="No bed in state tonight.", crisis_override_at=now,
        crisis_override_by=alice, **snapshot,
    )  # fmt: skip
    review = model(workflow, "Review").objects.create(
        recommendation=recommendation, reviewer=mona, decision="approve", comment="Agreed."
    )
    referral = model(workflow, "Referral").objects
    placed = referral.create(
        recommendation=recommendation, survivor=jane, home=home, referred_by=alice, beds=1,
        status="placed", answered_by=hank, answered_at=now, hold_expires_at=now,
    )  # fmt: skip
    declined = referral.create(
        recommendation=withdrawn, survivor=jane, home=other_home, referred_by=alice, beds=1,
        crisis_override=True, status="declined", reason_code="no_bed", answered_at=now,
    )  # fmt: skip
    placement = model(workflow, "Placement").objects.create(
        referral=placed, survivor=jane, home=home, beds=1, placed_by=alice
    )
    entry = model(workflow, "WaitlistEntry").objects.create(survivor=mary, added_by=alice)
    offer = model(workflow, "WaitlistOffer").objects.create(entry=entry, home=other_home)

    notification = model("notifications", "Notification").objects
    about_referral = notification.create(
        recipient=alice, kind="referral_accepted", message="Lighthouse House accepted.",
        object_type=f"{workflow}.referral", object_id=str(placed.pk),
    )  # fmt: skip
    about_recommendation = notification.create(
        recipient=mona, kind="review_requested", message="A recommendation needs review.",
        object_type=f"{workflow}.recommendation", object_id=str(recommendation.pk),
    )  # fmt: skip
    about_survivor = notification.create(
        recipient=alice, kind="bed_opened", message="A bed opened for Mary.",
        object_type="survivors.survivor", object_id=str(mary.pk), dedupe_key="bed:1",
    )  # fmt: skip
    audit_entry = model("audit", "AuditEntry").objects.create(
        actor=alice, actor_username="alice", action="referral.create", ip="10.0.0.1",
        object_type=f"{workflow}.referral", object_id=str(placed.pk), survivor_id=jane.pk,
        after={"status": "pending"},
    )  # fmt: skip
    log_entry = model("admin", "LogEntry").objects.create(
        user=alice, content_type=content_types["referral"], object_id=str(placed.pk),
        object_repr="Referral", action_flag=2, change_message="[]",
    )  # fmt: skip
    model("guardian", "UserObjectPermission").objects.create(
        user=hank, permission=permission("change", "referral"),
        content_type=content_types["referral"], object_pk=str(placed.pk),
    )  # fmt: skip
    try:
        reminder = model("homes", "LicenseReminder")
    except LookupError:  # the release before the move had no license reminders
        pass
    else:
        reminder.objects.create(home=home, license_expires=DOB, days_before=30, recipients=1)
    try:
        api_token = model("accounts", "ApiToken")
    except LookupError:  # nor hashed API tokens and recovery codes
        pass
    else:
        api_token.objects.create(user=alice, prefix="abcd1234", digest="0" * 64, expires_at=now)
        model("accounts", "RecoveryCode").objects.create(user=alice, code_hash="!")
    try:
        audit_seal = model("audit", "AuditSeal")
    except LookupError:  # nor the audit trail's hash chain
        pass
    else:
        audit_seal.objects.create(seq=1, entry=audit_entry, prev_hash="0" * 64, hash="0" * 64)
    try:
        home_import = model("homes", "HomeImport")
    except LookupError:  # nor directory imports
        pass
    else:
        home_import.objects.create(created_by=alice, file_name="homes.csv", file_format="csv")
    try:
        batch_model = model(workflow, "Batch")
    except LookupError:  # nor mass-recovery batches
        pass
    else:
        batch = batch_model.objects.create(
            agency=agency, created_by=alice, keep_together=[[jane.pk, mary.pk]], status="done",
            progress=100, total_score=0.92, placed_count=1, optimal=True, gap=0.0,
        )  # fmt: skip
        batch.survivors.add(jane, mary)
        model(workflow, "BatchAssignment").objects.create(
            batch=batch, survivor=jane, home=home, score=0.92, breakdown=[], alternatives=[]
        )
    try:
        follow_up = model(workflow, "FollowUp")
    except LookupError:  # nor placement follow-ups
        pass
    else:
        follow_up.objects.create(
            placement=placement, day=30, due_at=now, outcome="stable", recorded_at=now,
            recorded_by=alice,
        )  # fmt: skip
    try:
        tribe_preference = model("matching", "TribePreference")
    except LookupError:  # nor a tribe's own ICWA order
        pass
    else:
        tribe_preference.objects.create(
            name="Cherokee Nation", order=["tribe_approved", "indian_foster_home"], updated_by=mona
        )
    try:
        hand_off = model("survivors", "HandOff")
    except LookupError:  # nor hand-offs between case workers
        pass
    else:
        hand_off.objects.create(
            survivor=jane, handed_from=[alice.pk], to_worker=alice, by=mona, note="Call at 9"
        )
    try:
        authenticator = model("accounts", "Authenticator")
    except LookupError:  # nor authenticator secrets encrypted (django-otp's, in clear)
        device = None
    else:
        # As accounts 0007 leaves a device it moved: its row in django-otp's table, empty.
        # the same state but the secret, which only the new row has, encrypted.
        device = model("otp_totp", "TOTPDevice").objects.create(
            user=alice, name="Authenticator app", key="", confirmed=False, last_t=9
        )
        authenticator.objects.create(
            pk=device.pk, user=alice, name="Authenticator app", key=TOTP_SECRET, last_t=9
        )
        authenticator.objects.filter(pk=device.pk).update(created_at=device.created_at)
    return {
        "device": device and device.pk,
        "alice": alice.pk, "mona": mona.pk, "hank": hank.pk, "team": team.pk,
        "home": home.pk, "other_home": other_home.pk, "jane": jane.pk, "mary": mary.pk,
        "search": search.pk, "recommendation": recommendation.pk, "withdrawn": withdrawn.pk,
        "review": review.pk, "placed": placed.pk, "declined": declined.pk,
        "placement": placement.pk, "entry": entry.pk, "offer": offer.pk,
        "about_referral": about_referral.pk, "about_recommendation": about_recommendation.pk,
        "about_survivor": about_survivor.pk, "log_entry": log_entry.pk,
    }  # fmt: skip


def _snapshot() -> tuple[dict[str, int], dict[str, list], dict[int, tuple], dict[int, str]]:
    counts = _row_counts()
    unchanged = _rows(table for table in counts if table not in RELABELLED_TABLES)
    return counts, unchanged, _content_types(), _notification_types()


def _assert_every_project_table_is_filled(counts: dict[str, int]) -> None:
    tables = _project_tables(counts)
    assert set(WORKFLOW_TABLES) <= set(tables)
    assert "accounts_user_groups" in tables and "survivors_survivor_assigned_workers" in tables
    assert [table for table in tables if counts[table] == 0] == []
    assert counts["django_admin_log"] and counts["guardian_userobjectpermission"]


def _assert_only_the_labels_moved(before: tuple, old: str, new: str) -> None:
    """Every table keeps its row count and every row its values, except the moved models'
    content types and the notifications pointing at them, which now carry the `new` label."""
    counts, unchanged, content_types, notification_types = before
    # Tables that exist on both sides of the move keep their rows; an upgrade may add
    # tables (empty), and a rollback drops only tables the older release never had.
    now = _row_counts()
    assert {table: now[table] for table in counts if table in now} == {
        table: count for table, count in counts.items() if table in now
    }
    assert set(counts) - set(now) <= LATER_TABLES
    # Upgrading adds columns and rolling back drops them: the values in columns on both
    # sides of the move must stay byte for byte.
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        now = {
            table: {
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            }
            for table in unchanged
            if table in existing
        }
    shared = {
        table: [
            name
            for name in names
            if name in now[table] and name not in REENCODED_COLUMNS.get(table, ())
        ]
        for table, (names, _) in unchanged.items()
        if table in now
    }
    kept = {
        table: (
            shared[table],
            [tuple(row[names.index(name)] for name in shared[table]) for row in rows],
        )
        for table, (names, rows) in unchanged.items()
        if table in now
    }
    assert _rows(shared, shared) == kept
    expected_types = {
        pk: (new, model) if app_label == old and model in MOVED else (app_label, model)
        for pk, (app_label, model) in content_types.items()
    }
    assert expected_types != content_types  # the fill made content types that must move
    assert _content_types() == expected_types
    expected_links = {pk: _relabelled(label, old, new) for pk, label in notification_types.items()}
    assert expected_links != notification_types
    assert _notification_types() == expected_links


# --- The tests -------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_keeps_every_row_when_a_database_from_before_the_move_is_upgraded():
    """After upgrading a deployment made before the workflow moved to `placement`, every child's
    recommendations, reviews, referrals, placements and waitlist entries are still there and
    open through the new code; admin history, permissions and notification links follow."""
    executor = MigrationExecutor(connection)
    try:
        old = _downgrade(executor)
        old_state = executor.loader.project_state(old)
        assert ("matching", "referral") in old_state.models
        assert ("placement", "referral") not in old_state.models
        # Only the moved models' content types go back to `matching`; those of models added
        # later (batches) stay behind, unused, as Django leaves any stale content type.
        assert not [
            pk for pk, (app, model) in _content_types().items()
            if app == "placement" and model in MOVED
        ]  # fmt: skip
        ids = _fill(old_state.apps, "matching")
        before = _snapshot()
        _assert_every_project_table_is_filled(before[0])
        moved_type_ids = {model: pk for pk, (app, model) in before[2].items() if app == "matching"}
        assert set(MOVED) <= set(moved_type_ids)

        call_command("migrate", verbosity=0, interactive=False)  # what a deployment runs

        assert _fully_migrated()
        _assert_only_the_labels_moved(before, "matching", "placement")
    finally:
        _migrate_to_latest()

    # The workflow's rows, through the new models.
    placed = Referral.objects.get(pk=ids["placed"])
    assert (placed.status, placed.home_id, placed.survivor_id, placed.beds) == (
        "placed", ids["home"], ids["jane"], 1,
    )  # fmt: skip
    assert placed.recommendation_id == ids["recommendation"]
    assert placed.placement.pk == ids["placement"]
    declined = Referral.objects.get(pk=ids["declined"])
    assert (declined.status, declined.reason_code, declined.home_id) == (
        "declined", "no_bed", ids["other_home"],
    )  # fmt: skip
    recommendation = Recommendation.objects.get(pk=ids["recommendation"])
    assert (recommendation.status, recommendation.home_id, recommendation.team_id) == (
        "approved", ids["home"], ids["team"],
    )  # fmt: skip
    assert recommendation.needs == {"age": 15}
    assert Recommendation.objects.get(pk=ids["withdrawn"]).crisis_override is True
    assert [r.pk for r in recommendation.reviews.all()] == [ids["review"]]
    assert Review.objects.get(pk=ids["review"]).decision == "approve"
    placement = Placement.objects.get(pk=ids["placement"])
    assert (placement.referral_id, placement.home_id, placement.ended_at) == (
        ids["placed"], ids["home"], None,
    )  # fmt: skip
    entry = WaitlistEntry.objects.get(pk=ids["entry"])
    assert entry.survivor_id == ids["mary"]
    assert [offer.pk for offer in entry.offers.all()] == [ids["offer"]]
    assert WaitlistOffer.objects.get(pk=ids["offer"]).home_id == ids["other_home"]
    search = MatchSearch.objects.get(pk=ids["search"])
    assert search.top_home_ids == [ids["home"]]
    # Where the zones lie left the stored search; how many there were stayed.
    assert search.needs == {"age": 15, "gender": "female", "exclusion_zones": 1}

    # The child's record still decrypts and reaches its workflow rows.
    jane = Survivor.objects.get(pk=ids["jane"])
    assert (jane.first_name, jane.last_name, jane.date_of_birth) == ("Jane", "Roe", DOB)
    assert jane.notes == "Arrived with one bag."
    # Where the child is and the zones to keep her from are ciphertext now (issue 12).
    assert (jane.residence_zip, jane.exclusion_zones) == ("66101", [ZONE])
    assert not [cell for cell in _location_cells(ids["jane"]) if "66101" in cell or "64108" in cell]
    assert sorted(jane.referrals.values_list("pk", flat=True)) == [ids["placed"], ids["declined"]]
    assert [p.pk for p in jane.placements.all()] == [ids["placement"]]

    # Content types kept their ids, so the admin history and permissions follow the models.
    ContentType.objects.clear_cache()
    for model in [Recommendation, Review, Referral, Placement, WaitlistEntry, WaitlistOffer]:
        content_type = ContentType.objects.get_for_model(model)
        assert content_type.pk == moved_type_ids[model._meta.model_name]
    assert LogEntry.objects.get(pk=ids["log_entry"]).get_edited_object() == placed
    assert User.objects.get(pk=ids["alice"]).has_perm("placement.view_referral")
    hank = User.objects.get(pk=ids["hank"])
    assert hank.has_perm("placement.change_referral", placed)
    assert not hank.has_perm("placement.change_referral", declined)

    # Notifications open the referral and the recommendation pages they were about.
    assert link_of(Notification.objects.get(pk=ids["about_referral"])) == reverse(
        "referral-page", args=[ids["placed"]]
    )
    assert link_of(Notification.objects.get(pk=ids["about_recommendation"])) == reverse(
        "recommendation-page", args=[ids["recommendation"]]
    )
    assert Notification.objects.get(pk=ids["about_survivor"]).object_type == "survivors.survivor"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_keeps_every_row_when_the_upgrade_is_rolled_back():
    """Rolling the release back (`migrate placement zero`) loses nothing either: the old code
    finds every referral under `matching` again, with the same content type ids."""
    executor = MigrationExecutor(connection)
    try:
        latest = executor.loader.graph.leaf_nodes()
        ids = _fill(executor.loader.project_state(latest).apps, "placement")
        before = _snapshot()
        _assert_every_project_table_is_filled(before[0])

        old = _downgrade(executor)

        _assert_only_the_labels_moved(before, "placement", "matching")
        old_apps = executor.loader.project_state(old).apps
        placed = old_apps.get_model("matching", "Referral").objects.get(pk=ids["placed"])
        assert (placed.status, placed.home_id, placed.survivor_id) == (
            "placed", ids["home"], ids["jane"],
        )  # fmt: skip
        assert placed.placement.pk == ids["placement"]
        recommendation = old_apps.get_model("matching", "Recommendation").objects.get(
            pk=ids["recommendation"]
        )
        assert [review.pk for review in recommendation.reviews.all()] == [ids["review"]]
        entry = old_apps.get_model("matching", "WaitlistEntry").objects.get(pk=ids["entry"])
        assert [offer.pk for offer in entry.offers.all()] == [ids["offer"]]
        # The old release reads the child's location as plaintext again.
        jane = old_apps.get_model("survivors", "Survivor").objects.get(pk=ids["jane"])
        assert (jane.residence_zip, jane.exclusion_zones) == ("66101", [ZONE])
        assert _location_cells(ids["jane"])[0] == "66101"
        # And django-otp's device has its secret back, in clear, and works again.
        device = old_apps.get_model("otp_totp", "TOTPDevice").objects.get(pk=ids["device"])
        assert (device.key, device.confirmed, device.last_t) == (TOTP_SECRET, True, 9)
    finally:
        _migrate_to_latest()
    assert _fully_migrated()
