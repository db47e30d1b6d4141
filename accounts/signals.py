"""Receivers that end a user's API tokens when their credentials change.

A token stands for "this user, signed in with their password (and second factor)":
once the password changes, or the user is deactivated, every token issued before is
revoked, whatever path made the change (the password page or API, the Django admin,
`set_password()` and `save()` in a shell or a command). Deactivation revokes rather than
merely refusing, so reactivating the user later does not bring old tokens back.

The stored row is compared with the one being saved, so a save that touches neither
the password nor `is_active` (Django's `last_login` update at each sign-in) costs no
query.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.models import ApiToken, User
from accounts.tokens import tokens_revoke_all

_WATCHED = {"password", "is_active"}


@receiver(pre_save, sender=User, dispatch_uid="accounts.tokens_note_credentials")
def note_credential_change(
    sender: type[User], instance: User, update_fields=None, raw: bool = False, **kwargs: Any
) -> None:
    instance._harbor_token_revoke_reason = None
    if raw or instance.pk is None:
        return
    if update_fields is not None and not _WATCHED & set(update_fields):
        return
    stored = sender._base_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["is_active"] != instance.is_active:
        # Deactivated: revoke now. Reactivated: revoke whatever a deactivation that
        # bypassed save() (a queryset update) left alive.
        instance._harbor_token_revoke_reason = ApiToken.RevokeReason.DEACTIVATED
    elif stored["password"] != instance.password and not _is_hash_upgrade(instance, update_fields):
        instance._harbor_token_revoke_reason = ApiToken.RevokeReason.PASSWORD


def _is_hash_upgrade(instance: User, update_fields) -> bool:
    """Whether this save only re-hashes the same password with newer hasher settings.

    `check_password` does that at sign-in (Django clears `_password` so it is not taken
    for a change, and saves `password` alone): the user's other devices must not be
    signed out because the server's Argon2 parameters moved on.
    """
    return (
        getattr(instance, "_password", None) is None
        and update_fields is not None
        and set(update_fields) == {"password"}
    )


@receiver(post_save, sender=User, dispatch_uid="accounts.tokens_revoke_on_credentials")
def revoke_tokens_on_credential_change(
    sender: type[User], instance: User, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    reason = getattr(instance, "_harbor_token_revoke_reason", None)
    instance._harbor_token_revoke_reason = None
    if raw or created or reason is None:
        return
    # Audited there (how many, why); who made the change is on the change's own entry.
    tokens_revoke_all(user=instance, reason=reason)
