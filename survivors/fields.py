"""Model fields whose values are encrypted at rest with Fernet (AES-128-CBC + HMAC).

The database only ever holds ciphertext; Python code sees plaintext. Keys come
from FIELD_ENCRYPTION_KEY (comma separated, newest first: MultiFernet decrypts
with any of them and encrypts with the first, so keys can be rotated).
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


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


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted field cannot be decrypted with FIELD_ENCRYPTION_KEY: "
            "was the key changed without keeping the old one?"
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Not searchable or sortable in SQL, by design."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))


class EncryptedDateField(models.DateField):
    """A date stored as a Fernet token of its ISO form."""

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str:
        return models.TextField().db_type(connection)

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> datetime.date | None:
        return None if value is None else datetime.date.fromisoformat(decrypt(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> str | None:
        value = self.to_python(value)
        return None if value is None else encrypt(value.isoformat())
