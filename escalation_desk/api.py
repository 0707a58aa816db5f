"""How the API answers errors: domain refusals and bad input become 4xx, never a 500.

Every error body carries "detail"; a refusal adds the list of what is "missing" (409), bad
input adds field "errors" (400). Django's PermissionDenied and Http404 keep their message.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.relations import ManyRelatedField
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.input_guard import is_number
from escalation_desk.paging import CappedPaginator

INVALID_INPUT = "The input was not accepted."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the domain errors of escalation_desk.domain."""
    if isinstance(exc, Refused):
        set_rollback()
        return Response({"detail": exc.message, "missing": exc.missing}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, InvalidInput):
        set_rollback()
        return Response(
            {"detail": str(exc) or INVALID_INPUT, "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST
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
        response.data = {"detail": INVALID_INPUT, "errors": field_errors(response.data)}
    elif response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        # A body that could not be parsed (JSON, multipart): the documented shape all the same.
        detail = str(response.data.get("detail", "")) if isinstance(response.data, dict) else ""
        response.data = {
            "detail": detail or INVALID_INPUT,
            "errors": {"non_field_errors": [detail or INVALID_INPUT]},
        }
    return response


def field_errors(data: Any) -> dict[str, list[str]]:
    """DRF's error tree as {field: [message, …]}: a nested error says where, inside its field."""
    if not isinstance(data, dict):
        return {"non_field_errors": _messages(data)}
    return {str(name): _messages(value) for name, value in data.items()}


def _messages(value: Any, where: str = "") -> list[str]:
    """Every message of one field's errors; those of list items and nested objects say where."""
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                found += _messages(inner, where)
            elif isinstance(key, int) or str(key).isdigit():
                found += _messages(inner, _join(where, _("item %(n)s") % {"n": int(key) + 1}))
            else:
                found += _messages(inner, _join(where, str(key)))
        return found
    if isinstance(value, list | tuple):
        found = []
        for index, inner in enumerate(value):
            if isinstance(inner, dict | list | tuple):
                found += _messages(
                    inner, _join(where, _("item %(n)s") % {"n": index + 1}) if inner else where
                )
            else:
                found.append(f"{where}: {inner}" if where else str(inner))
        return found
    return [f"{where}: {value}" if where else str(value)]


def _join(where: str, part: str) -> str:
    return f"{where}, {part}" if where else part


@csrf_exempt  # a 404 whatever the method: no session cookie changes that
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any address under /api/ that no route matches (e.g. /api/tickets/0.5/): JSON, as documented."""
    return JsonResponse({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/ (as the schema documents), Django's 404 page elsewhere."""
    if request.path_info.startswith("/api/"):
        return not_found(request)
    return defaults.page_not_found(request, exception)


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


class InstantField(serializers.DateTimeField):
    """A date and time given as input: from 1900 to 9998 (far dates have no offset in whole minutes)."""

    default_error_messages = {"range": _("Give a date and time between 1900 and 9998.")}

    def to_internal_value(self, value: Any) -> Any:
        try:
            instant = super().to_internal_value(value)
        except OverflowError:  # an offset that pushes it past year 9999
            self.fail("range")
        if not 1900 <= instant.year <= 9998:
            self.fail("range")
        return instant


# Fields that hold other fields, bound in turn: copied deeply (BuiltOnceModelSerializer).
NESTING_FIELDS = (serializers.BaseSerializer, ManyRelatedField, serializers.ListField, serializers.DictField)


class BuiltOnceModelSerializer(serializers.ModelSerializer):
    """A model serializer whose fields are built from the model once per class, not per instance.

    ModelSerializer works its fields out from the model's metadata every time one is created, and
    one answer creates a dozen (a ticket's detail: the ticket, its people, team, events), which was
    the API's create's largest cost after the database (issue 12). The fields depend only on the
    class (Meta and the declared fields), so the first build is kept and each instance gets a deep
    copy of it. A field holding other fields (a nested serializer, a list) is copied deeply, as
    DRF copies declared fields; any other is copied shallowly, which is what binding it needs and a
    third of the cost. A subclass whose fields depend on the request adjusts the copy in its own
    get_fields().
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return {
            name: copy.deepcopy(field) if isinstance(field, NESTING_FIELDS) else copy.copy(field)
            for name, field in built.items()
        }


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


class CappedPagePagination(PagePagination):
    """PagePagination that never counts the whole list (escalation_desk.paging): `count` is
    exact up to the cap (1,000) and then stays at the cap with `count_exact` false; `next`
    still leads past it. ?page=last counts in full."""

    django_paginator_class = CappedPaginator

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = super().get_page_number(request, paginator)
        return paginator.last_page_number if raw in self.last_page_strings else raw

    def get_paginated_response(self, data: Any) -> Response:
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, paginator.cap),
                "count_exact": not paginator.capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "False when there are more rows than `count` (the count stops at the cap).",
        }
        response["required"] = [*response.get("required", []), "count_exact"]
        return response


def viewer_of(serializer: serializers.Serializer) -> Any:
    """The user an input serializer reads for; without a request, an anonymous one (offered nobody)."""
    request = serializer.context.get("request")
    return getattr(request, "user", None) or AnonymousUser()


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


def valid_input(
    serializer_class: type[serializers.Serializer], request: Request, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The request's data read by the serializer (which sees the request: choices are scoped to
    its user); a 400 with field errors otherwise."""
    serializer = serializer_class(data=request.data, context={"request": request, **(context or {})})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
