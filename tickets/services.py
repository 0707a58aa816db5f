"""Every change to a ticket goes through a function here (SPEC §2, §10).

Each service opens a transaction, locks the ticket row, checks the actor's permission and
the transition's guards, changes state, saves, and writes its timeline event in the same
transaction. A refusal raises before anything is saved, so nothing is half-done.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_fsm import can_proceed, has_transition_perm

from accounts.models import Organisation, Team, User
from clocks.models import Clock
from escalation_desk import links
from escalation_desk.domain import InvalidInput, Refused, not_one_of
from escalation_desk.input_guard import has_unstorable_characters

from . import file_types, notices, permissions, sla
from .guards import MISSING_FOR
from .models import (
    Attachment,
    CancelReason,
    Category,
    Channel,
    CloseKind,
    Comment,
    FixKind,
    Priority,
    Service,
    Status,
    StepKind,
    StepState,
    Ticket,
    TimelineEvent,
    TroubleshootingStep,
    Watcher,
)
from .signals import ticket_changed

# Closed and cancelled are final: archived and readable, never written to again (SPEC §2).
FINAL_STATES = (Status.CLOSED, Status.CANCELLED)

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

TRANSITION_LABELS = {
    "triage": "Triage",
    "start": "Start work",
    "await_customer": "Wait on customer",
    "customer_replied": "Customer replied",
    "resolve": "Resolve",
    "confirm_resolution": "Confirm resolution",
    "reopen": "Reopen",
    "cancel": "Cancel",
}


def record_event(
    *,
    ticket: Ticket,
    kind: str,
    actor: User | None,
    source: str = "",
    target: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
    is_public: bool = False,
) -> TimelineEvent:
    """Append one event to the ticket's timeline (call inside the change's transaction)."""
    return TimelineEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        source=source,
        target=target,
        reason=reason,
        details=details or {},
        is_public=is_public,
    )


def lock_ticket(ticket: Ticket) -> Ticket:
    """Lock the ticket row for this transaction (FOR NO KEY UPDATE on PostgreSQL): every app's ticket lock.

    NO KEY: rows that merely reference the ticket (a timeline event written by the sweep,
    which already holds a clock's lock) must not wait for us while we wait for that clock.
    """
    return (
        Ticket.objects.select_related("team", "team__manager", "service", "category", "assignee")
        .select_for_update(of=("self",), no_key=True)
        .get(pk=ticket.pk)
    )


def _run_transition(
    *,
    ticket: Ticket,
    actor: User,
    name: str,
    prepare: Callable[[Ticket], None] | None = None,
    call_kwargs: dict[str, Any] | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    then: Callable[[Ticket], None] | None = None,
) -> Ticket:
    """Lock, put the input on the ticket, check permission and guards, transition, record.

    `then` runs after the change in the same transaction (the ticket's clocks follow it).
    """
    with transaction.atomic():
        locked = lock_ticket(ticket)
        method = getattr(locked, name)
        source = locked.status
        if not can_proceed(method, check_conditions=False):
            raise Refused(
                f"{TRANSITION_LABELS[name]} is not possible while the ticket is "
                f"{locked.get_status_display().lower()}",
                [f"the ticket to be in a state that allows {TRANSITION_LABELS[name].lower()}"],
            )
        if not method._django_fsm.has_transition_perm(locked, source, actor):
            raise PermissionDenied(f"You may not {TRANSITION_LABELS[name].lower()} this ticket.")
        if prepare is not None:
            prepare(locked)
        missing = MISSING_FOR.get(name, lambda _t: [])(locked)
        if missing or not has_transition_perm(method, actor):
            raise Refused(f"{TRANSITION_LABELS[name]} refused", missing)
        method(**(call_kwargs or {}))
        locked.save()
        record_event(
            ticket=locked,
            kind=name,
            actor=actor,
            source=source,
            target=locked.status,
            reason=reason,
            details=details,
            is_public=True,
        )
        if then is not None:
            then(locked)
        ticket_changed.send(sender=Ticket, ticket=locked, change=name, actor=actor)
    _refresh(ticket, locked)
    return locked


def _refresh(stale: Ticket, fresh: Ticket) -> None:
    """Keep the caller's instance in step with the saved row."""
    if stale is not fresh:
        stale.refresh_from_db()


def _choice(value: str, choices: type, label: str) -> str:
    if value and value not in choices.values:
        raise InvalidInput({label: [not_one_of(value, choices.values)]})
    return value


# --- creation and intake -------------------------------------------------------------------


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
    if not permissions.can_create_ticket(actor, organisation.pk):
        raise PermissionDenied("You may not open tickets for this organisation.")
    errors: dict[str, list[str]] = {}
    if not summary or not summary.strip():
        errors["summary"] = ["A summary is required."]
    if requester.organisation_id != organisation.pk:
        errors["requester"] = [f"{requester} is not a contact of {organisation}."]
    if follow_up_of is not None and follow_up_of.organisation_id != organisation.pk:
        errors["follow_up_of"] = [f"{follow_up_of.reference} is not a request of {organisation}."]
    errors.update(permissions.staff_only_intake_errors(
        actor, {"priority": priority, "category": category, "service": service}))
    if errors:
        raise InvalidInput(errors)
    _choice(channel, Channel, "channel")
    _choice(priority, Priority, "priority")
    files = list(files)
    for upload in files:
        validate_upload(upload)
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
        record_event(
            ticket=ticket,
            kind="created",
            actor=actor,
            target=ticket.status,
            details={"channel": channel, **({"on_behalf_of": requester.pk} if actor.pk != requester.pk else {}),
                     **({"follow_up_of": follow_up_of.pk} if follow_up_of is not None else {})},
            is_public=True,
        )
        for upload in files:
            _store_attachment(ticket=ticket, actor=actor, upload=upload, is_internal=False)
        if actor.pk != requester.pk:
            # Opened for them (a phone call, an e-mail read out): the customer gets the reference.
            notices.tell_customers(
                ticket=ticket, kind="ticket.received", actor=actor,
                context={"message": f"{actor} opened {ticket.reference} for you: {ticket.summary}.",
                         "opened_by": str(actor)},
                dedup_key=f"ticket:{ticket.pk}:received",
            )
    return ticket


def _apply_intake(ticket: Ticket, changes: dict[str, Any]) -> dict[str, list[str]]:
    """Put intake changes on the (locked) ticket; return {field: [old, new]} of what changed."""
    changed: dict[str, list[str]] = {}
    allowed = {*INTAKE_TEXT_FIELDS, "critical_milestone", "priority", "category", "service"}
    for field, value in changes.items():
        if field not in allowed:
            raise InvalidInput({field: ["This field cannot be changed here."]})
        if field == "priority":
            _choice(value or "", Priority, "priority")
        if field == "summary" and not (value or "").strip():
            raise InvalidInput({"summary": ["A summary is required."]})
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
            raise PermissionDenied("You may not edit this ticket's intake.")
        changed = _apply_intake(locked, changes)
        if changed:
            locked.save()
            record_event(
                ticket=locked, kind="intake_updated", actor=actor, details={"changed": changed}
            )
            if "priority" in changed:
                sla.retarget_clocks(locked)
                ticket_changed.send(sender=Ticket, ticket=locked, change="priority_changed", actor=actor)
    _refresh(ticket, locked)
    return locked


# What a customer may correct of what they told us (seed 002's review: "is the problem
# statement correct?", the business impact, the critical milestone).
CUSTOMER_STATEMENT_FIELDS = {"description": "Problem statement", "business_impact": "Business impact",
                             "critical_milestone": "Critical milestone"}


def ticket_correct_statement(*, ticket: Ticket, actor: User, why: str = "", **changes: Any) -> Ticket:
    """The customer corrects their problem statement (the description), business impact or
    critical milestone; staff record a correction the customer gave by phone or e-mail. The
    previous text stays in the timeline (a public event: the customer sees their correction)."""
    unknown = sorted(set(changes) - set(CUSTOMER_STATEMENT_FIELDS))
    if unknown:
        raise InvalidInput({field: ["This field cannot be corrected here."] for field in unknown})
    for field in ("description", "business_impact"):
        if field in changes and not (changes[field] or "").strip():
            raise InvalidInput({field: ["A correction cannot be empty."]})
        if field in changes:
            changes[field] = changes[field].strip()
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not permissions.can_correct_own_statement(locked, actor):
            raise PermissionDenied("You may not correct this request's statement.")
        changed = _apply_intake(locked, changes)
        if changed:
            locked.save()
            was = " ".join(f"{CUSTOMER_STATEMENT_FIELDS[field]} was: “{old or 'not given'}”."
                           for field, (old, _new) in changed.items())
            record_event(
                ticket=locked, kind="intake_corrected", actor=actor, reason=f"{why} {was}".strip(),
                details={"changed": changed, "by_customer": permissions.is_customer_of(locked, actor)},
                is_public=True,
            )
    _refresh(ticket, locked)
    return locked


# --- the transitions of SPEC §2 ------------------------------------------------------------


def ticket_triage(
    *,
    ticket: Ticket,
    actor: User,
    priority: str | None = None,
    category: Category | None = None,
    service: Service | None = None,
    **intake: Any,
) -> Ticket:
    """new → open: the issue is identified and documented; the ticket reaches its team."""
    changes = dict(intake)
    for field, value in (("priority", priority), ("category", category), ("service", service)):
        if value is not None:
            changes[field] = value
    changed: dict[str, list[str]] = {}

    def prepare(locked: Ticket) -> None:
        changed.update(_apply_intake(locked, changes))

    return _run_transition(
        ticket=ticket, actor=actor, name="triage", prepare=prepare,
        details={"changed": changed, "priority": priority or ticket.priority},
        then=sla.start_clocks,
    )


def ticket_start(*, ticket: Ticket, actor: User, assignee: User | None = None) -> Ticket:
    """open → in_progress: an engineer of the team takes the ticket (themselves by default)."""
    assignee = assignee or actor
    if assignee.pk != actor.pk and not (assignee.is_agent and permissions.can_work_ticket(ticket, assignee)):
        raise InvalidInput({"assignee": [f"{assignee} cannot work this ticket."]})
    return _run_transition(
        ticket=ticket, actor=actor, name="start",
        call_kwargs={"assignee_id": assignee.pk},
        details={"assignee": assignee.pk, "assignee_name": str(assignee)},
    )


def ticket_await_customer(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """in_progress → waiting_on_customer: what the customer must provide is stated."""

    def prepare(locked: Ticket) -> None:
        locked.waiting_reason = (reason or "").strip()

    def then(locked: Ticket) -> None:
        sla.pause_clocks(locked)
        notices.tell_customers(
            ticket=locked, kind="ticket.waiting_on_you", actor=actor,
            context={"waiting_reason": locked.waiting_reason,
                     "message": f"To go on with {locked.reference} we need: {locked.waiting_reason}"},
            dedup_key=f"ticket:{locked.pk}:waiting:{timezone.now().isoformat()}",
        )

    return _run_transition(
        ticket=ticket, actor=actor, name="await_customer", prepare=prepare, reason=reason, then=then,
    )


def ticket_customer_replied(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    """waiting_on_customer → in_progress: the customer answered (portal comment, or recorded)."""
    return _run_transition(
        ticket=ticket, actor=actor, name="customer_replied", reason=note, then=sla.resume_clocks
    )


def ticket_resolve(
    *,
    ticket: Ticket,
    actor: User,
    resolution_summary: str,
    root_cause: str,
    fix_kind: str,
    knowledge_article: str = "",
    knowledge_none_reason: str = "",
) -> Ticket:
    """in_progress → resolved, with what fixed it, the root cause and the kind of fix."""
    _choice(fix_kind, FixKind, "fix_kind")

    def prepare(locked: Ticket) -> None:
        locked.resolution_summary = (resolution_summary or "").strip()
        locked.root_cause = (root_cause or "").strip()
        locked.fix_kind = fix_kind or ""
        locked.knowledge_article = (knowledge_article or "").strip()
        locked.knowledge_none_reason = (knowledge_none_reason or "").strip()

    def then(locked: Ticket) -> None:
        sla.ticket_resolved(locked)
        # Seed 001 quality control, seed 003 "Tier 1 communicates the resolution": the customer
        # reads what fixed it and confirms or reopens in one click.
        notices.tell_customers(
            ticket=locked, kind="ticket.resolved", actor=actor,
            context={"resolution_summary": locked.resolution_summary,
                     "fix_kind": locked.get_fix_kind_display(),
                     "confirm_url": links.absolute(links.portal_confirm_path(locked.pk)),
                     "reopen_url": links.absolute(links.portal_reopen_path(locked.pk)),
                     "message": locked.resolution_summary},
            dedup_key=f"ticket:{locked.pk}:resolved:{locked.reopen_count}",
        )

    return _run_transition(
        ticket=ticket, actor=actor, name="resolve", prepare=prepare,
        reason=resolution_summary,
        details={"fix_kind": fix_kind, "knowledge_article": knowledge_article},
        then=then,
    )


def ticket_confirm_resolution(
    *, ticket: Ticket, actor: User, note: str = "", channel: str = ""
) -> Ticket:
    """resolved → closed: the customer confirms, or staff record the customer's confirmation.

    `channel` is how the confirmation reached us: the caller's own channel when the customer
    confirms (the portal says "portal", the API "api"), how the customer told staff otherwise.
    """
    by_customer = permissions.is_customer_of(ticket, actor)
    _choice(channel, Channel, "channel")
    close_kind = CloseKind.CONFIRMED_BY_CUSTOMER if by_customer else CloseKind.CONFIRMED_ON_BEHALF

    def prepare(locked: Ticket) -> None:
        if not by_customer and not channel:
            raise Refused(
                "Recording the customer's confirmation refused",
                ["how the customer confirmed (phone, e-mail…)"],
            )
        locked.confirmation_note = (note or "").strip()

    return _run_transition(
        ticket=ticket, actor=actor, name="confirm_resolution", prepare=prepare,
        call_kwargs={"close_kind": close_kind}, reason=note,
        # A customer's confirmation without a stated channel predates the portal/API split: the portal.
        details={"close_kind": close_kind, "channel": channel or Channel.PORTAL},
        then=sla.ticket_finished,
    )


def ticket_reopen(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """resolved → in_progress: the customer is not satisfied with the resolution."""

    def prepare(locked: Ticket) -> None:
        locked.reopen_reason = (reason or "").strip()

    return _run_transition(
        ticket=ticket, actor=actor, name="reopen", prepare=prepare, reason=reason,
        then=sla.ticket_reopened,
    )


def ticket_cancel(
    *,
    ticket: Ticket,
    actor: User,
    reason: str,
    note: str = "",
    duplicate_of: Ticket | None = None,
) -> Ticket:
    """Any open state → cancelled (duplicate, spam, withdrawn) with the reason."""
    _choice(reason, CancelReason, "reason")

    def prepare(locked: Ticket) -> None:
        locked.cancel_reason = reason or ""
        locked.cancel_note = (note or "").strip()
        locked.duplicate_of = duplicate_of

    return _run_transition(
        ticket=ticket, actor=actor, name="cancel", prepare=prepare, reason=note,
        details={"cancel_reason": reason, "duplicate_of": duplicate_of.pk if duplicate_of else None},
        then=sla.ticket_finished,
    )


def ticket_close_unconfirmed(*, ticket: Ticket) -> Ticket:
    """resolved → closed by the system: the confirmation window passed without an answer."""
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status != Status.RESOLVED:
            return locked  # reopened or confirmed meanwhile: nothing to do
        locked.close_unconfirmed()
        locked.save()
        record_event(
            ticket=locked, kind="close_unconfirmed", actor=None, source=Status.RESOLVED,
            target=locked.status, is_public=True,
            reason="Closed automatically: the confirmation window passed without an answer.",
            details={"close_kind": locked.close_kind},
        )
        # The window's own deadline is being fired by the sweep: only the clocks stop here.
        sla.stop_clocks(locked)
        ticket_changed.send(sender=Ticket, ticket=locked, change="close_unconfirmed", actor=None)
    return locked


def ticket_hand_over(
    *,
    ticket: Ticket,
    team: Team,
    actor: User | None,
    kind: str,
    reason: str = "",
    source: str = "",
    target: str = "",
    details: dict[str, Any] | None = None,
    assignee: User | None = None,
) -> Ticket:
    """The ticket moves to another assignment team (a tier hand-off): it lands open in that
    team's queue, unassigned unless an assignee of that team is given. The caller (the
    escalations services) checks who may do this; this records it in the same transaction."""
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status not in (Status.NEW, Status.OPEN, Status.IN_PROGRESS):
            raise Refused(
                "The ticket cannot change hands now",
                [f"a ticket that is open or in progress (this one is {locked.get_status_display().lower()})"],
            )
        previous_status = locked.status
        if locked.status != Status.NEW:
            locked.hand_over(team_id=team.pk, assignee_id=assignee.pk if assignee else None)
        else:  # placed at triage, before the status moved on: only the team changes
            locked.team_id = team.pk
        locked.save()
        record_event(
            ticket=locked, kind=kind, actor=actor, source=source[:40], target=target[:40], reason=reason,
            details={"team": team.pk, "team_name": team.name, "status_before": previous_status,
                     **(details or {})},
            is_public=True,
        )
    _refresh(ticket, locked)
    return locked


def ticket_complete_step(
    *, step: TroubleshootingStep, actor: User, outcome: str, files: Iterable[UploadedFile] = ()
) -> TroubleshootingStep:
    """A to-do step (suggested by a team leader) is done, with its outcome and evidence."""
    ticket = step.ticket
    if not permissions.can_add_step(ticket, actor):
        raise PermissionDenied("You may not document troubleshooting on this ticket.")
    if not outcome or not outcome.strip():
        raise InvalidInput({"outcome": ["Say what the step showed (its outcome)."]})
    files = list(files)
    for upload in files:
        validate_upload(upload)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        current = TroubleshootingStep.objects.select_for_update().get(pk=step.pk)
        if current.state != StepState.TO_DO:
            raise Refused("This step is already done", ["a step still to do"])
        if not locked.is_open:
            raise Refused("Troubleshooting refused", ["an open ticket (this one is finished)"])
        current.state = StepState.DONE
        current.outcome = outcome.strip()
        current.engineer = actor
        current.performed_at = timezone.now()
        if locked.team_id in actor.team_ids:
            current.team_id = locked.team_id
        current.save()
        for upload in files:
            _store_attachment(ticket=locked, actor=actor, upload=upload,
                              is_internal=not current.is_public, step=current)
        record_event(
            ticket=locked, kind="step_done", actor=actor,
            details={"step": current.pk, "step_kind": current.kind, "files": len(files)},
            is_public=current.is_public,
        )
    step.refresh_from_db()
    return current


def ticket_clock_event(*, ticket: Ticket, clock: Clock, warning: bool) -> None:
    """A time frame reached its warning or breach point: the timeline says so, and the
    assignee (warning) or the team leaders (breach) are notified in the same transaction."""
    label = sla.CLOCK_LABELS.get(clock.kind, clock.kind)
    point = "warning" if warning else "breach"
    if warning:
        recipients = [ticket.assignee] if ticket.assignee else list(sla.team_leads(ticket))
    else:
        recipients = list(sla.team_leads(ticket))
    notices.tell_staff(
        ticket=ticket,
        recipients=recipients,
        kind=f"ticket.sla_{point}",
        context={
            "clock": label,
            "due_at": f"{timezone.localtime(clock.due_at):%a %d %b %Y %H:%M %Z}" if clock.due_at else "",
            "message": f"{ticket.reference} {ticket.summary}: the {label.lower()} time frame "
                       f"{'has reached its warning point' if warning else 'is breached'}.",
        },
        dedup_key=f"clock:{clock.pk}:{point}",
        actor=None,
    )
    record_event(
        ticket=ticket,
        kind="sla_warning" if warning else "sla_breach",
        actor=None,
        reason=f"{label} time frame {'reached its warning point' if warning else 'breached'}.",
        details={"clock": clock.kind, "target_seconds": clock.target_seconds,
                 "due_at": clock.due_at.isoformat() if clock.due_at else None,
                 "notified": [user.username for user in recipients]},
    )


TRANSITION_SERVICES: dict[str, Callable[..., Ticket]] = {
    "triage": ticket_triage,
    "start": ticket_start,
    "await_customer": ticket_await_customer,
    "customer_replied": ticket_customer_replied,
    "resolve": ticket_resolve,
    "confirm_resolution": ticket_confirm_resolution,
    "reopen": ticket_reopen,
    "cancel": ticket_cancel,
}


# --- comments, troubleshooting steps, attachments ------------------------------------------


def validate_upload(upload: UploadedFile) -> None:
    """Refuse files over the size limit or of a type outside the allow-list."""
    name = upload.name or ""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    allowed = [e.lower() for e in settings.ATTACHMENT_ALLOWED_EXTENSIONS]
    errors = []
    if ext not in allowed:
        errors.append(
            f'"{name}": files of type ".{ext or "(none)"}" are not accepted; '
            f"allowed: {', '.join(allowed)}."
        )
    if upload.size is not None and upload.size > settings.ATTACHMENT_MAX_BYTES:
        errors.append(
            f'"{name}" is {upload.size:,} bytes; the limit is '
            f"{settings.ATTACHMENT_MAX_BYTES:,} bytes."
        )
    if upload.size == 0:
        errors.append(f'"{name}" is empty.')
    if has_unstorable_characters(name) or has_unstorable_characters(getattr(upload, "content_type", "") or ""):
        errors.append(gettext("The file's name or declared type holds a null character or an unpaired surrogate."))
    if errors:
        raise InvalidInput({"files": errors})


def _store_attachment(
    *,
    ticket: Ticket,
    actor: User,
    upload: UploadedFile,
    is_internal: bool,
    step: TroubleshootingStep | None = None,
    comment: Comment | None = None,
) -> Attachment:
    attachment = Attachment.objects.create(
        ticket=ticket,
        step=step,
        comment=comment,
        file=upload,
        original_name=os.path.basename(upload.name or "file")[:255],
        # What the bytes are (the uploader's claim is never kept); downloads detect again.
        content_type=file_types.served_type(upload.name or "", file_types.read_head(upload)),
        size=upload.size or 0,
        is_internal=is_internal,
        uploaded_by=actor,
    )
    return attachment


def ticket_comment(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    is_internal: bool = False,
    files: Iterable[UploadedFile] = (),
    channel: str = "",
    dropped_files: Iterable[str] = (),
) -> Comment:
    """Add a public or internal comment; a customer's reply resumes a ticket waiting on them.

    Everyone on the other side hears of it: a customer's reply reaches the assignee (or the
    team leaders) and everyone engaged, and marks the ticket "unread customer reply"; a staff
    reply reaches the customer by mail; an internal note reaches the engaged colleagues.
    `channel` is how it reached us; `dropped_files` names attachments refused on the way in.
    """
    if not permissions.can_comment(ticket, actor, internal=is_internal):
        raise PermissionDenied("You may not add this comment.")
    if not body or not body.strip():
        raise InvalidInput({"body": ["The comment is empty."]})
    _choice(channel, Channel, "channel")
    files = list(files)
    for upload in files:
        validate_upload(upload)
    dropped = [name for name in dropped_files if name]
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status in FINAL_STATES:
            raise Refused(
                "Comment refused",
                [f"an open ticket: {locked.reference} is {locked.get_status_display().lower()}; "
                 "open a follow-up ticket instead"],
            )
        comment = Comment.objects.create(
            ticket=locked, author=actor, body=body.strip(), is_internal=is_internal, channel=channel
        )
        for upload in files:
            _store_attachment(
                ticket=locked, actor=actor, upload=upload, is_internal=is_internal, comment=comment
            )
        record_event(
            ticket=locked,
            kind="comment",
            actor=actor,
            details={"comment": comment.pk, "internal": is_internal, "files": len(files),
                     **({"channel": channel} if channel else {}),
                     **({"dropped_files": dropped} if dropped else {})},
            is_public=not is_internal,
        )
        by_customer = permissions.is_customer_of(locked, actor)
        if not is_internal and actor.is_agent:
            sla.first_response_given(locked)
        if by_customer:
            locked.unread_customer_reply_at = comment.created_at
            Ticket.objects.filter(pk=locked.pk).update(unread_customer_reply_at=comment.created_at)
        if by_customer and locked.status == "waiting_on_customer":
            ticket_customer_replied(ticket=locked, actor=actor, note="Customer replied with a comment.")
        _tell_of_comment(locked, comment, by_customer=by_customer)
    _refresh(ticket, locked)
    return comment


def _tell_of_comment(ticket: Ticket, comment: Comment, *, by_customer: bool) -> None:
    author = comment.author
    excerpt = comment.body if len(comment.body) <= 4000 else comment.body[:4000] + "…"
    context = {"author": str(author), "body": excerpt, "message": excerpt, "comment_id": comment.pk}
    key = f"comment:{comment.pk}"
    if by_customer:
        notices.tell_staff(ticket=ticket, kind="ticket.customer_replied", context=context,
                           dedup_key=key, actor=author)
        # The requester's colleagues copied in hear of each other's replies too.
        notices.tell_customers(ticket=ticket, kind="ticket.public_reply", context=context,
                               dedup_key=key, actor=author)
        return
    what = "an internal note" if comment.is_internal else "a reply to the customer"
    notices.tell_staff(ticket=ticket, kind="ticket.staff_comment", context={**context, "what": what},
                       dedup_key=key, actor=author)
    if not comment.is_internal:
        notices.tell_customers(ticket=ticket, kind="ticket.public_reply", context=context,
                               dedup_key=key, actor=author)


def ticket_mark_seen(*, ticket: Ticket, actor: User) -> bool:
    """A staff member opened the ticket: its "unread customer reply" marker goes. True if it did.

    A read marker, like an inbox entry's: not a change of the ticket's procedure, so no event.
    """
    if not actor.is_agent or ticket.unread_customer_reply_at is None:
        return False
    cleared = Ticket.objects.filter(pk=ticket.pk, unread_customer_reply_at__isnull=False).update(
        unread_customer_reply_at=None
    )
    ticket.unread_customer_reply_at = None
    return bool(cleared)


# --- assignment and watchers ----------------------------------------------------------------


def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None) -> Ticket:
    """A team leader (or manager) assigns or reassigns a ticket of their team; None unassigns.

    The new assignee hears of it (not when they assigned themselves); the previous one too.
    """
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not permissions.can_assign(locked, actor):
            raise PermissionDenied("Only a team leader or manager of the ticket's team may assign it.")
        if not locked.is_open:
            raise Refused("Assigning refused",
                          [f"an open ticket ({locked.reference} is {locked.get_status_display().lower()})"])
        if assignee is not None and not (assignee.is_agent and permissions.can_work_ticket(locked, assignee)):
            raise InvalidInput({"assignee": [f"{assignee} cannot work this ticket: not a member of "
                                             f"{locked.team or 'its team'}."]})
        previous = locked.assignee
        if (previous.pk if previous else None) == (assignee.pk if assignee else None):
            return locked
        Ticket.objects.filter(pk=locked.pk).update(assignee=assignee, updated_at=timezone.now())
        locked.assignee = assignee
        record_event(
            ticket=locked, kind="assigned", actor=actor,
            source=(previous.username if previous else "")[:40], target=(assignee.username if assignee else "")[:40],
            reason=(f"Assigned to {assignee}" if assignee else "Unassigned")
            + (f" (was {previous})" if previous else "") + ".",
            details={"assignee": assignee.pk if assignee else None, "previous": previous.pk if previous else None},
        )
        stamp = timezone.now().isoformat()
        if assignee is not None:
            notices.tell_staff(ticket=locked, kind="ticket.assigned", recipients=[assignee], actor=actor,
                               context={"assigned_by": str(actor),
                                        "message": f"{actor} assigned {locked.reference} {locked.summary} to you."},
                               dedup_key=f"ticket:{locked.pk}:assigned:{assignee.pk}:{stamp}")
        if previous is not None:
            notices.tell_staff(ticket=locked, kind="ticket.staff_comment", recipients=[previous], actor=actor,
                               context={"author": str(actor), "what": "a new assignee",
                                        "message": f"{actor} reassigned {locked.reference} from you to "
                                                   f"{assignee or 'nobody'}."},
                               dedup_key=f"ticket:{locked.pk}:unassigned:{previous.pk}:{stamp}")
        ticket_changed.send(sender=Ticket, ticket=locked, change="assigned", actor=actor)
    _refresh(ticket, locked)
    return locked


def ticket_follow(*, ticket: Ticket, actor: User) -> Watcher:
    """A staff member follows a ticket: they hear of every update."""
    if not actor.is_agent or not permissions.can_view_ticket(ticket, actor):
        raise PermissionDenied("Only support staff can follow a ticket.")
    with transaction.atomic():
        locked = lock_ticket(ticket)
        watcher, created = Watcher.objects.get_or_create(ticket=locked, user=actor, defaults={"added_by": actor})
        if created:
            record_event(ticket=locked, kind="watcher_added", actor=actor, target=actor.username[:40],
                         reason=f"{actor} follows the ticket.", details={"user": actor.pk})
    return watcher


def ticket_unfollow(*, ticket: Ticket, actor: User) -> None:
    with transaction.atomic():
        locked = lock_ticket(ticket)
        removed, _ = Watcher.objects.filter(ticket=locked, user=actor).delete()
        if removed:
            record_event(ticket=locked, kind="watcher_removed", actor=actor, source=actor.username[:40],
                         reason=f"{actor} stopped following the ticket.", details={"user": actor.pk})


def ticket_add_cc(*, ticket: Ticket, actor: User, contact: User) -> Watcher:
    """A customer copies in a colleague of their organisation (staff may do it for them)."""
    if not (permissions.is_customer_of(ticket, actor) or permissions.can_work_ticket(ticket, actor)):
        raise PermissionDenied("You may not copy people in on this request.")
    if not (contact.is_active and contact.organisation_id == ticket.organisation_id and not contact.is_staff):
        raise InvalidInput({"contact": [f"{contact} is not a contact of {ticket.organisation}."]})
    if contact.pk == ticket.requester_id:
        raise InvalidInput({"contact": [f"{contact} asked for this request and hears of it already."]})
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if locked.status in FINAL_STATES:
            raise Refused("Copying in refused", [f"an open request ({locked.reference} is finished)"])
        watcher, created = Watcher.objects.get_or_create(ticket=locked, user=contact, defaults={"added_by": actor})
        if created:
            record_event(ticket=locked, kind="cc_added", actor=actor, target=contact.username[:40],
                         reason=f"{contact} is copied in on the request.", details={"user": contact.pk},
                         is_public=True)
            notices.tell_customers(
                ticket=locked, kind="ticket.cc_added", recipients=[contact], actor=actor,
                context={"added_by": str(actor),
                         "message": f"{actor} copied you in on {locked.reference} {locked.summary}: you will "
                                    "hear of every reply."},
                dedup_key=f"ticket:{locked.pk}:cc:{contact.pk}:{watcher.pk}")
    return watcher


def ticket_remove_cc(*, ticket: Ticket, actor: User, contact: User) -> None:
    if not (permissions.is_customer_of(ticket, actor) or permissions.can_work_ticket(ticket, actor)
            or actor.pk == contact.pk):
        raise PermissionDenied("You may not change who is copied in on this request.")
    with transaction.atomic():
        locked = lock_ticket(ticket)
        removed, _ = Watcher.objects.filter(ticket=locked, user=contact, user__is_staff=False).delete()
        if removed:
            record_event(ticket=locked, kind="cc_removed", actor=actor, source=contact.username[:40],
                         reason=f"{contact} is no longer copied in.", details={"user": contact.pk},
                         is_public=True)


def ticket_add_step(
    *,
    ticket: Ticket,
    actor: User,
    kind: str,
    action: str,
    outcome: str = "",
    state: str = StepState.DONE,
    is_public: bool = False,
    files: Iterable[UploadedFile] = (),
) -> TroubleshootingStep:
    """Document a troubleshooting step with its outcome and evidence (logs, screenshots)."""
    if not permissions.can_add_step(ticket, actor):
        raise PermissionDenied("You may not add troubleshooting steps to this ticket.")
    errors: dict[str, list[str]] = {}
    if kind not in StepKind.values:
        errors["kind"] = [not_one_of(kind, StepKind.values)]
    if state not in StepState.values:
        errors["state"] = [not_one_of(state, StepState.values)]
    if not action or not action.strip():
        errors["action"] = ["Say what was done."]
    if state == StepState.DONE and (not outcome or not outcome.strip()):
        errors["outcome"] = ["Say what the step showed (its outcome)."]
    if errors:
        raise InvalidInput(errors)
    files = list(files)
    for upload in files:
        validate_upload(upload)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not locked.is_open:
            raise Refused("Troubleshooting refused", ["an open ticket (this one is finished)"])
        # The step is filed under the team the engineer worked it for: the ticket's team when
        # they belong to it, otherwise their own (first) team, so the tier doing it is known.
        if locked.team_id in actor.team_ids:
            team = locked.team
        else:
            team = Team.objects.filter(members=actor).order_by("pk").first()
        step = TroubleshootingStep.objects.create(
            ticket=locked,
            kind=kind,
            action=action.strip(),
            outcome=(outcome or "").strip(),
            state=state,
            engineer=actor,
            team=team,
            is_public=is_public,
        )
        for upload in files:
            _store_attachment(
                ticket=locked, actor=actor, upload=upload, is_internal=not is_public, step=step
            )
        record_event(
            ticket=locked,
            kind="step",
            actor=actor,
            details={"step": step.pk, "step_kind": kind, "files": len(files), "state": state},
            is_public=is_public,
        )
    return step


def ticket_attach(
    *, ticket: Ticket, actor: User, upload: UploadedFile, is_internal: bool = False
) -> Attachment:
    """Attach a file to the ticket itself."""
    if not permissions.can_attach(ticket, actor):
        raise PermissionDenied("You may not attach files to this ticket.")
    if is_internal and not permissions.can_view_internal(actor):
        raise PermissionDenied("You may not add internal attachments.")
    validate_upload(upload)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        attachment = _store_attachment(
            ticket=locked, actor=actor, upload=upload, is_internal=is_internal
        )
        record_event(
            ticket=locked,
            kind="attachment",
            actor=actor,
            details={"attachment": attachment.pk, "name": attachment.original_name},
            is_public=not is_internal,
        )
    return attachment
