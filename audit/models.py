from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    OK = "ok", _("Allowed")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")


class AuditEntry(models.Model):
    """One thing somebody did or tried: append-only, never edited or deleted.

    `before`/`after` hold changed fields; values of encrypted survivor fields are
    written as "<encrypted>" so the trail never holds identity in plaintext.

    The database refuses UPDATE and DELETE on this table (a trigger, audit 0002), and
    `AuditSeal` chains every committed entry into a keyed hash chain that
    `manage.py audit_verify` checks.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    survivor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # PostgreSQL: the writing transaction's id, set by a trigger whatever the insert says.
    # Kept for the record (it is chained), never for ordering: a restored dump starts a
    # new server's transaction counter from scratch. Empty on SQLite.
    txid = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or '-'} {self.action}"


class AuditSeal(models.Model):
    """One link of the chain: `hash` is a keyed SHA-256 (HMAC, `AUDIT_CHAIN_KEY`) over
    `seq`, `prev_hash` and every field of the entry, so changing, removing or slipping
    in an entry or a seal breaks the chain from that link on.

    Insert-only like the entries (the same trigger). `entry` has no database foreign
    key on purpose: an entry deleted by someone who got past the trigger leaves its seal
    behind, and the verifier names the missing entry.
    """

    seq = models.BigIntegerField(unique=True, editable=False)
    entry = models.OneToOneField(
        AuditEntry,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="seal",
        editable=False,
    )
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    # Which AUDIT_CHAIN_KEY made `hash` (audit.chain.key_id), so a chain verifies after a
    # rotation and a key dropped too early is named, not mistaken for tampering. Null on
    # seals made before key ids (any listed key may verify those); nullable rather than
    # blank so SQLite adds the column without rebuilding the table and its triggers.
    key_id = models.CharField(max_length=12, null=True, blank=True, editable=False)
    sealed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seal_seq_positive")
        ]

    def __str__(self) -> str:
        return f"seal {self.seq} of entry {self.entry_id}"
