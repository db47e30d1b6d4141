"""Issue 29, finding 3: the role that ran `migrate` was the app's, so it could TRUNCATE
the trail, or switch its triggers off and UPDATE or DELETE. The app now runs as a role
`grant_app_role` equips: it reads and writes every table, but may only INSERT and
SELECT the trail, and owns nothing, so it cannot touch the triggers either."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.checks import check_app_role_cannot_rewrite_trail
from audit.models import AuditEntry, AuditSeal
from audit.services import audit_chain_verify, audit_record, audit_seal

pytestmark = pytest.mark.postgres

APP_ROLE = f"harbor_app_test_{os.getpid()}"


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def app_role(db) -> str:
    """A role made and granted inside the test's transaction (rolled back with it)."""
    execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    call_command("grant_app_role", APP_ROLE, stdout=StringIO())
    return APP_ROLE


@contextmanager
def as_role(role: str) -> Iterator[None]:
    execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        execute("RESET ROLE")


def refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        execute(sql)
    return str(caught.value)


def test_it_lets_the_app_role_append_to_the_trail_and_seal_it(app_role):
    with as_role(app_role):
        entry = audit_record(actor=None, action="home.availability")
        assert audit_seal() >= 1
        report = audit_chain_verify(heads=[])

    assert AuditSeal.objects.filter(entry_id=entry.pk).exists()
    assert report.broken is None


@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE audit_auditentry, audit_auditseal",
        "DELETE FROM audit_auditseal",
        "UPDATE audit_auditentry SET action = 'nothing.happened'",
        "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only",
        "DROP TRIGGER audit_auditseal_append_only ON audit_auditseal",
    ],
)
def test_it_refuses_the_app_role_every_way_of_rewriting_the_trail(app_role, sql):
    audit_record(actor=None, action="home.availability")

    with as_role(app_role):
        message = refused(sql)

    assert "permission denied" in message or "must be owner" in message
    assert AuditEntry.objects.filter(action="home.availability").exists()


def test_it_warns_at_startup_when_the_app_role_could_rewrite_the_trail(app_role):
    warnings = check_app_role_cannot_rewrite_trail(databases=["default"])
    assert {w.id for w in warnings} == {"audit.W001"}
    assert "owns audit_auditentry" in warnings[0].msg

    with as_role(app_role):
        assert check_app_role_cannot_rewrite_trail(databases=["default"]) == []


def test_it_will_not_equip_the_owner_as_the_app_role(db):
    with pytest.raises(CommandError, match="superuser or owns the audit tables"):
        call_command("grant_app_role", connection.get_connection_params()["user"])
