"""POST /api/auth/token/: DRF's token login, throttled and under the same lock-out as every login."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from escalation_desk.api import ErrorSerializer, InvalidInputSerializer

from .lockout import lockout_message, minutes_left


class LockedOut(exceptions.Throttled):
    """429 for a locked-out login: the body's detail says when to try again."""

    default_code = "locked_out"

    def __init__(self, minutes: int) -> None:
        super().__init__(wait=minutes * 60, detail=lockout_message(minutes))


class TokenLoginView(ObtainAuthToken):
    """A token for a username and password; 429 while the username or address is locked out."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(
        operation_id="auth_token_create",
        responses={
            200: AuthTokenSerializer,
            400: OpenApiResponse(
                InvalidInputSerializer, description="Wrong username or password, or a field missing."
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description="Too many failed sign-ins (locked out for a while) or too many requests: "
                "see Retry-After.",
            ),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            # Axes flags the request it saw in authenticate(): here that is DRF's Request.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut(minutes_left(request, getattr(request, "axes_credentials", None))) from None
            raise


token_login = TokenLoginView.as_view()
