"""The child's location columns become ciphertext columns (text); 0006 encrypts the rows.

Two migrations, so each runs in its own transaction: PostgreSQL refuses to ALTER a
table with row changes still pending in the same transaction (deferred foreign keys).
"""

from django.db import migrations

import core.vocab
import survivors.fields
import survivors.models


class Migration(migrations.Migration):
    dependencies = [
        ("survivors", "0004_intake_without_identity"),
    ]

    operations = [
        migrations.AlterField(
            model_name="survivor",
            name="exclusion_zones",
            field=survivors.fields.EncryptedJSONField(
                blank=True, default=list, validators=[survivors.models.validate_exclusion_zones]
            ),
        ),
        migrations.AlterField(
            model_name="survivor",
            name="residence_zip",
            field=survivors.fields.EncryptedCharField(
                max_length=5, validators=[core.vocab.validate_zip]
            ),
        ),
    ]
