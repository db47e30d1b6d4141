"""Model fields whose values are encrypted at rest with Fernet (AES-128-CBC + HMAC).

In core, below every app that keeps a secret: the survivor's identity and notes
(survivors), what locates a child (placement), a user's authenticator secret (accounts).

The database only ever holds ciphertext; Python code sees plaintext. Keys come
from FIELD_ENCRYPTION_KEY (comma separated, newest first: MultiFernet decrypts
with any of them and encrypts with the first, so keys can be rotated).
"""

from __future__ import annotations

import datetime
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.errors import EncryptionKeyMissing


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be urlsafe-base64 Fernet keys."
        ) from exc


def encrypt(plaintext: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(plaintext.encode()).decode()


class FieldKeyMissing(EncryptionKeyMissing, ImproperlyConfigured):
    """No key listed in FIELD_ENCRYPTION_KEY decrypts a stored value."""


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise FieldKeyMissing(
            str(
                _(
                    "This record cannot be opened: it was encrypted with a key Harbor is no "
                    "longer configured with. Ask your administrator to add the key back to "
                    "FIELD_ENCRYPTION_KEY (and run rotate_keys before dropping a key)."
                )
            )
        ) from exc


def newest_key_holds(token: str) -> bool:
    """Whether the newest key (the first listed) decrypts `token`: it needs no rotation."""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """`token` re-encrypted with the newest key (its timestamp kept)."""
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise FieldKeyMissing("no key listed in FIELD_ENCRYPTION_KEY decrypts it") from exc


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Not searchable or sortable in SQL, by design."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))


class EncryptedCharField(EncryptedTextField):
    """A short string (a ZIP code) stored as a Fernet token: one line in a form, and its
    `max_length` checked in Python (the column holds ciphertext, far longer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            # As CharField does: the cached list, not `_validators`, so that the field
            # deconstructs (and migrates) without it.
            self.validators.append(MaxLengthValidator(self.max_length))

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class EncryptedJSONField(models.JSONField):
    """JSON (a list of exclusion zones) stored as a Fernet token of its text.

    Python code sees the decoded value, as with a JSONField; the database holds only
    ciphertext, so no key lookup, containment or ordering can reach it in SQL."""

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(decrypt(value), cls=self.decoder)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or hasattr(value, "as_sql"):
            return value
        return encrypt(json.dumps(value, cls=self.encoder))

    def get_transform(self, name: str) -> Any:
        # No `exclusion_zones__0__zip_code`: a key path cannot be read from ciphertext.
        return models.Field.get_transform(self, name)


class EncryptedDateField(models.DateField):
    """A date stored as a Fernet token of its ISO form."""

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> datetime.date | None:
        return None if value is None else datetime.date.fromisoformat(decrypt(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> str | None:
        value = self.to_python(value)
        return None if value is None else encrypt(value.isoformat())


# Every encrypted field is one of these (EncryptedCharField is an EncryptedTextField).
ENCRYPTED_FIELD_TYPES: tuple[type[models.Field], ...] = (
    EncryptedTextField,
    EncryptedJSONField,
    EncryptedDateField,
)
