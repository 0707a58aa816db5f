"""Troubleshooting steps: what was tried on a ticket and what it showed, with its evidence;
a step a team leader suggests stays to do until an engineer completes it."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team, User
from escalation_desk.domain import InvalidInput, Refused, not_one_of

from .. import permissions
from ..models import StepKind, StepState, Ticket, TroubleshootingStep
from .attachments import store_attachment, validate_upload
from .core import lock_ticket, record_event


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
        raise PermissionDenied(gettext("You may not add troubleshooting steps to this ticket."))
    _check_step(kind=kind, action=action, outcome=outcome, state=state)
    files = list(files)
    for upload in files:
        validate_upload(upload)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not locked.is_open:
            raise Refused(
                gettext("Troubleshooting refused"), [gettext("an open ticket (this one is finished)")]
            )
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
            store_attachment(ticket=locked, actor=actor, upload=upload, is_internal=not is_public, step=step)
        record_event(
            ticket=locked,
            kind="step",
            actor=actor,
            details={"step": step.pk, "step_kind": kind, "files": len(files), "state": state},
            is_public=is_public,
        )
    return step


def _check_step(*, kind: str, action: str, outcome: str, state: str) -> None:
    """Refuse a step of no known kind or state, one that does not say what was done, or a done
    step without its outcome."""
    errors: dict[str, list[str]] = {}
    if kind not in StepKind.values:
        errors["kind"] = [not_one_of(kind, StepKind.values)]
    if state not in StepState.values:
        errors["state"] = [not_one_of(state, StepState.values)]
    if not action or not action.strip():
        errors["action"] = [gettext("Say what was done.")]
    if state == StepState.DONE and (not outcome or not outcome.strip()):
        errors["outcome"] = [gettext("Say what the step showed (its outcome).")]
    if errors:
        raise InvalidInput(errors)


def ticket_complete_step(
    *, step: TroubleshootingStep, actor: User, outcome: str, files: Iterable[UploadedFile] = ()
) -> TroubleshootingStep:
    """A to-do step (suggested by a team leader) is done, with its outcome and evidence."""
    ticket = step.ticket
    if not permissions.can_add_step(ticket, actor):
        raise PermissionDenied(gettext("You may not document troubleshooting on this ticket."))
    if not outcome or not outcome.strip():
        raise InvalidInput({"outcome": [gettext("Say what the step showed (its outcome).")]})
    files = list(files)
    for upload in files:
        validate_upload(upload)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        current = TroubleshootingStep.objects.select_for_update().get(pk=step.pk)
        if current.state != StepState.TO_DO:
            raise Refused(gettext("This step is already done"), [gettext("a step still to do")])
        if not locked.is_open:
            raise Refused(
                gettext("Troubleshooting refused"), [gettext("an open ticket (this one is finished)")]
            )
        current.state = StepState.DONE
        current.outcome = outcome.strip()
        current.engineer = actor
        current.performed_at = timezone.now()
        if locked.team_id in actor.team_ids:
            current.team_id = locked.team_id
        current.save()
        for upload in files:
            store_attachment(
                ticket=locked, actor=actor, upload=upload, is_internal=not current.is_public, step=current
            )
        record_event(
            ticket=locked,
            kind="step_done",
            actor=actor,
            details={"step": current.pk, "step_kind": current.kind, "files": len(files)},
            is_public=current.is_public,
        )
    step.refresh_from_db()
    return current
