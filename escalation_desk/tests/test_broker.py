"""The configured Celery broker is really reachable: a message makes the round trip.

Locally this is kombu's filesystem transport; in CI it is Redis (and CI fails if it is not).
"""

from __future__ import annotations

import importlib
import os
import time
import uuid
from unittest import mock

import environ
import pytest

from tests_support import environment
from tests_support.broker import RedisServer, celery_publishing_to, redis_server  # noqa: F401  (fixture)


def test_it_round_trips_a_message_through_the_configured_broker() -> None:
    from escalation_desk.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=2)
        if environment.uses_redis():
            assert connection.transport_cls in {"redis", "rediss"} or "redis" in str(connection.transport)
        queue = connection.SimpleQueue(f"escalation-desk-test-{uuid.uuid4().hex}")
        try:
            payload = {"ping": uuid.uuid4().hex}
            queue.put(payload)
            message = queue.get(timeout=10)
            message.ack()
            assert message.payload == payload
        finally:
            queue.clear()
            queue.close()


def test_it_bounds_every_wait_on_the_broker() -> None:
    """Connect, socket reads and writes, a pooled connection, reconnecting: BROKER_TIMEOUT_SECONDS;
    no publish retry (the outage tests are test_broker_outage.py)."""
    from django.conf import settings

    from escalation_desk.celery import app

    bound = settings.BROKER_TIMEOUT_SECONDS
    assert bound == 1.0  # the default
    options = settings.BROKER_TIMEOUT_TRANSPORT_OPTIONS
    assert options == {
        "socket_timeout": bound,
        "socket_connect_timeout": bound,
        "retry_on_timeout": False,
        "max_retries": 0,
    }
    if environment.uses_redis():
        assert app.conf.broker_transport_options == options
    assert (app.conf.broker_connection_timeout, app.conf.broker_pool_acquire_timeout) == (bound, bound)
    assert app.conf.task_publish_retry is False
    assert app.conf.broker_pool_limit == 10


def test_it_does_not_wait_for_a_pooled_connection_longer_than_the_bound(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """Every pooled connection is busy (a frozen broker holds them): the publish gives up, the row
    stays for the re-drive."""
    from escalation_desk.celery import app
    from notifications.services import enqueue_deliveries

    with celery_publishing_to(redis_server.url, timeout=0.5):
        app.conf.broker_pool_limit = 1
        try:
            with app.pool.acquire(block=True):  # the only connection, held elsewhere
                started = time.monotonic()
                assert enqueue_deliveries([1, 2, 3]) == 0
                assert time.monotonic() - started < 2.0
            assert enqueue_deliveries([1]) == 0  # the pause after the failure: nothing tried
        finally:
            app.conf.broker_pool_limit = 10


def test_it_reads_the_bound_from_the_environment_and_refuses_a_bad_one() -> None:
    from escalation_desk import settings as settings_module

    env = {"BROKER_TIMEOUT_SECONDS": "2.5", "CELERY_BROKER_URL": "redis://broker.example:6379/0"}
    try:
        with mock.patch.dict(os.environ, env):
            reloaded = importlib.reload(settings_module)
            assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"] == 2.5
            assert reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] == 2.5
            assert (
                reloaded.CELERY_BROKER_POOL_ACQUIRE_TIMEOUT
                == reloaded.CELERY_BROKER_CONNECTION_TIMEOUT
                == 2.5
            )
        for bad in ("0", "-1", "soon"):
            with (
                mock.patch.dict(os.environ, {"BROKER_TIMEOUT_SECONDS": bad}),
                pytest.raises((environ.ImproperlyConfigured, ValueError)),
            ):
                importlib.reload(settings_module)
    finally:
        importlib.reload(settings_module)
