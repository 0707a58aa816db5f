"""/metrics/ for Prometheus: not public (token or internal network), our gauges read from the rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from accounts.models import User
from clocks import heartbeat
from clocks.models import Deadline, DeadlineState
from notifications.models import Channel, Notification, State
from tests_support.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token"
OUR_METRICS = (
    "escalation_desk_sweep_lag_seconds",
    "escalation_desk_deadlines_due",
    "escalation_desk_last_sweep_age_seconds",
    "escalation_desk_outbox_backlog",
    "escalation_desk_outbox_oldest_age_seconds",
    "escalation_desk_notifications",
    "escalation_desk_notification_failed_attempts",
)


@pytest.fixture(autouse=True)
def scrape_token(settings: object) -> None:
    settings.METRICS_TOKEN = TOKEN  # type: ignore[attr-defined]
    settings.METRICS_ALLOWED_NETWORKS = []  # type: ignore[attr-defined]


def scrape(client: Client) -> dict[str, float]:
    response = client.get("/metrics/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    values = {}
    for line in response.content.decode().splitlines():
        if match := re.match(r"^(escalation_desk_\w+(?:\{[^}]*\})?) (\S+)$", line):
            values[match.group(1)] = float(match.group(2))
    return values | {"__text__": response.content.decode()}  # type: ignore[dict-item]


def notification(
    user: User,
    state: str,
    *,
    key: str,
    attempts: int = 0,
    channel: str = Channel.EMAIL,
    age: timedelta = timedelta(0),
) -> Notification:
    return Notification.objects.create(
        recipient=user,
        channel=channel,
        kind="test.kind",
        subject="s",
        dedup_key=key,
        state=state,
        attempts=attempts,
        created_at=timezone.now() - age,
    )


def deadline(*, due_ago: timedelta, state: str = DeadlineState.PENDING) -> Deadline:
    return Deadline.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_id=1,
        kind="test.kind",
        due_at=timezone.now() - due_ago,
        state=state,
    )


def test_it_is_not_found_without_the_token(client: Client) -> None:
    assert client.get("/metrics/").status_code == 404
    assert client.get("/metrics/", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics/", headers={"Authorization": f"Token {TOKEN}"}).status_code == 404


def test_it_is_not_found_for_anyone_when_nothing_is_configured(client: Client, settings: object) -> None:
    settings.METRICS_TOKEN = ""  # type: ignore[attr-defined]

    assert client.get("/metrics/").status_code == 404
    assert client.get("/metrics/", headers={"Authorization": "Bearer "}).status_code == 404


def test_it_answers_an_allowed_network_and_nobody_else(client: Client, settings: object) -> None:
    settings.METRICS_TOKEN = ""  # type: ignore[attr-defined]
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.1"]  # type: ignore[attr-defined]

    assert client.get("/metrics/", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics/", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics/", REMOTE_ADDR="203.0.113.9").status_code == 404
    # A forwarded-for header is the caller's word: it never opens the door.
    assert (
        client.get("/metrics/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 404
    )


def test_it_answers_our_metrics_and_django_prometheus_ones_with_the_token(client: Client) -> None:
    client.get("/desk/login/")  # one request and its queries, to be counted

    values = scrape(client)

    text = values["__text__"]
    for name in OUR_METRICS:
        assert f"\n{name}" in text, name
    assert "django_http_requests_total_by_view_transport_method_total" in text
    assert "django_http_requests_latency_seconds_by_view_method" in text
    assert "django_db_execute_total" in text


def test_it_reads_the_gauges_from_the_rows(client: Client) -> None:
    erin, otto = UserFactory(username="erin"), UserFactory(username="otto")
    notification(erin, State.PENDING, key="a", age=timedelta(minutes=10))
    notification(erin, State.SENDING, key="b", attempts=1)
    notification(erin, State.SENT, key="c", attempts=2)
    notification(otto, State.FAILED, key="d", attempts=5)
    notification(otto, State.SENT, key="e", channel=Channel.IN_APP)
    deadline(due_ago=timedelta(minutes=3))
    deadline(due_ago=timedelta(minutes=1))
    deadline(due_ago=timedelta(hours=2), state=DeadlineState.FIRED)
    deadline(due_ago=-timedelta(hours=1))  # not due yet
    heartbeat.record(heartbeat.SWEEP, at=timezone.now() - timedelta(seconds=45))

    values = scrape(client)

    assert 180 <= values["escalation_desk_sweep_lag_seconds"] < 200
    assert values["escalation_desk_deadlines_due"] == 2
    assert 45 <= values["escalation_desk_last_sweep_age_seconds"] < 60
    assert values["escalation_desk_outbox_backlog"] == 2
    assert 600 <= values["escalation_desk_outbox_oldest_age_seconds"] < 620
    assert values['escalation_desk_notifications{channel="email",state="sent"}'] == 1
    assert values['escalation_desk_notifications{channel="email",state="failed"}'] == 1
    assert values['escalation_desk_notifications{channel="in_app",state="sent"}'] == 1
    assert values['escalation_desk_notification_failed_attempts{channel="email"}'] == 8


def test_it_says_when_the_sweep_never_ran(client: Client) -> None:
    assert scrape(client)["escalation_desk_last_sweep_age_seconds"] == float("inf")
    assert scrape(client)["escalation_desk_sweep_lag_seconds"] == 0


def test_its_query_count_does_not_grow_with_the_rows(
    client: Client, django_assert_num_queries: object
) -> None:
    erin = UserFactory(username="erin")
    with django_assert_num_queries(3):  # deadlines, heartbeat, notifications
        scrape(client)

    for n in range(30):
        notification(erin, State.PENDING if n % 2 else State.SENT, key=f"k{n}")
        deadline(due_ago=timedelta(minutes=n))
    heartbeat.record(heartbeat.SWEEP)

    with django_assert_num_queries(3):
        scrape(client)
