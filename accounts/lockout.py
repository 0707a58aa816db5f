"""Brute-force lock-out on every login path (django-axes): who the client is, what they see, unlocking.

Axes counts failed logins per username and per IP address (settings: LOGIN_FAILURE_LIMIT,
LOGIN_COOLOFF_MINUTES). This module is the project's side of it: the client address behind our
proxies, the 429 answer in the look of the site the login came from (console for /desk/ and
/admin/, portal for /portal/, JSON for the API), and the one way to lift a lock-out (admin's
Unlock action and a completed password reset both call `unlock`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

from escalation_desk import links

logger = logging.getLogger(__name__)


def client_ip_address(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or the one our LOGIN_TRUSTED_PROXY_COUNT proxies saw."""
    proxies = int(getattr(settings, "LOGIN_TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        # Each trusted proxy appends the address it saw; anything further left is the caller's say.
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def cool_off() -> timedelta:
    return get_cool_off() or timedelta(minutes=int(getattr(settings, "LOGIN_COOLOFF_MINUTES", 15)))


def minutes_left(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """Whole minutes until this caller may try again (at most the cool-off), never less than 1."""
    latest = None
    for attempts in AxesProxyHandler.get_implementation().get_user_attempts(request, credentials):
        seen = attempts.aggregate(latest=Max("attempt_time"))["latest"]
        if seen is not None and (latest is None or seen > latest):
            latest = seen
    wait = cool_off() if latest is None else latest + cool_off() - timezone.now()
    return max(1, math.ceil(wait.total_seconds() / 60))


def lockout_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-in attempts. Try again after %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again after %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """Axes' AXES_LOCKOUT_CALLABLE: 429, as a page of the site the login came from or as JSON."""
    minutes = minutes_left(request, credentials)
    status = settings.AXES_HTTP_RESPONSE_CODE
    path = request.path
    if path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": lockout_message(minutes)}, status=status)
    else:
        portal = links.is_portal_path(path)
        response = render(
            request,
            "portal/locked_out.html" if portal else "desk/locked_out.html",
            {"minutes": minutes, "message": lockout_message(minutes), **links.sign_in_paths(portal=portal)},
            status=status,
        )
    response["Retry-After"] = str(minutes * 60)
    return response


def unlock(*, usernames: Iterable[str | None] = (), attempt_ids: Iterable[int] = (), reason: str = "") -> int:
    """Lift lock-outs: these usernames' failed attempts (from any address) and these attempt rows go."""
    names = sorted({name for name in usernames if name})
    ids = list(attempt_ids)
    if not names and not ids:
        return 0
    _total, deleted = AccessAttempt.objects.filter(Q(username__in=names) | Q(pk__in=ids)).delete()
    count = deleted.get(AccessAttempt._meta.label, 0)
    logger.info("Login lock-out lifted: %s failed-attempt rows (usernames %s) by %s", count, names, reason)
    return count
