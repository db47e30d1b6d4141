"""The trail nobody can rewrite: the database refuses UPDATE and DELETE on the audit
tables, each entry records its transaction (PostgreSQL), and AuditSeal chains them.

TRUNCATE is not a row operation and stays possible for the table's owner (the test
suite flushes with it); the application's database role should not own the tables.

On SQLite (the laptop demo) a later migration that rebuilds audit_auditentry (Django
rebuilds SQLite tables to alter a column) drops the triggers with the old table: such a
migration must install them again (`install_triggers`).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

POSTGRES_TRIGGERS = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_auditseal_append_only
    BEFORE UPDATE OR DELETE ON audit_auditseal
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE FUNCTION audit_entry_stamp_txid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_auditentry_txid
    BEFORE INSERT ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_stamp_txid();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_txid ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_stamp_txid();
DROP TRIGGER IF EXISTS audit_auditseal_append_only ON audit_auditseal;
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_refuse_change();
"""

SQLITE_TABLES = ["audit_auditentry", "audit_auditseal"]
SQLITE_TRIGGER = (
    "CREATE TRIGGER {table}_no_{op} BEFORE {OP} ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: {OP} on {table} refused'); END"
)


def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Entries written before this release: their transactions are long over.
        schema_editor.execute("UPDATE audit_auditentry SET txid = 0 WHERE txid IS NULL")
        schema_editor.execute(POSTGRES_TRIGGERS, params=None)  # no %-formatting
    elif vendor == "sqlite":
        for table in SQLITE_TABLES:
            for op in ("update", "delete"):
                schema_editor.execute(SQLITE_TRIGGER.format(table=table, op=op, OP=op.upper()))


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for table in SQLITE_TABLES:
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="txid",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["txid", "id"], name="audit_entry_txid"),
        ),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(editable=False, unique=True)),
                (
                    "entry",
                    models.OneToOneField(
                        db_constraint=False,
                        editable=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="seal",
                        to="audit.auditentry",
                    ),
                ),
                ("prev_hash", models.CharField(editable=False, max_length=64)),
                ("hash", models.CharField(editable=False, max_length=64)),
                (
                    "sealed_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
            ],
            options={
                "ordering": ["seq"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("seq__gte", 1)), name="audit_seal_seq_positive"
                    )
                ],
            },
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
