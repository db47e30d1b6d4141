from __future__ import annotations

from celery import shared_task

from homes.jobs import home_changes_prune, home_nudge_stale, home_remind_license_expiry


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def nudge_stale_availability() -> int:
    """Hourly: remind home admins whose bed counts have gone stale."""
    return home_nudge_stale()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def prune_home_changes() -> int:
    """Daily: drop change-log entries older than HOME_CHANGE_RETENTION_HOURS."""
    return home_changes_prune()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def remind_license_expiry() -> int:
    """Daily: remind home admins 60, 30 and 7 days before their license expires (once each)."""
    return home_remind_license_expiry()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def run_home_import(import_id: int) -> str | None:
    """Read, check and (unless a dry run) store an uploaded directory file."""
    from homes.imports import home_import_run

    job = home_import_run(import_id=import_id)
    return job.status if job is not None else None


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def sweep_imports() -> int:
    """Every 30 s: an import whose worker died is sent again (or failed, saying so), one
    whose job was lost before it started is sent again."""
    from homes.imports import home_imports_sweep

    return home_imports_sweep()
