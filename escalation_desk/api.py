"""How the API answers errors: domain refusals and bad input become 4xx, never a 500.

Every error body carries "detail"; a refusal adds the list of what is "missing" (409), bad
input adds field "errors" (400). Django's PermissionDenied and Http404 keep their message.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.input_guard import is_number

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


def error_responses(what: str, *codes: int) -> dict[int, OpenApiResponse]:
    """The schema's error answers of an action on `what` (all four unless codes are named)."""
    known = {
        400: OpenApiResponse(InvalidInputSerializer, description="Input not accepted."),
        403: OpenApiResponse(ErrorSerializer, description="Visible, but not allowed for this user."),
        404: OpenApiResponse(ErrorSerializer, description=f"No such {what} (or not visible)."),
        409: OpenApiResponse(RefusalSerializer, description="Refused, with what is missing."),
    }
    return {code: known[code] for code in (codes or (400, 403, 404, 409))}


# --- the pieces every app's viewsets share ---------------------------------------------------


class PagePagination(PageNumberPagination):
    """Lists one page at a time; ?page_size= up to 100. Not a number: 400; no such page: 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw not in self.last_page_strings and not is_number(raw):
            raise InvalidInput({self.page_query_param: [_("A page number: 1, 2, 3…")]})
        return raw

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param) or ""
        if raw and not (is_number(raw) and int(raw) >= 1):
            raise InvalidInput({self.page_size_query_param: [_("A number of rows from 1 to 100.")]})
        return super().get_page_size(request)


class InputsByAction:
    """The action's input serializer for the browsable API and OPTIONS (reads use their own)."""

    inputs: dict[str, type[serializers.Serializer]] = {}
    output: type[serializers.Serializer] = serializers.Serializer

    def get_serializer_class(self) -> type[serializers.Serializer]:
        name = self.action
        if name in (None, "metadata"):
            # OPTIONS has no action of its own; DRF's metadata asks as if for the POST.
            name = getattr(self, "action_map", {}).get(self.request.method.lower())
        return self.inputs.get(name, self.output)


def valid_input(serializer_class: type[serializers.Serializer], request: Request,
                context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request's data read by the serializer; a 400 with field errors otherwise."""
    serializer = serializer_class(data=request.data, context=context or {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
