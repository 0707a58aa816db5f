"""/health/ for load balancers: 200 when database, broker and beat are fine, 503 naming the failing check."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from clocks import heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def swept_now() -> None:
    heartbeat.record(heartbeat.SWEEP)


@pytest.fixture
def frozen_broker() -> Iterator[str]:
    """A port that accepts TCP connections and never answers: a frozen (SIGSTOPped) Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nobody listens once the probe is closed


def test_it_answers_200_when_everything_is_healthy(
    client: Client, swept_now: None, django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(2):  # SELECT 1, the heartbeat
        response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "sweep": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_when_the_last_sweep_is_stale(
    client: Client, swept_now: None, settings: object
) -> None:
    later = timezone.now() + timedelta(seconds=settings.HEALTH_SWEEP_MAX_AGE_SECONDS + 5)  # type: ignore[attr-defined]
    with time_machine.travel(later, tick=True):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "sweep": "failing"}


def test_it_answers_503_when_the_sweep_never_ran(client: Client) -> None:
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["sweep"] == "failing"


def test_it_answers_503_quickly_when_the_broker_is_unreachable(
    client: Client, swept_now: None, settings: object
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"  # type: ignore[attr-defined]

    started = time.monotonic()
    response = client.get("/health/")

    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "checks": {"database": "ok", "broker": "failing", "sweep": "ok"},
    }


def test_it_answers_503_within_its_timeout_when_the_broker_is_frozen(
    client: Client, swept_now: None, settings: object, frozen_broker: str
) -> None:
    settings.CELERY_BROKER_URL = frozen_broker  # type: ignore[attr-defined]
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 1  # type: ignore[attr-defined]

    started = time.monotonic()
    response = client.get("/health/")

    assert time.monotonic() - started < 4
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failing"


def test_it_tells_the_public_nothing_but_which_check_failed(client: Client, settings: object) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"  # type: ignore[attr-defined]

    body = client.get("/health/").content.decode()

    assert "127.0.0.1" not in body and "redis" not in body.lower() and "never" not in body
    assert "Traceback" not in body


def test_it_answers_over_plain_http_with_https_enforced(
    client: Client, swept_now: None, settings: object
) -> None:
    """Load balancers probe the node itself, often without TLS."""
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]

    assert client.get("/health/").status_code == 200
    assert client.get("/desk/").status_code == 301
