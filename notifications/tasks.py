from __future__ import annotations

from celery import shared_task

from notifications.services import notification_email, notifications_email_unsent


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id: int) -> bool:
    """Email one notification; a notification already emailed is skipped."""
    return notification_email(notification_id=notification_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_unsent_notifications() -> int:
    """Every few minutes: email what the per-notification task did not."""
    return notifications_email_unsent()
