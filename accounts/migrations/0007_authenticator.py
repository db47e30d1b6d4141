"""Authenticator secrets encrypted at rest (issue 29, finding 9).

Every django-otp TOTP device moves into accounts.Authenticator under the same id, its
secret encrypted with FIELD_ENCRYPTION_KEY, its state kept (confirmed, last code's step,
drift, wrong codes in a row, times): the same secret, so the codes the user's authenticator
app shows keep working, and a pending enrolment (the page keeps the device's id) finishes.
The old row stays (nothing is deleted) without its secret and unconfirmed, so no dump of
otp_totp_totpdevice gives a second factor. A session verified before the upgrade named the
old device: it is asked for one code again. Rolled back, the secrets go back in clear.
"""

import core.fields
import django.core.validators
import django.db.models.deletion
import django_otp.plugins.otp_totp.models
from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations, models

# The fields both models share, copied as they are (the key aside).
STATE = [
    "user_id", "name", "confirmed", "throttling_failure_timestamp",
    "throttling_failure_count", "created_at", "last_used_at", "step", "t0", "digits",
    "tolerance", "drift", "last_t",
]  # fmt: skip


def _sequence_past_ids(schema_editor, model) -> None:
    """The next id after the copied ones (PostgreSQL's sequence does not see them)."""
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
        schema_editor.execute(sql)


def _copy(rows, model) -> None:
    """Each row into `model` under its id, its key as it reads (the field encrypts or not)."""
    for row in rows:
        state = {field: getattr(row, field) for field in STATE}
        model.objects.update_or_create(pk=row.pk, defaults={"key": row.key, **state})
        # created_at is auto_now_add: a new row would take the time of the migration.
        model.objects.filter(pk=row.pk).update(created_at=row.created_at)


def move_secrets_encrypted(apps, schema_editor) -> None:
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    Authenticator = apps.get_model("accounts", "Authenticator")
    _copy(TOTPDevice.objects.exclude(key="").order_by("pk").iterator(), Authenticator)
    _sequence_past_ids(schema_editor, Authenticator)
    TOTPDevice.objects.update(key="", confirmed=False)


def move_secrets_back(apps, schema_editor) -> None:
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    Authenticator = apps.get_model("accounts", "Authenticator")
    _copy(Authenticator.objects.order_by("pk").iterator(), TOTPDevice)
    _sequence_past_ids(schema_editor, TOTPDevice)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_agency_duty_clocks'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='Authenticator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('key', core.fields.EncryptedTextField(default=django_otp.plugins.otp_totp.models.default_key, help_text='A hex-encoded secret key of up to 40 bytes, encrypted at rest.', validators=[django_otp.plugins.otp_totp.models.key_validator, django.core.validators.MaxLengthValidator(80)])),
                ('step', models.PositiveSmallIntegerField(default=30)),
                ('t0', models.BigIntegerField(default=0)),
                ('digits', models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1)),
                ('drift', models.SmallIntegerField(default=0)),
                ('last_t', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='authenticators', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'authenticator',
                'ordering': ['id'],
                'abstract': False,
            },
        ),
        migrations.RunPython(move_secrets_encrypted, move_secrets_back, elidable=False),
    ]
