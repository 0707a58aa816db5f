"""Structured logs: one JSON object a line, with request id, user and ticket; Celery tasks named too."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import User
from notifications import tasks as notification_tasks
from notifications.models import Channel, Notification
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the configured JSON handler writes, from the settings' own formatter and filter."""
    configurator = logging.config.DictConfigurator(settings.LOGGING)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(configurator.configure_formatter(dict(settings.LOGGING["formatters"]["json"])))
    handler.addFilter(configurator.configure_filter(dict(settings.LOGGING["filters"]["context"])))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.stream  # type: ignore[misc]
    root.removeHandler(handler)
    root.setLevel(previous)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def access_line(stream: io.StringIO, path: str) -> dict:
    return next(r for r in records(stream) if r["logger"] == "escalation_desk.request" and r["path"] == path)


def test_it_logs_json_by_default_with_debug_off() -> None:
    assert not settings.DEBUG and settings.LOG_FORMAT == "json"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"


def test_a_ticket_page_logs_a_json_line_with_request_id_user_and_ticket(
    client: Client, engineer: User, ticket: Ticket, json_lines: io.StringIO
) -> None:
    client.force_login(engineer)

    response = client.get(f"/desk/tickets/{ticket.pk}/", headers={"X-Request-ID": "lb-7f3a.42"})

    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a.42"
    line = access_line(json_lines, f"/desk/tickets/{ticket.pk}/")
    assert line["request_id"] == "lb-7f3a.42"
    assert line["user_id"] == engineer.pk and line["username"] == "erin"
    assert line["ticket"] == ticket.reference == f"ED-{ticket.pk:06d}"
    assert line["status"] == 200 and line["level"] == "INFO" and "time" in line


def test_it_replaces_an_insane_request_id_with_its_own(client: Client, json_lines: io.StringIO) -> None:
    for given in ("has spaces", "x" * 200, "semi;colon", '"quoted"'):
        response = client.get("/desk/login/", headers={"X-Request-ID": given})
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"]), given

    assert re.fullmatch(r"[0-9a-f]{32}", client.get("/desk/login/")["X-Request-ID"])
    ids = [r["request_id"] for r in records(json_lines) if r["logger"] == "escalation_desk.request"]
    assert len(set(ids)) == 5


def test_an_api_call_with_a_token_names_its_user_and_ticket(
    client: Client, customer: User, ticket: Ticket, json_lines: io.StringIO
) -> None:
    token = Token.objects.create(user=customer)

    response = client.get(f"/api/tickets/{ticket.pk}/", headers={"Authorization": f"Token {token.key}"})

    assert response.status_code == 200
    line = access_line(json_lines, f"/api/tickets/{ticket.pk}/")
    assert line["username"] == "carla" and line["ticket"] == ticket.reference
    assert line["request_id"] == response["X-Request-ID"]


def test_a_refusal_logged_by_django_carries_the_request_id(
    client: Client, engineer: User, json_lines: io.StringIO
) -> None:
    client.force_login(engineer)

    response = client.get("/desk/tickets/999999/")

    assert response.status_code == 404
    not_found = next(r for r in records(json_lines) if r["logger"] == "django.request")
    assert not_found["request_id"] == response["X-Request-ID"]
    assert "ticket" not in not_found  # a ticket the user may not see is never named


def test_a_celery_task_logs_its_name_id_and_ticket(
    ticket: Ticket, customer: User, json_lines: io.StringIO
) -> None:
    customer.email = ""
    customer.save()
    row = Notification.objects.create(
        recipient=customer,
        channel=Channel.EMAIL,
        kind="test.kind",
        subject="s",
        dedup_key="k",
        thread=f"ticket-{ticket.pk}",
    )

    result = notification_tasks.deliver_notification.apply(args=[row.pk], task_id="task-123")

    assert result.get() is False  # no address: the attempt fails and is logged
    failure = next(r for r in records(json_lines) if r["logger"] == "notifications.services")
    assert failure["task_name"] == "notifications.deliver" and failure["task_id"] == "task-123"
    assert failure["ticket"] == ticket.reference
    assert "request_id" not in failure
