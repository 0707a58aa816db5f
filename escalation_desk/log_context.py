"""What every log line says about its cause: request id, user, ticket; in Celery, the task.

Context variables set by the request middleware (escalation_desk.middleware), the ticket getter
(tickets.selectors.get_ticket_for), notification delivery and Celery's task signals; a logging
filter copies them onto each record, so the JSON formatter (LOG_FORMAT=json) prints them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject, empty

request_var: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("request", default=None)
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
ticket_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("ticket", default=None)
task_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("task", default=None)

_TICKET_THREAD = re.compile(r"^ticket-(\d+)$")


def ticket_reference(pk: int) -> str:
    """The reference people read (ED-000123), the same as Ticket.reference."""
    return f"ED-{pk:06d}"


def bind_ticket(pk: int | None) -> None:
    """The ticket the current request or task concerns, from here on."""
    if pk:
        ticket_var.set(ticket_reference(pk))


@contextlib.contextmanager
def about_thread(thread: str) -> Iterator[None]:
    """Inside the block, log lines name the ticket of a notification's thread ("ticket-42")."""
    match = _TICKET_THREAD.match(thread or "")
    token = ticket_var.set(ticket_reference(int(match.group(1))) if match else ticket_var.get())
    try:
        yield
    finally:
        ticket_var.reset(token)


def _resolved_user(request: HttpRequest) -> Any:
    """The request's user if authentication already ran; never triggers a query of its own."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    return user if user is not None and getattr(user, "is_authenticated", False) else None


class ContextFilter(logging.Filter):
    """Copy request id, user, ticket and task onto the record (only those known)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if request_id := request_id_var.get():
            record.request_id = request_id
        request = request_var.get()
        if request is not None and (user := _resolved_user(request)) is not None:
            record.user_id = user.pk
            record.username = user.get_username()
        if ticket := ticket_var.get():
            record.ticket = ticket
        if task := task_var.get():
            record.task_name, record.task_id = task
        return True
