"""The published OpenAPI schema, made to say every answer the API can give (issue 10, point 9).

drf-spectacular documents what each action declares; the answers every request may get whatever
the action (input not accepted, not authenticated, not allowed, no such object or page, too many
requests, a change refused in the object's state, a body too large or of a type not read) are
added here once, to every operation that does not document its own. Schemathesis checks the live
API against the result (escalation_desk/tests/test_api_contract.py).
"""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}
INVALID_INPUT = {"$ref": "#/components/schemas/InvalidInput"}
REFUSAL = {"$ref": "#/components/schemas/Refusal"}

# code: (schema, description); the last two only where the operation reads a body.
EVERY_OPERATION = {
    "400": (INVALID_INPUT, "Input not accepted (a filter, a field, or a body that cannot be read)."),
    "401": (ERROR, "Not authenticated: no credentials, or a token that is not valid."),
    "403": (ERROR, "Not allowed for this user."),
    "404": (ERROR, "No such object or page (or not visible to this user)."),
    "429": (ERROR, "Too many requests: wait and try again."),
}
# Every change is a POST to a service that may refuse it in the state the object is in.
CHANGES = {"409": (REFUSAL, "Refused in the object's current state, with what is missing.")}
WITH_A_BODY = {
    "413": (ERROR, "The body is larger than the upload limit."),
    "415": (ERROR, "A content type the operation does not read."),
}

ERROR_COMPONENT = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
INVALID_INPUT_COMPONENT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Messages by field name; an error inside a list item or a nested object "
            'names it in the message ("item 2, owner: This field is required."). '
            "Errors that belong to no field are under non_field_errors.",
        },
    },
    "required": ["detail", "errors"],
}
REFUSAL_COMPONENT = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "missing": {"type": "array", "items": {"type": "string"}}},
    "required": ["detail", "missing"],
}


def add_common_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the shared error answers on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_COMPONENT)
    schemas.setdefault("InvalidInput", INVALID_INPUT_COMPONENT)
    schemas.setdefault("Refusal", REFUSAL_COMPONENT)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            common = {
                **EVERY_OPERATION,
                **(CHANGES if method == "post" else {}),
                **(WITH_A_BODY if "requestBody" in operation else {}),
            }
            for code, (schema, description) in common.items():
                responses.setdefault(
                    code, {"content": {"application/json": {"schema": schema}}, "description": description}
                )
    return result
