"""The home change log: a trigger records every write to homes_home (see HomeChange)."""

from django.db import migrations, models
import django.db.models.functions.datetime

LOG_FUNCTION = """
CREATE FUNCTION homes_home_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tx bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO homes_homechange (home_id, txid) VALUES (NULL, tx);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO homes_homechange (home_id, txid) VALUES (OLD.id, tx);
    ELSE
        INSERT INTO homes_homechange (home_id, txid) VALUES (NEW.id, tx);
        IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
            INSERT INTO homes_homechange (home_id, txid) VALUES (OLD.id, tx);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER homes_home_log_change
    AFTER INSERT OR UPDATE OR DELETE ON homes_home
    FOR EACH ROW EXECUTE FUNCTION homes_home_log_change();
CREATE TRIGGER homes_home_log_truncate
    AFTER TRUNCATE ON homes_home
    FOR EACH STATEMENT EXECUTE FUNCTION homes_home_log_change();
"""

DROP_LOG_FUNCTION = """
DROP TRIGGER IF EXISTS homes_home_log_truncate ON homes_home;
DROP TRIGGER IF EXISTS homes_home_log_change ON homes_home;
DROP FUNCTION IF EXISTS homes_home_log_change();
"""


def install_trigger(apps, schema_editor):
    # SQLite (the laptop demo) reloads its few hundred homes at every search instead.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LOG_FUNCTION)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_LOG_FUNCTION)


class Migration(migrations.Migration):

    dependencies = [
        ("homes", "0002_beds_held"),
    ]

    operations = [
        migrations.CreateModel(
            name="HomeChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("home_id", models.BigIntegerField(editable=False, null=True)),
                ("txid", models.BigIntegerField(editable=False, null=True)),
                ("pruned_below", models.BigIntegerField(editable=False, null=True)),
                ("created_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False)),
            ],
            options={
                "indexes": [models.Index(fields=["txid"], name="homes_homechange_txid")],
            },
        ),
        migrations.RunPython(install_trigger, drop_trigger),
    ]
