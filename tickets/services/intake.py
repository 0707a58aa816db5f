"""Opening a ticket and what it says: creation, intake edits (priority changes retarget the
clocks) and the customer's corrections of their own statement."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Organisation, User
from escalation_desk.domain import InvalidInput

from .. import notices, permissions, sla
from ..models import Category, Channel, Priority, Service, Ticket, TimelineEvent
from ..signals import ticket_changed
from .attachments import store_attachment, validate_upload
from .core import check_choice, lock_ticket, record_event, refresh_stale

# Intake fields the customer or engineer writes, in form order.
INTAKE_TEXT_FIELDS = [
    "summary",
    "description",
    "symptoms",
    "replication_steps",
    "error_messages",
    "recent_changes",
    "business_impact",
    "workaround",
]

# What a customer may correct of what they told us (seed 002's review: "is the problem
# statement correct?", the business impact, the critical milestone).
CUSTOMER_STATEMENT_FIELDS = {
    "description": gettext_lazy("Problem statement"),
    "business_impact": gettext_lazy("Business impact"),
    "critical_milestone": gettext_lazy("Critical milestone"),
}


def ticket_create(
    *,
    actor: User,
    organisation: Organisation,
    requester: User,
    summary: str,
    channel: str = Channel.CONSOLE,
    description: str = "",
    symptoms: str = "",
    replication_steps: str = "",
    error_messages: str = "",
    recent_changes: str = "",
    business_impact: str = "",
    workaround: str = "",
    critical_milestone: date | None = None,
    priority: str = "",
    category: Category | None = None,
    service: Service | None = None,
    files: Iterable[UploadedFile] = (),
    follow_up_of: Ticket | None = None,
) -> Ticket:
    """Open a ticket from the portal, the console (on a customer's behalf), the API or e-mail;
    `follow_up_of` links it to the finished ticket it follows up (SPEC §2: closed is final)."""
    _check_opening(
        actor=actor,
        organisation=organisation,
        requester=requester,
        summary=summary,
        follow_up_of=follow_up_of,
        staff_only={"priority": priority, "category": category, "service": service},
    )
    files = _checked_choices_and_files(channel, priority, files)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            organisation=organisation,
            requester=requester,
            created_by=actor,
            channel=channel,
            summary=summary.strip(),
            description=description,
            symptoms=symptoms,
            replication_steps=replication_steps,
            error_messages=error_messages,
            recent_changes=recent_changes,
            business_impact=business_impact,
            workaround=workaround,
            critical_milestone=critical_milestone,
            priority=priority,
            category=category,
            service=service,
            # Reaches the service's first team straight away, so it shows in their work list.
            team=service.default_team if service is not None else None,
            follow_up_of=follow_up_of,
        )
        _opened(ticket, actor=actor, requester=requester, files=files)
    return ticket


def _opened(ticket: Ticket, *, actor: User, requester: User, files: list[UploadedFile]) -> None:
    """The rest of the create's transaction: the opening event, the files, the customer's notice;
    what was written stays on the ticket for an answer that shows it without reading it back
    (selectors.created_ticket_detail)."""
    if ticket.team is not None:
        # Loaded once for the customer's signature and the API's answer (its contacts).
        prefetch_related_objects([ticket.team], "leaders")
    ticket.opening_event = _record_opening(ticket, actor=actor)
    ticket.opening_files = [
        store_attachment(ticket=ticket, actor=actor, upload=upload, is_internal=False) for upload in files
    ]
    if actor.pk != requester.pk:
        _tell_customer_opened_for_them(ticket, actor=actor)


def _check_opening(
    *,
    actor: User,
    organisation: Organisation,
    requester: User,
    summary: str,
    follow_up_of: Ticket | None,
    staff_only: dict[str, Any],
) -> None:
    """Refuse a ticket the actor may not open or whose input does not hold together."""
    if not permissions.can_create_ticket(actor, organisation.pk):
        raise PermissionDenied(gettext("You may not open tickets for this organisation."))
    errors: dict[str, list[str]] = {}
    if not summary or not summary.strip():
        errors["summary"] = [gettext("A summary is required.")]
    if requester.organisation_id != organisation.pk:
        errors["requester"] = [
            gettext("%(requester)s is not a contact of %(organisation)s.")
            % {"requester": requester, "organisation": organisation}
        ]
    if follow_up_of is not None and follow_up_of.organisation_id != organisation.pk:
        errors["follow_up_of"] = [
            gettext("%(reference)s is not a request of %(organisation)s.")
            % {"reference": follow_up_of.reference, "organisation": organisation}
        ]
    errors.update(permissions.staff_only_intake_errors(actor, staff_only))
    if errors:
        raise InvalidInput(errors)


def _checked_choices_and_files(
    channel: str, priority: str, files: Iterable[UploadedFile]
) -> list[UploadedFile]:
    """Refuse a channel or priority we do not know, or a file we do not accept; the files, listed."""
    check_choice(channel, Channel, "channel")
    check_choice(priority, Priority, "priority")
    files = list(files)
    for upload in files:
        validate_upload(upload)
    return files


def _record_opening(ticket: Ticket, *, actor: User) -> TimelineEvent:
    """The timeline's first event: how the ticket reached us, for whom, what it follows up."""
    return record_event(
        ticket=ticket,
        kind="created",
        actor=actor,
        target=ticket.status,
        details={
            "channel": ticket.channel,
            **({"on_behalf_of": ticket.requester_id} if actor.pk != ticket.requester_id else {}),
            **({"follow_up_of": ticket.follow_up_of_id} if ticket.follow_up_of_id is not None else {}),
        },
        is_public=True,
    )


def _tell_customer_opened_for_them(ticket: Ticket, *, actor: User) -> None:
    """Opened for them (a phone call, an e-mail read out): the customer gets the reference."""
    notices.tell_customers(
        ticket=ticket,
        kind="ticket.received",
        actor=actor,
        context={
            "message": gettext("%(actor)s opened %(reference)s for you: %(summary)s.")
            % {"actor": actor, "reference": ticket.reference, "summary": ticket.summary},
            "opened_by": str(actor),
        },
        dedup_key=f"ticket:{ticket.pk}:received",
        # Created in this transaction: nobody follows it yet and nobody was told of it.
        recipients=[ticket.requester],
        new_event=True,
    )


def apply_intake(ticket: Ticket, changes: dict[str, Any]) -> dict[str, list[str]]:
    """Put intake changes on the (locked) ticket; return {field: [old, new]} of what changed."""
    changed: dict[str, list[str]] = {}
    allowed = {*INTAKE_TEXT_FIELDS, "critical_milestone", "priority", "category", "service"}
    for field, value in changes.items():
        if field not in allowed:
            raise InvalidInput({field: [gettext("This field cannot be changed here.")]})
        if field == "priority":
            check_choice(value or "", Priority, "priority")
        if field == "summary" and not (value or "").strip():
            raise InvalidInput({"summary": [gettext("A summary is required.")]})
        old = getattr(ticket, field)
        if old != value:
            changed[field] = [str(old or ""), str(value or "")]
            setattr(ticket, field, value)
    return changed


def ticket_update_intake(*, ticket: Ticket, actor: User, **changes: Any) -> Ticket:
    """Correct or complete the intake of an open ticket."""
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not permissions.can_edit_intake(locked, actor):
            raise PermissionDenied(gettext("You may not edit this ticket's intake."))
        changed = apply_intake(locked, changes)
        if changed:
            locked.save()
            record_event(ticket=locked, kind="intake_updated", actor=actor, details={"changed": changed})
            if "priority" in changed:
                sla.retarget_clocks(locked)
                ticket_changed.send(sender=Ticket, ticket=locked, change="priority_changed", actor=actor)
    refresh_stale(ticket, locked)
    return locked


def ticket_correct_statement(*, ticket: Ticket, actor: User, why: str = "", **changes: Any) -> Ticket:
    """The customer corrects their problem statement (the description), business impact or
    critical milestone; staff record a correction the customer gave by phone or e-mail. The
    previous text stays in the timeline (a public event: the customer sees their correction)."""
    unknown = sorted(set(changes) - set(CUSTOMER_STATEMENT_FIELDS))
    if unknown:
        raise InvalidInput({field: [gettext("This field cannot be corrected here.")] for field in unknown})
    for field in ("description", "business_impact"):
        if field in changes and not (changes[field] or "").strip():
            raise InvalidInput({field: [gettext("A correction cannot be empty.")]})
        if field in changes:
            changes[field] = changes[field].strip()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not permissions.can_correct_own_statement(locked, actor):
            raise PermissionDenied(gettext("You may not correct this request's statement."))
        changed = apply_intake(locked, changes)
        if changed:
            locked.save()
            was = " ".join(
                gettext("%(field)s was: “%(old)s”.")
                % {"field": CUSTOMER_STATEMENT_FIELDS[field], "old": old or gettext("not given")}
                for field, (old, _new) in changed.items()
            )
            record_event(
                ticket=locked,
                kind="intake_corrected",
                actor=actor,
                reason=f"{why} {was}".strip(),
                details={"changed": changed, "by_customer": permissions.is_customer_of(locked, actor)},
                is_public=True,
            )
    refresh_stale(ticket, locked)
    return locked
