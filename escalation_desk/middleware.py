"""The request's identity in the logs: an X-Request-ID (the caller's if sane), echoed in the response."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from . import log_context

logger = logging.getLogger("escalation_desk.request")

HEADER = "X-Request-ID"
# A proxy's or client's id is kept when it is short and plain (no spaces, quotes or newlines).
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$")
# Load balancers and Prometheus ask every few seconds: their lines only at DEBUG.
QUIET_PATHS = ("/health/", "/metrics/")


def request_id_for(request: HttpRequest) -> str:
    """The caller's X-Request-ID when sane, else a new random one."""
    given = request.headers.get(HEADER, "")
    return given if SANE_REQUEST_ID.match(given) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Bind request id and request for the log filter; one access line per request; echo the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        # Cleared on request_finished, not here: Django logs 4xx/5xx ("Not Found: ...") after the
        # middleware chain returned, and those lines must carry the request id too.
        log_context.request_id_var.set(request_id)
        log_context.request_var.set(request)
        log_context.ticket_var.set(None)
        started = time.monotonic()
        response = self.get_response(request)
        response[HEADER] = request_id
        level = logging.DEBUG if request.path.startswith(QUIET_PATHS) else logging.INFO
        logger.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


@receiver(request_finished)
def forget_request(**kwargs: object) -> None:
    """After the response went out, log lines belong to no request."""
    log_context.request_id_var.set(None)
    log_context.request_var.set(None)
    log_context.ticket_var.set(None)
