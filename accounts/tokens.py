"""API tokens: issued once, stored as a digest, expiring, revocable (never deleted).

`token_issue` is the only place a key exists in clear: it is returned to the caller
(the token endpoint shows it once) and only its SHA-256 digest is stored. A key is
32 random bytes, so a fast hash is the right one: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User
from audit.services import audit_record
from core.types import Actor


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(
    *, user: User, name: str = "", ttl: timedelta | None = None
) -> tuple[str, ApiToken]:
    """A new token for one device: (the key, shown once; the stored row)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        prefix=key[:8],
        digest=token_digest(key),
        name=name[:100],
        created_at=now,
        expires_at=now + (ttl or timedelta(minutes=settings.API_TOKEN_TTL_MINUTES)),
        # Signing in is the device's first use; the next write comes a minute on at most
        # (accounts.authentication), so a client's first requests cost no extra UPDATE.
        last_used_at=now,
    )
    return key, token


def token_find(key: str) -> ApiToken | None:
    """The live token with this key (not expired, not revoked), with its user."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or token.expires_at <= timezone.now():
        return None
    return token


@transaction.atomic
def token_revoke(
    *, token: ApiToken, reason: str, actor: Actor | None = None, ip: str | None = None
) -> bool:
    """End one token (logout, an administrator); False if it had already ended. Audited."""
    now = timezone.now()
    ended = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    if ended:
        token.revoked_at, token.revoked_reason = now, reason
        audit_record(
            actor=actor,
            action="token.revoked",
            obj=token,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat(), "reason": reason, "user": token.user_id},
            ip=ip,
        )
    return bool(ended)


@transaction.atomic
def tokens_revoke_all(
    *, user: User, reason: str, actor: Actor | None = None, ip: str | None = None
) -> int:
    """End every live token of a user (password change, MFA reset, deactivation). Audited
    when there was any: how many, and why."""
    ended = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    if ended:
        audit_record(
            actor=actor,
            action="token.revoked_all",
            obj=user,
            after={"reason": reason, "tokens": ended},
            ip=ip,
        )
    return ended
