"""Harbor's Celery app with its redelivery timings in seconds rather than minutes, for
tests/config/test_redelivery.py (`celery -A tests.worker_scaled worker`): the same rule as
config/settings.py (the visibility timeout is the hard time limit plus a margin; every
worker looks for overdue jobs every `unacked_restore_interval`), scaled down."""

from __future__ import annotations

from config.celery import app

TIME_LIMIT = 4
MARGIN = 2
RESTORE_INTERVAL = 1

app.conf.task_time_limit = TIME_LIMIT
app.conf.task_soft_time_limit = TIME_LIMIT - 0.5
app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "visibility_timeout": TIME_LIMIT + MARGIN,
    "unacked_restore_interval": RESTORE_INTERVAL,
}
