from __future__ import annotations

import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import worker_init
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class BrokerTransport(kombu_redis.Transport):
    """kombu's Redis transport, closing every channel of a lost connection (the
    broker transport when the broker is Redis: settings.CELERY_BROKER_TRANSPORT).

    When Redis goes away under a worker, Celery closes the broken connection
    (`Consumer.on_connection_error_after_connected`: `collect()`, then `close()`).
    kombu 5.7's `close_connection` stops at the first channel whose close fails (the
    gossip or control channel's: it deletes its fanout binding on the Redis that is gone),
    and `collect()` detaches the transport all the same. The task channel, whose first
    close was cut short by the BRPOP it had in flight, is left open holding the tasks
    not yet acknowledged; `close()` then closes it again, its restore builds a Redis pool
    from the detached transport and raises AttributeError ('NoneType' object has no
    attribute 'hostname'), which neither kombu nor Celery catches: the worker exited
    (issue 27; tests/config/test_broker_loss.py). Here every channel is closed whatever
    the others do, and the first failure is raised after, as kombu's own method does.
    """

    def close_connection(self, connection: Any) -> None:
        if self.cycle is not None:
            self.cycle.close()
        failure: BaseException | None = None
        for channels in (self._avail_channels, self.channels):
            while channels:
                channel = channels.pop()
                try:
                    channel.close()
                except self.connection_errors + self.channel_errors as exc:
                    failure = failure or exc
        if failure is not None:
            raise failure


app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# How often a worker says it is alive (its file in HARBOR_ALIVE_DIR, which
# docker-compose.yml's healthcheck reads).
WORKER_ALIVE_SECONDS = 15.0


class Liveness(bootsteps.StartStopStep):
    """Touches the worker's liveness file from its event loop: a worker whose loop hangs
    (or that cannot reach the broker) stops touching it, and the healthcheck replaces it."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        self.tref: Any = None
        super().__init__(parent, **kwargs)

    def start(self, parent: Any) -> None:
        from config.beat import alive_file, touch

        path = alive_file("worker")
        touch(path)
        self.tref = parent.timer.call_repeatedly(WORKER_ALIVE_SECONDS, touch, (path,), priority=10)

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(Liveness)


@worker_init.connect
def _solver_ready(**_: Any) -> None:
    """The worker imports the planner's solver when it starts, before forking its pool,
    so no batch spends its time limit importing OR-Tools (engine.plan.solve.solver_warm)."""
    from engine.plan.solve import solver_warm

    solver_warm()
