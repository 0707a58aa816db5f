"""Notification kinds: each app registers the kinds it sends, so this app knows no domain.

A kind names its subject (a Django template string rendered with the caller's context when
the row is written) and its e-mail bodies. Unless given at registration, the bodies are
`notifications/email/<kind>.txt` and `.html`, falling back to `notifications/email/generic.*`.

Signature hook: e-mail templates get a `signature` variable. A caller may put one in the
context; a kind may instead register `signature=callable(notification) -> str`, called at
delivery (customer-facing mail will carry the engineer's signature with the team leader and
team manager contacts, seed 000). The generic templates print it under the message.

Delivery context hook: a kind may register `delivery_context=callable(notification) -> dict`,
merged into the templates' context at delivery and never stored on the row. It is for what
must not sit in the outbox (a password reset link: its token would let anyone who can read
the outbox, in admin or a backup, take over the account).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Notification

GENERIC_TEXT = "notifications/email/generic.txt"
GENERIC_HTML = "notifications/email/generic.html"


@dataclass(frozen=True)
class Kind:
    name: str
    subject: str
    text_templates: tuple[str, ...] = field(default=())
    html_templates: tuple[str, ...] = field(default=())
    signature: Callable[[Notification], str] | None = None
    description: str = ""
    delivery_context: Callable[[Notification], dict[str, Any]] | None = None
    # System mail says "Auto-Submitted: auto-generated" (RFC 3834) so auto-responders stay
    # quiet; a person's words relayed by mail (a staff reply to the customer) do not.
    automatic: bool = True


_KINDS: dict[str, Kind] = {}


def register(
    name: str,
    *,
    subject: str,
    text_template: str | None = None,
    html_template: str | None = None,
    signature: Callable[[Notification], str] | None = None,
    description: str = "",
    automatic: bool = True,
    delivery_context: Callable[[Notification], dict[str, Any]] | None = None,
) -> Kind:
    """Register (or re-register, idempotently from AppConfig.ready) one notification kind."""
    kind = Kind(
        name=name,
        subject=subject,
        text_templates=(text_template or f"notifications/email/{name}.txt", GENERIC_TEXT),
        html_templates=(html_template or f"notifications/email/{name}.html", GENERIC_HTML),
        signature=signature,
        description=description,
        automatic=automatic,
        delivery_context=delivery_context,
    )
    _KINDS[name] = kind
    return kind


def unregister(name: str) -> None:
    _KINDS.pop(name, None)


def get_kind(name: str) -> Kind:
    """The registered kind; a row of a kind no longer registered is still sent, generically."""
    return _KINDS.get(name) or Kind(
        name=name, subject="{{ subject }}", text_templates=(GENERIC_TEXT,), html_templates=(GENERIC_HTML,)
    )


def is_registered(name: str) -> bool:
    return name in _KINDS


def registered_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: k.name)
