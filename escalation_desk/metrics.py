"""`/metrics/` for Prometheus: django-prometheus's process metrics plus ours, computed from rows.

Requests, latencies and database queries come from django-prometheus (its middleware and
database backends). Our own metrics are gauges read from the database at scrape time (three
queries, whatever the number of rows), so they are the same whichever web process answers and
count what the workers did, which run in other processes. Not public: a bearer token
(METRICS_TOKEN) or an address in METRICS_ALLOWED_NETWORKS, else 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class DeskCollector(Collector):
    """Sweep lag, last sweep age, outbox backlog, deliveries and failures, from the rows."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        yield from self._sweep(now)
        yield from self._outbox(now)

    def _sweep(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        """How far the deadline sweep lags: the oldest due deadline, how many, its last run."""
        from clocks import heartbeat
        from clocks.models import Deadline, DeadlineState

        due = (
            Deadline.objects.filter(state=DeadlineState.PENDING)
            .alias(next_due=Coalesce("next_attempt_at", "due_at"))
            .filter(next_due__lte=now)
            .aggregate(oldest=Min(Coalesce("next_attempt_at", "due_at")), count=Count("pk"))
        )
        yield GaugeMetricFamily(
            "escalation_desk_sweep_lag_seconds",
            "Age of the oldest due deadline not fired yet (0: the sweep is up to date).",
            value=(now - due["oldest"]).total_seconds() if due["oldest"] else 0.0,
        )
        yield GaugeMetricFamily(
            "escalation_desk_deadlines_due", "Due deadlines not fired yet.", value=due["count"]
        )

        last = heartbeat.last(heartbeat.SWEEP)
        yield GaugeMetricFamily(
            "escalation_desk_last_sweep_age_seconds",
            "Seconds since the deadline sweep last finished (+Inf: never).",
            value=(now - last).total_seconds() if last else math.inf,
        )

    def _outbox(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        """Notifications by channel and state, failed attempts, and the e-mail backlog."""
        from notifications.models import Channel, Notification, State

        rows = (
            Notification.objects.order_by()
            .values("channel", "state")
            .annotate(count=Count("pk"), failed_attempts=Sum("attempts"), oldest=Min("created_at"))
        )
        by_state = GaugeMetricFamily(
            "escalation_desk_notifications",
            "Notifications by channel and state (sent: delivered, "
            "failed: given up after NOTIFICATIONS_MAX_ATTEMPTS).",
            labels=["channel", "state"],
        )
        attempts = GaugeMetricFamily(
            "escalation_desk_notification_failed_attempts",
            "Failed delivery attempts, summed over the rows.",
            labels=["channel"],
        )
        failed_attempts: dict[str, int] = dict.fromkeys(Channel.values, 0)
        counts = {(channel, state): 0 for channel in Channel.values for state in State.values}
        backlog, oldest_pending = 0, None
        for row in rows:
            counts[(row["channel"], row["state"])] = row["count"]
            failed_attempts[row["channel"]] = failed_attempts.get(row["channel"], 0) + (
                row["failed_attempts"] or 0
            )
            if row["channel"] == Channel.EMAIL and row["state"] in (State.PENDING, State.SENDING):
                backlog += row["count"]
                oldest_pending = min(filter(None, (oldest_pending, row["oldest"])))
        for (channel, state), count in counts.items():
            by_state.add_metric([channel, state], count)
        for channel, count in failed_attempts.items():
            attempts.add_metric([channel], count)
        yield by_state
        yield attempts
        yield GaugeMetricFamily(
            "escalation_desk_outbox_backlog",
            "E-mail notifications waiting to be delivered (pending or sending).",
            value=backlog,
        )
        yield GaugeMetricFamily(
            "escalation_desk_outbox_oldest_age_seconds",
            "Age of the oldest e-mail notification waiting (0: none).",
            value=(now - oldest_pending).total_seconds() if oldest_pending else 0.0,
        )


DESK_REGISTRY = CollectorRegistry(auto_describe=False)
DESK_REGISTRY.register(DeskCollector())


def may_scrape(request: HttpRequest) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a peer address in METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        peer in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_NETWORKS
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format: django-prometheus's registry, then ours; 404 to anyone else."""
    if not may_scrape(request):
        raise Http404
    response = ExportToDjangoView(request)
    response.content = response.content + generate_latest(DESK_REGISTRY)
    return response
