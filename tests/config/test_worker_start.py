"""A worker is ready to plan when it starts: OR-Tools is imported before its first batch,
so no plan spends its time limit on the import (config.celery, engine.plan.solve)."""

from __future__ import annotations

from celery.signals import worker_init

import config.celery  # noqa: F401  (connects the worker's start-up receivers)
from engine.plan import solve


def test_a_starting_worker_loads_the_solver_before_any_plan():
    solve._solver_kit.cache_clear()
    assert solve._solver_kit.cache_info().currsize == 0

    worker_init.send(sender=None)

    assert solve._solver_kit.cache_info().currsize == 1
