"""Who hears of a change on a ticket, and how the mail to them reads (SPEC §8, seed 000).

Two audiences. **Customers** (the requester and the colleagues they copied in) get mail that
links to the portal, never carries internal content and ends with the assigned engineer's
signature with the team leader's and team manager's contacts. **Staff** (the assignee, or the
team leaders while nobody is assigned, everyone engaged on the ticket and staff following it)
get mail and inbox entries that link to the console. Nobody hears of their own action. Every
mail of a ticket threads together (`thread="ticket-<pk>"`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from escalation_desk import links
from escalation_desk.input_guard import is_number
from notifications.services import notify

from .models import Ticket, Watcher
from .participants import engaged_people
from .sla import team_leads


def thread_of(ticket: Ticket) -> str:
    return f"ticket-{ticket.pk}"


def ticket_of_thread(thread: str) -> int | None:
    """The ticket id a thread name ("ticket-42") is about, or None."""
    prefix, _, number = thread.partition("-")
    return int(number) if prefix == "ticket" and is_number(number) else None


# --- audiences ---------------------------------------------------------------------------------


def watchers(ticket: Ticket) -> list[User]:
    return [w.user for w in Watcher.objects.filter(ticket=ticket).select_related("user") if w.user.is_active]


def customer_audience(ticket: Ticket) -> list[User]:
    """The requester and the contacts of the ticket's organisation copied in."""
    people = [
        ticket.requester,
        *(u for u in watchers(ticket) if u.organisation_id == ticket.organisation_id and not u.is_staff),
    ]
    return [u for u in _once(people) if u.is_active]


def workers(ticket: Ticket) -> list[User]:
    """Who works it now: the assignee, or the team's leaders while nobody is assigned."""
    if ticket.assignee_id:
        return [ticket.assignee]
    return list(team_leads(ticket))


def staff_audience(ticket: Ticket, *, include_workers: bool = True) -> list[User]:
    """The assignee (or team leaders), everyone engaged on the ticket, and staff following it."""
    people = [
        *(workers(ticket) if include_workers else []),
        *engaged_people(ticket),
        *(u for u in watchers(ticket) if u.is_staff),
    ]
    return [u for u in _once(people) if u.is_active and u.is_staff]


def _once(people: Iterable[User | None]) -> list[User]:
    found: dict[int, User] = {}
    for user in people:
        if user is not None:
            found.setdefault(user.pk, user)
    return list(found.values())


# --- the engineer's signature (seed 000) ----------------------------------------------------------


def _contact(user: User) -> str:
    return " · ".join(part for part in (str(user), user.title, user.email, user.phone) if part)


def signature(ticket: Ticket) -> str:
    """The assigned engineer's signature: name, title, team, phone, e-mail, and the team
    leader's and team manager's names and contacts (seed 000: "Team Leader and Team Manager
    contact information may be located in the assigned Engineer's email signature")."""
    team = ticket.team
    lines: list[str] = []
    engineer = ticket.assignee
    if engineer is not None:
        lines.append(str(engineer))
        if engineer.title:
            lines.append(engineer.title)
        if team is not None:
            lines.append(team.name)
        if engineer.phone:
            lines.append(gettext("Phone: %(phone)s") % {"phone": engineer.phone})
        if engineer.email:
            lines.append(gettext("E-mail: %(email)s") % {"email": engineer.email})
    elif team is not None:
        lines.append(team.name)
        if team.email:
            lines.append(gettext("E-mail: %(email)s") % {"email": team.email})
    if team is not None:
        leaders = [u for u in team.leaders.all() if u.pk != getattr(engineer, "pk", None)]
        for leader in leaders:
            lines.append(gettext("Team leader: %(contact)s") % {"contact": _contact(leader)})
        if team.manager_id and team.manager_id != getattr(engineer, "pk", None):
            lines.append(gettext("Team manager: %(contact)s") % {"contact": _contact(team.manager)})
    if not lines:
        lines.append(gettext("Escalation Desk support"))
    return "\n".join(lines)


# --- telling them -------------------------------------------------------------------------------


def _ticket_context(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "summary": ticket.summary,
        "ticket_id": ticket.pk,
        "status": ticket.get_status_display(),
    }


