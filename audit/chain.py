"""The hash chain over the audit trail: how one link is computed.

Each seal's hash is HMAC-SHA-256, under the chain key, of its `seq`, the previous
seal's hash and a canonical serialisation of every field of its entry. Keyed, so that
someone who can write to the database but does not hold the key (a database
administrator, a stolen backup restored elsewhere) cannot recompute the chain after
changing an entry.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

GENESIS = "0" * 64

# Every column of audit_auditentry. A column added later must join the chain in a way
# that keeps old links verifying (say, only when it is not null); the test comparing
# this list with the model makes sure nobody forgets it.
CHAINED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "survivor_id",
    "outcome",
    "before",
    "after",
    "ip",
    "txid",
)


def chain_keys() -> list[bytes]:
    """The keys, newest first: the first seals, any of them verifies (for a rotation).

    `AUDIT_CHAIN_KEY` (comma separated) when set; otherwise derived from SECRET_KEY and
    its fallbacks, which then must not be dropped while the chain is checked.
    """
    configured = list(getattr(settings, "AUDIT_CHAIN_KEYS", None) or [])
    if configured:
        return [key.encode() for key in configured]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [hashlib.sha256(b"harbor.audit.chain\0" + s.encode()).digest() for s in secrets]


def key_id(key: bytes) -> str:
    """A key's name on the seals it made: derived from the key (an HMAC of a constant,
    so it tells nothing of the key), the same on every host that holds it."""
    return hmac.new(key, b"harbor.audit.key-id", hashlib.sha256).hexdigest()[:KEY_ID_LENGTH]


KEY_ID_LENGTH = 12


def keyring() -> dict[str, bytes]:
    """The configured keys by id, newest (the sealing one) first."""
    return {key_id(key): key for key in chain_keys()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat(timespec="microseconds")
    return value


def canonical(entry: Any, seq: int, prev_hash: str) -> bytes:
    """The bytes a link's hash covers: the same entry read back always gives the same
    bytes (sorted keys, no spaces, times in UTC with microseconds)."""
    fields = {name: _plain(getattr(entry, name)) for name in CHAINED_FIELDS}
    return json.dumps(
        [seq, prev_hash, fields], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def link_hash(*, key: bytes, seq: int, prev_hash: str, entry: Any) -> str:
    return hmac.new(key, canonical(entry, seq, prev_hash), hashlib.sha256).hexdigest()


def link_holds(*, keys: list[bytes], seq: int, prev_hash: str, entry: Any, digest: str) -> bool:
    return any(
        hmac.compare_digest(link_hash(key=key, seq=seq, prev_hash=prev_hash, entry=entry), digest)
        for key in keys
    )
