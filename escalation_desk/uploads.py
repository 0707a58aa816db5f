"""Request bodies over the upload limit are refused early with 413 (issue 10 point 11).

`UploadLimitMiddleware` runs before anything reads the body (CSRF reads a form's token from it,
views read request.POST/FILES or DRF's request.data):

- a declared Content-Length over UPLOAD_MAX_REQUEST_BYTES is refused before a byte is read;
- a body without Content-Length (Transfer-Encoding: chunked) is read only up to the limit into a
  spooled file: past it the request is refused, within it the body gets its length (Django and
  DRF otherwise treat such a body as empty);
- within the limit, the stream is capped at the declared length, so a server that hands Django an
  unbounded stream (ASGI) cannot be made to read more than was declared.

The API answers the 413 in its error shape (JSON); the console and the portal a page that says
what the limit is and that going back keeps what was typed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CHUNK = 64 * 1024
API_PREFIX = "/api/"


def limit_in_words() -> str:
    """The limits as a person reads them: the whole submission and each file."""
    return _("A submission may carry at most %(request)s, and each file at most %(file)s.") % {
        "request": filesizeformat(settings.UPLOAD_MAX_REQUEST_BYTES),
        "file": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
    }


def too_large(request: HttpRequest) -> HttpResponse:
    """413: JSON in the API's error shape on /api/, a page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": _("The request is too large."), "errors": {"files": [limit_in_words()]}}, status=413
        )
    return render(request, "413.html", {"limits": limit_in_words()}, status=413)


def _declared_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, ""):
        return None
    try:
        return max(int(raw), 0)
    except (TypeError, ValueError):
        return None


def _unlength_source(request: HttpRequest) -> object | None:
    """Where a body without Content-Length can be read to its end: the stream of a WSGI server
    that ends it (wsgi.input_terminated: gunicorn, mod_wsgi) or the body ASGI buffered; None when
    reading could wait forever (the server leaves it to Django, which then reads nothing)."""
    environ = getattr(request, "environ", None)
    if environ is None:
        return request._stream  # ASGI: the whole body, already received
    return environ["wsgi.input"] if environ.get("wsgi.input_terminated") else None


def _spool_unlength_body(request: HttpRequest, source: object, limit: int) -> bool:
    """Read a body without Content-Length up to `limit`; False once it passes the limit."""
    # The request's body from now on: it lives as long as the request (closed when collected).
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    size = 0
    while True:
        chunk = source.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            spool.close()
            return False
        spool.write(chunk)
    spool.seek(0)
    request.META["CONTENT_LENGTH"] = str(size)
    request._stream = LimitedStream(spool, size)
    return True


class UploadLimitMiddleware:
    """Refuses request bodies over UPLOAD_MAX_REQUEST_BYTES with 413, reading at most that much."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in BODY_METHODS:
            limit = settings.UPLOAD_MAX_REQUEST_BYTES
            length = _declared_length(request)
            if length is not None and length > limit:
                return too_large(request)
            if length is None and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                source = _unlength_source(request)
                if source is not None and not _spool_unlength_body(request, source, limit):
                    return too_large(request)
            elif length is not None and not isinstance(request._stream, LimitedStream):
                request._stream = LimitedStream(request._stream, length)
        return self.get_response(request)
