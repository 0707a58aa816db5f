"""How the API answers errors: domain refusals and bad input become 4xx, never a 500.

Every error body carries "detail"; a refusal adds the list of what is "missing" (409), bad
input adds field "errors" (400). Django's PermissionDenied and Http404 keep their message.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from escalation_desk.domain import InvalidInput, Refused

INVALID_INPUT = "The input was not accepted."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the domain errors of escalation_desk.domain."""
    if isinstance(exc, Refused):
        set_rollback()
        return Response(
            {"detail": exc.message, "missing": exc.missing}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, InvalidInput):
        set_rollback()
        return Response(
            {"detail": str(exc) or INVALID_INPUT, "errors": exc.errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        # A model-level rule (e.g. the append-only timeline) the input ran into.
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        set_rollback()
        return Response(
            {"detail": "; ".join(exc.messages) or INVALID_INPUT, "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        # Serializer errors get the same shape as InvalidInput: a detail and field errors.
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": INVALID_INPUT, "errors": errors}
    return response


# --- the error bodies above, for every app's schema ---------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class InvalidInputSerializer(ErrorSerializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class RefusalSerializer(ErrorSerializer):
    missing = serializers.ListField(child=serializers.CharField(), help_text="What the action still needs.")
