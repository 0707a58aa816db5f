"""Fixtures for the outbox tests: a registered kind, eager Celery, a broker outage."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from escalation_desk.celery import app as celery_app
from notifications import registry
from notifications.tasks import deliver_notification
from tests_support.broker import celery_publishing_to

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
    """The Celery app really publishing, with the production settings, to a Redis nobody listens
    on (connection refused)."""
    with celery_publishing_to(UNREACHABLE_BROKER):
        yield
