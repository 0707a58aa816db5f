"""`/health/` for load balancers: database, broker and beat freshness, as django-health-check plugins.

200 when every check passes, 503 otherwise. The public answer names each check and says "ok" or
"failing", nothing more (no host, port, error text or ages): the details go to the log
(django-health-check logs every failure with its exception under the `health_check` logger).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database as LibraryDatabase
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


def _timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS)


@dataclasses.dataclass
class Database(LibraryDatabase):
    """The library's SELECT 1, run on the request's own thread (and so its own connection)."""

    name = "database"

    def __post_init__(self) -> None:
        self.timeout = _timeout()

    async def run(self) -> None:  # type: ignore[override]
        # The library runs a sync check in a thread pool: a connection per pool thread that is
        # never closed. The request thread's connection is closed by Django at request end.
        await sync_to_async(super().run)()


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection within HEALTH_CHECK_TIMEOUT_SECONDS (no retry)."""

    name = "broker"
    timeout: datetime.timedelta = dataclasses.field(default_factory=_timeout, repr=False)

    def run(self) -> None:
        from escalation_desk.celery import app

        seconds = self.timeout.total_seconds()
        url = settings.CELERY_BROKER_URL
        # The app's own options (the filesystem transport's folders) belong to its own URL only.
        own = (app.conf.broker_transport_options or {}) if url == app.conf.broker_url else {}
        options = {**own, "socket_timeout": seconds, "socket_connect_timeout": seconds, "max_retries": 0}
        connection = app.connection_for_write(url=url, connect_timeout=seconds, transport_options=options)
        try:
            connection.ensure_connection(max_retries=0, timeout=seconds)
        except Exception as error:  # every transport has its own errors: all mean "unreachable"
            raise ServiceUnavailable("broker unreachable") from error
        finally:
            connection.release()


@dataclasses.dataclass
class Sweep(HealthCheck):
    """Beat is alive: the deadline sweep finished within HEALTH_SWEEP_MAX_AGE_SECONDS."""

    name = "sweep"

    def __post_init__(self) -> None:
        self.timeout = _timeout()

    async def run(self) -> None:
        from clocks import heartbeat

        last = await sync_to_async(heartbeat.last)(heartbeat.SWEEP)
        if last is None:
            raise ServiceUnavailable("the deadline sweep never ran")
        age = (timezone.now() - last).total_seconds()
        if age > settings.HEALTH_SWEEP_MAX_AGE_SECONDS:
            raise ServiceUnavailable(f"the deadline sweep last finished {age:.0f} s ago")


class HealthView(HealthCheckView):
    """Run every check concurrently; answer JSON with each check's name and ok/failing."""

    checks = (Database, Broker, Sweep)

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        checks = {result.check.name: "failing" if result.error else "ok" for result in results}
        healthy = all(state == "ok" for state in checks.values())
        return JsonResponse(
            {"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503
        )


health = HealthView.as_view()
