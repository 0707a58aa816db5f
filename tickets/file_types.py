"""What a stored file is, read from its own bytes (libmagic), never from the uploader's claim.

A download is served as the type found in its bytes only when that type is one we serve and
the file's name agrees with it; anything else (HTML, SVG, XML, scripts, unknown bytes, a PNG
named report.txt) goes out as application/octet-stream. Downloads are always attachments and
carry X-Content-Type-Options: nosniff, so a browser never renders one as a page.
"""

from __future__ import annotations

import os
from typing import IO

import magic
from django.http import FileResponse, Http404
from django.utils.translation import gettext

from .models import Attachment

SNIFF_BYTES = 8192  # enough for libmagic to tell text from binary and to read an OOXML zip
OCTET_STREAM = "application/octet-stream"
_OOXML = "application/vnd.openxmlformats-officedocument."

# The type found in the bytes → (the type served, the extensions it may carry).
SERVED: dict[str, tuple[str, frozenset[str]]] = {
    "text/plain": ("text/plain", frozenset({"txt", "log", "csv", "yaml", "yml", "json", "har", "eml"})),
    "text/csv": ("text/csv", frozenset({"csv", "txt", "log"})),
    "application/json": ("application/json", frozenset({"json", "har", "txt", "log"})),
    "message/rfc822": ("message/rfc822", frozenset({"eml", "txt"})),
    "application/vnd.ms-outlook": ("application/vnd.ms-outlook", frozenset({"msg"})),
    "image/png": ("image/png", frozenset({"png"})),
    "image/jpeg": ("image/jpeg", frozenset({"jpg", "jpeg"})),
    "image/gif": ("image/gif", frozenset({"gif"})),
    "image/webp": ("image/webp", frozenset({"webp"})),
    "application/pdf": ("application/pdf", frozenset({"pdf"})),
    "application/zip": ("application/zip", frozenset({"zip"})),
    "application/gzip": ("application/gzip", frozenset({"gz"})),
    "application/x-gzip": ("application/gzip", frozenset({"gz"})),
    f"{_OOXML}wordprocessingml.document": (f"{_OOXML}wordprocessingml.document", frozenset({"docx"})),
    f"{_OOXML}spreadsheetml.sheet": (f"{_OOXML}spreadsheetml.sheet", frozenset({"xlsx"})),
    f"{_OOXML}presentationml.presentation": (f"{_OOXML}presentationml.presentation", frozenset({"pptx"})),
}

# Every type a download may carry (the schema lists them).
SERVED_MEDIA_TYPES = sorted({OCTET_STREAM, *(served for served, _ in SERVED.values())})


def detected_type(head: bytes) -> str:
    """The MIME type libmagic reads in the first bytes of a file."""
    return magic.from_buffer(head, mime=True) if head else OCTET_STREAM


def served_type(name: str, head: bytes) -> str:
    """The type a file is served as: what its bytes are, if we serve that and the name agrees."""
    served, extensions = SERVED.get(detected_type(head), (OCTET_STREAM, frozenset()))
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    return served if extension in extensions else OCTET_STREAM


def read_head(handle: IO[bytes]) -> bytes:
    """The first bytes of an open file, leaving it where it was."""
    position = handle.tell()
    head = handle.read(SNIFF_BYTES)
    handle.seek(position)
    return head


def download_response(attachment: Attachment) -> FileResponse:
    """The file as an attachment under its original name, typed from its stored bytes."""
    try:
        handle = attachment.file.open("rb")
    except OSError:
        raise Http404(gettext("The file is no longer available.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=served_type(attachment.original_name, read_head(handle)),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
