"""Where a link to a ticket points, by audience: the one place that knows the screens.

Customers open their requests in the portal, staff in the console. Domain code (services,
notifications) asks here rather than naming a screen's URL, so a customer's mail never links
to the console (403 for them) and staff mail never links to the portal.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol
from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse


class Person(Protocol):
    is_staff: bool
    organisation_id: int | None


def is_customer(person: Person) -> bool:
    return person.organisation_id is not None and not person.is_staff


def ticket_path(ticket_id: int, person: Person) -> str:
    """The ticket's page for this person: their request in the portal, or the console page."""
    if is_customer(person):
        return reverse("portal:request", args=[ticket_id])
    return reverse("desk:ticket", args=[ticket_id])


def console_ticket_path(ticket_id: int) -> str:
    return reverse("desk:ticket", args=[ticket_id])


def portal_request_path(ticket_id: int) -> str:
    return reverse("portal:request", args=[ticket_id])


def portal_confirm_path(ticket_id: int) -> str:
    """The portal's one-click page confirming a resolution."""
    return reverse("portal:request_confirm", args=[ticket_id])


def portal_reopen_path(ticket_id: int) -> str:
    """The portal's page saying a resolution did not fix it (with a reason)."""
    return reverse("portal:request_reopen", args=[ticket_id])


def portal_escalation_path(ticket_id: int) -> str:
    return reverse("portal:request", args=[ticket_id]) + "#escalation"


def portal_escalation_agree_path(ticket_id: int, case_id: int) -> str:
    """The portal's page where the customer agrees, in one click, to de-escalate (seed 002)."""
    return reverse("portal:escalation_agree", args=[ticket_id, case_id])


def console_attachment_path(attachment_id: int) -> str:
    """A file's access-checked download in the console (staff only)."""
    return reverse("desk:attachment", args=[attachment_id])


def console_escalation_report_path(day: date | None = None) -> str:
    """The console's daily escalation report, of one day when given."""
    path = reverse("desk:escalation_report")
    return f"{path}?date={day.isoformat()}" if day is not None else path


def login_path(person: Person) -> str:
    """Where this person signs in: the portal for customers, the console for staff."""
    return reverse("portal:login" if is_customer(person) else "desk:login")


def is_portal_path(path: str) -> bool:
    """Whether a request's path is one of the portal's pages (else the console's or admin's)."""
    return path.startswith(reverse("portal:home"))


def sign_in_paths(*, portal: bool) -> dict[str, str]:
    """The sign-in and password-reset pages of the portal or of the console."""
    site = "portal" if portal else "desk"
    return {"login_url": reverse(f"{site}:login"), "reset_url": reverse(f"{site}:password_reset")}


def password_reset_confirm_path(person: Person, *, uidb64: str, token: str) -> str:
    """The page that sets a new password from a reset mail: in the portal or the console."""
    name = "portal:password_reset_confirm" if is_customer(person) else "desk:password_reset_confirm"
    return reverse(name, kwargs={"uidb64": uidb64, "token": token})


def absolute(path: str) -> str:
    """An absolute URL on SITE_URL (what every link in mail is)."""
    if not path:
        return ""
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))
