"""Who gets the browsable API (issue 10): support staff only; everyone else JSON.

Its own module: DRF reads DEFAULT_CONTENT_NEGOTIATION_CLASS while defining APIView, so this
must not import rest_framework.views (escalation_desk.api does).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer
from rest_framework.request import Request


class StaffBrowsableNegotiation(DefaultContentNegotiation):
    """The browsable API is for support staff; customers and anonymous callers always get JSON.

    Its forms list choices and echo the request; a customer has no use for them and must not
    see what a form could offer (REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]).
    """

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if asked:
            # An unknown format (/api/tickets/0.5/) is a 404 before anyone is authenticated, as
            # DRF's own negotiation answers it: asking for request.user first would make a
            # session POST without its CSRF token a 403 instead.
            self.filter_renderers(renderers, asked)
        user = request.user
        if user.is_active and user.is_staff:
            return super().select_renderer(request, renderers, format_suffix)
        renderers = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)] or renderers
        if asked == "api":
            return renderers[0], renderers[0].media_type  # the browsable page asked for: JSON instead
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type  # Accept: text/html and the like: JSON
