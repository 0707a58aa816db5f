"""The API's browsable docs (ReDoc, Swagger UI), with nothing loaded from outside (SPEC §9).

The sidecar serves both bundles from this site and templates/drf_spectacular/ drop the web fonts;
ReDoc's sidebar still shows Redocly's logo from cdn.redoc.ly, so the pages carry a
Content-Security-Policy that lets the browser fetch from this site only (and data:/blob: URLs the
bundles build themselves): an outside request is never even sent.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response

DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        # Both pages start their bundle with an inline script (drf-spectacular's templates).
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class _LocalOnly:
    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)  # type: ignore[misc]
        response["Content-Security-Policy"] = DOCS_CSP
        return response


class RedocView(_LocalOnly, SpectacularRedocView):
    """ReDoc at /api/redoc/."""


class SwaggerView(_LocalOnly, SpectacularSwaggerView):
    """Swagger UI at /api/docs/."""
