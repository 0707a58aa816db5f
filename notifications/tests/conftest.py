"""Fixtures for the outbox tests: a registered kind, eager Celery, a broker outage."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from kombu import pools as kombu_pools
from kombu.exceptions import OperationalError

from escalation_desk.celery import app as celery_app
from notifications import registry
from notifications.tasks import deliver_notification

KIND = "test.sla_warning"


@pytest.fixture(autouse=True)
def sla_warning_kind() -> Iterator[registry.Kind]:
    kind = registry.register(KIND, subject="[{{ reference }}] SLA warning: {{ summary }}")
    yield kind
    registry.unregister(KIND)


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run in-process when queued: no message reaches the developer's broker folder."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def broker_down() -> Iterator[mock.MagicMock]:
    """Publishing fails the way kombu reports an unreachable Redis (the real broker is tested
    in escalation_desk/tests/test_broker.py)."""
    outage = OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    with mock.patch.object(deliver_notification, "apply_async", side_effect=outage) as publish:
        yield publish


@pytest.fixture
def failing_smtp(settings: object) -> None:
    settings.EMAIL_BACKEND = "notifications.tests.backends.FailingBackend"


UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def unreachable_broker() -> Iterator[None]:
    """The Celery app really publishing to a Redis nobody listens on (connection refused)."""
    keys = ["broker_url", "broker_write_url", "broker_transport_options", "task_publish_retry",
            "broker_connection_timeout"]
    previous = {key: celery_app.conf[key] for key in keys}

    def reset_pools() -> None:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        # kombu's process-wide producer pools may wrap the pool closed above: start afresh, or
        # the next test to publish gets "Acquire on closed pool".
        kombu_pools.reset()

    reset_pools()
    celery_app.conf.update(
        broker_url=UNREACHABLE_BROKER, broker_write_url=UNREACHABLE_BROKER, broker_transport_options={},
        task_publish_retry=False, broker_connection_timeout=1,
    )
    try:
        yield
    finally:
        reset_pools()
        celery_app.conf.update(previous)