def tell_customers(
    *,
    ticket: Ticket,
    kind: str,
    context: dict[str, Any],
    dedup_key: str,
    actor: User | None,
    recipients: Iterable[User] | None = None,
    new_event: bool = False,
) -> None:
    """Mail (and the portal inbox) to the ticket's customers: portal links, signature, thread.
    `new_event`: nobody can have been told of it yet (`notify(new_event=True)`)."""
    _tell(
        new_event=new_event,
        ticket=ticket,
        kind=kind,
        dedup_key=dedup_key,
        actor=actor,
        recipients=customer_audience(ticket) if recipients is None else recipients,
        path=links.portal_request_path(ticket.pk),
        context={
            "request_url": links.absolute(links.portal_request_path(ticket.pk)),
            "signature": signature(ticket),
            "customer_facing": True,
            **context,
        },
    )


def tell_staff(
    *,
    ticket: Ticket,
    kind: str,
    context: dict[str, Any],
    dedup_key: str,
    actor: User | None,
    recipients: Iterable[User] | None = None,
) -> None:
    """Mail and inbox entries to staff about the ticket (its staff audience by default)."""
    _tell(
        ticket=ticket,
        kind=kind,
        dedup_key=dedup_key,
        actor=actor,
        recipients=staff_audience(ticket) if recipients is None else recipients,
        path=links.console_ticket_path(ticket.pk),
        context={"ticket_url": links.absolute(links.console_ticket_path(ticket.pk)), **context},
    )


def _tell(
    *,
    ticket: Ticket,
    kind: str,
    context: dict[str, Any],
    dedup_key: str,
    actor: User | None,
    recipients: Iterable[User],
    path: str,
    new_event: bool = False,
) -> None:
    notify(
        recipients=recipients,
        kind=kind,
        context={**_ticket_context(ticket), **context},
        dedup_key=dedup_key,
        link=path,
        thread=thread_of(ticket),
        exclude=[actor],
        new_event=new_event,
    )


# The kinds tickets sends: (name, subject template, description, automatic). "automatic" says
# whether the mail is system mail (Auto-Submitted) rather than a person's words relayed.
NOTIFICATION_KINDS: list[tuple[str, Any, Any, bool]] = [
    (
        "ticket.public_reply",
        gettext_lazy("[{{ reference }}] {{ author }} replied: {{ summary }}"),
        gettext_lazy("Support staff replied publicly (to the customer and the contacts copied in)."),
        False,
    ),
    (
        "ticket.waiting_on_you",
        gettext_lazy("[{{ reference }}] We need something from you: {{ summary }}"),
        gettext_lazy("The ticket waits on the customer (what is needed is stated)."),
        True,
    ),
    (
        "ticket.resolved",
        gettext_lazy("[{{ reference }}] Resolved: {{ summary }}"),
        gettext_lazy(
            "The ticket was resolved: the resolution, with confirm and reopen links (seed 001 quality "
            "control, seed 003)."
        ),
        True,
    ),
    (
        "ticket.received",
        gettext_lazy("[{{ reference }}] We received your request: {{ summary }}"),
        gettext_lazy("A request that came in by e-mail became a ticket (to the customer)."),
        True,
    ),
    (
        "ticket.customer_replied",
        gettext_lazy("[{{ reference }}] {{ author }} replied: {{ summary }}"),
        gettext_lazy("A customer replied (to the assignee, or the team leaders, and everyone engaged)."),
        True,
    ),
    (
        "ticket.staff_comment",
        gettext_lazy("[{{ reference }}] {{ author }} added {{ what }}: {{ summary }}"),
        gettext_lazy("A colleague commented on a ticket you follow or are engaged on."),
        True,
    ),
    (
        "ticket.assigned",
        gettext_lazy("[{{ reference }}] {{ assigned_by }} assigned you: {{ summary }}"),
        gettext_lazy("A ticket was assigned to you."),
        True,
    ),
    (
        "ticket.left_queue",
        gettext_lazy("[{{ reference }}] Moved from you to {{ team_name }}: {{ summary }}"),
        gettext_lazy("A ticket you had left your queue by automatic escalation."),
        True,
    ),
    (
        "ticket.cc_added",
        gettext_lazy("[{{ reference }}] {{ added_by }} copied you in: {{ summary }}"),
        gettext_lazy("A colleague at your organisation copied you in on a request."),
        True,
    ),
]


def register() -> None:
    """The kinds tickets sends; each has its own text and HTML templates."""
    from notifications import registry as kinds

    for name, subject, description, automatic in NOTIFICATION_KINDS:
        kinds.register(name, subject=subject, description=description, automatic=automatic)
