"""The encrypted fields under the name the survivors' and placement's migrations import
them by; they live in core.fields, where accounts can use them too."""

from core.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
    decrypt,
    encrypt,
)

__all__ = [
    "EncryptedCharField",
    "EncryptedDateField",
    "EncryptedJSONField",
    "EncryptedTextField",
    "decrypt",
    "encrypt",
]
