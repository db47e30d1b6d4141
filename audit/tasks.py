from __future__ import annotations

from celery import shared_task

from audit.services import audit_head_export, audit_seal


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def seal_audit_trail() -> int:
    """Every minute: seal every entry committed since (no request seals). Sealing twice is
    harmless: a sealed entry is never sealed again. Then the chain's head is exported
    (AUDIT_HEAD_EXPORT), out of the database's reach."""
    sealed = audit_seal()
    audit_head_export()
    return sealed
