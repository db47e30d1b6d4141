from __future__ import annotations

from celery import shared_task

from audit.services import audit_seal


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def seal_audit_trail() -> int:
    """Every minute: seal what the after-commit sealing missed (a busy sealer, a crash,
    an entry written by a bulk insert). Sealing twice is harmless: a sealed entry is
    never sealed again."""
    return audit_seal()
