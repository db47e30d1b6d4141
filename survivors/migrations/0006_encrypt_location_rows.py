"""Encrypt every survivor's residence ZIP and exclusion zones (finding 7 of issue 12:
a trafficker's area was stored in plaintext). Reversible: the rollback decrypts them,
and 0005's rollback turns the columns back into varchar(5) and jsonb.

Raw SQL, not the model: the fields would decrypt on read, and these rows are not yet
ciphertext. A value that already decrypts is left alone, so running twice does no harm.
"""

import json

from django.core.exceptions import ImproperlyConfigured
from django.db import migrations

from survivors.fields import decrypt, encrypt


def _plaintext(value: str) -> str | None:
    """The value's plaintext if it is a token of the current keys, else None."""
    try:
        return decrypt(value)
    except ImproperlyConfigured:
        return None


def _rows(cursor):
    cursor.execute("SELECT id, residence_zip, exclusion_zones FROM survivors_survivor")
    return cursor.fetchall()


def _update(cursor, changed) -> None:
    if changed:
        cursor.executemany(
            "UPDATE survivors_survivor SET residence_zip = %s, exclusion_zones = %s WHERE id = %s",
            changed,
        )


def encrypt_rows(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        changed = []
        for pk, zip_code, zones in _rows(cursor):
            if _plaintext(zip_code) is None:
                zip_code = encrypt(zip_code)
            if _plaintext(zones) is None:
                # The column held jsonb until 0005: its text is the zones' JSON.
                zones = encrypt(json.dumps(json.loads(zones or "[]")))
            changed.append((zip_code, zones, pk))
        _update(cursor, changed)


def decrypt_rows(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        changed = []
        for pk, zip_code, zones in _rows(cursor):
            plain_zip, plain_zones = _plaintext(zip_code), _plaintext(zones)
            changed.append(
                (
                    zip_code if plain_zip is None else plain_zip,
                    zones if plain_zones is None else plain_zones,
                    pk,
                )
            )
        _update(cursor, changed)


class Migration(migrations.Migration):
    dependencies = [
        ("survivors", "0005_encrypt_location_columns"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
