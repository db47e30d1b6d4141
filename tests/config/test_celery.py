from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from homes.models import Home
from homes.tasks import nudge_stale_availability
from tests.factories import HomeFactory
from tests.worker import wait_for


@pytest.mark.postgres
@pytest.mark.redis
def test_it_nudges_stale_homes_through_a_real_worker_once(worker):
    stale = HomeFactory(availability_updated_at=timezone.now() - timedelta(hours=80))
    fresh = HomeFactory(availability_updated_at=timezone.now() - timedelta(hours=2))

    nudge_stale_availability.apply_async(queue=worker)
    assert wait_for(lambda: Home.objects.get(pk=stale.pk).stale_nudged_at is not None)
    first_nudge = Home.objects.get(pk=stale.pk).stale_nudged_at
    assert Home.objects.get(pk=fresh.pk).stale_nudged_at is None

    # Running it again is harmless: the home was nudged within the day.
    nudge_stale_availability.apply_async(queue=worker)
    marker = HomeFactory(availability_updated_at=timezone.now() - timedelta(days=5))
    nudge_stale_availability.apply_async(queue=worker)
    assert wait_for(lambda: Home.objects.get(pk=marker.pk).stale_nudged_at is not None)
    assert Home.objects.get(pk=stale.pk).stale_nudged_at == first_nudge


def test_it_runs_tasks_inline_when_no_broker_is_configured(settings):
    assert settings.CELERY_BROKER_URL == "memory://localhost/"  # nothing reaches a real broker
    assert app.conf.task_always_eager is True


def test_it_has_the_stale_nudge_on_the_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["nudge-stale-availability"]
    assert entry["task"] == nudge_stale_availability.name
