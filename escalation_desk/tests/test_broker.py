"""The configured Celery broker is really reachable: a message makes the round trip.

Locally this is kombu's filesystem transport; in CI it is Redis (and CI fails if it is not).
"""

from __future__ import annotations

import uuid

from tests_support import environment


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
