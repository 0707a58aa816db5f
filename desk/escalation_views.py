"""Console actions of the escalation procedure (SPEC §3–§5) and the approvals inbox.

Each action: the ticket (404 if the user may not see it), the object on it (404 if it is not
the ticket's), who may act (403 before any input is read), then the form and the service. A
refusal re-renders the page with the form as typed and the service's list of what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from approvals import permissions as approval_permissions
from approvals.models import ApprovalRequest
from approvals.services import DECISION_CLOCK, approval_approve, approval_request_changes
from clocks.models import Clock
from clocks.services import clock_status
from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.input_guard import is_number
from escalations import permissions
from escalations import selectors as escalation_selectors
from escalations.models import Consult, Handoff, Tier, TierKind, VendorEngagement
from escalations.services import consults, decisions, handoffs, vendor
from tickets import permissions as ticket_permissions
from tickets import selectors
from tickets.models import Ticket, TroubleshootingStep
from tickets.services.steps import ticket_complete_step

from .badges import business_duration
from .escalation_forms import (
    ApproveForm,
    ConsultForm,
    ConsultReplyForm,
    ConsultWithdrawForm,
    DecisionForm,
    EscalateForm,
    RequestChangesForm,
    ReturnForm,
    StepDoneForm,
    VendorEngageForm,
    VendorUpdateForm,
    WithdrawForm,
)
from .views import agent_required, load_ticket, render_ticket_page, show_service_errors

Action = Callable[[dict[str, Any]], Any]


def run_ticket_action(
    request: HttpRequest,
    ticket: Ticket,
    name: str,
    form: Any,
    action: Action,
    *,
    done: str,
    anchor: str,
    still_allowed: Callable[[], bool],
) -> HttpResponse:
    """Validate, call the service, and redirect; or re-render the ticket with the refusal."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except (Refused, InvalidInput, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied) and not still_allowed():
                raise
            show_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(reverse("desk:ticket", args=[ticket.pk]) + anchor)
    return render_ticket_page(request, load_ticket(request, ticket.pk), bound={name: form})


def require(allowed: Callable[[], bool], message: str) -> Callable[[], bool]:
    """403 unless allowed() (before any input is read); returns it for run_ticket_action's still_allowed."""
    if not allowed():
        raise PermissionDenied(message)
    return allowed


def _posted_tier(request: HttpRequest, prefix: str, ticket: Ticket) -> Tier | None:
    """The tier the form was shown in (hidden field), else the ticket's current tier."""
    value = request.POST.get(f"{prefix}-from_tier", "")
    if is_number(value):
        tier = Tier.objects.select_related("path").filter(pk=int(value)).first()
        if tier is not None:
            return tier
    stint = escalation_selectors.current_stint(ticket)
    return stint.tier if stint else None


# --- hand-offs -------------------------------------------------------------------------------


@require_POST
@agent_required
def ticket_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    here = _posted_tier(request, "escalate", ticket)
    # A ticket that left the tier the form showed is the service's refusal (where it went), not a 403.
    allowed = require(
        lambda: handoffs.has_moved_from(ticket, here) or permissions.can_escalate(ticket, request.user),
        _("You may not escalate this ticket."),
    )
    tiers = [t for t in escalation_selectors.ladder(here.path) if t.level > here.level] if here else []
    form = EscalateForm(request.POST, prefix="escalate", tiers=tiers)
    if not tiers:
        form.fields["to_tier"].required = False  # the service says why there is nowhere to go

    def action(data: dict[str, Any]) -> Any:
        return handoffs.escalate(
            ticket=ticket,
            actor=request.user,
            to_tier=data["to_tier"],
            criterion=data["criterion"],
            findings=data["findings"],
            workaround=data["workaround"],
            evidence_note=data["evidence_note"],
            from_tier=here,
        )

    return run_ticket_action(
        request,
        ticket,
        "escalate",
        form,
        action,
        done=_("Escalation filed."),
        anchor="#tier",
        still_allowed=allowed,
    )


@require_POST
@agent_required
def ticket_return(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    here = _posted_tier(request, "return", ticket)
    allowed = require(
        lambda: handoffs.has_moved_from(ticket, here) or permissions.can_return(ticket, request.user),
        _("You may not return this ticket."),
    )
    tiers = [t for t in escalation_selectors.ladder(here.path) if t.level < here.level] if here else []
    form = ReturnForm(request.POST, prefix="return", tiers=tiers)

    def action(data: dict[str, Any]) -> Any:
        return handoffs.return_to_tier(
            ticket=ticket,
            actor=request.user,
            to_tier=data["to_tier"],
            findings=data["findings"],
            workaround=data["workaround"],
            from_tier=here,
        )

    return run_ticket_action(
        request,
        ticket,
        "return",
        form,
        action,
        done=_("Ticket returned."),
        anchor="#tier",
        still_allowed=allowed,
    )


@require_POST
@agent_required
def handoff_withdraw(request: HttpRequest, pk: int, handoff_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    handoff = get_object_or_404(Handoff.objects.select_related("ticket"), pk=handoff_pk, ticket=ticket)
    allowed = require(
        lambda: not handoff.is_active or permissions.can_withdraw(handoff, request.user),
        _("You may not withdraw this hand-off."),
    )
    form = WithdrawForm(request.POST, prefix="withdraw")

    def action(data: dict[str, Any]) -> Any:
        return handoffs.handoff_withdraw(handoff=handoff, actor=request.user, reason=data["reason"])

    return run_ticket_action(
        request,
        ticket,
        "withdraw",
        form,
        action,
        done=_("Hand-off withdrawn."),
        anchor="#tier",
        still_allowed=allowed,
    )


# --- consults --------------------------------------------------------------------------------


@require_POST
@agent_required
def consult_new(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    allowed = require(
        lambda: permissions.can_consult(ticket, request.user), _("You may not consult on this ticket.")
    )
    form = ConsultForm(request.POST, prefix="consult", ticket_team_id=ticket.team_id)

    def action(data: dict[str, Any]) -> Any:
        return consults.consult_request(
            ticket=ticket,
            actor=request.user,
            team=data["team"],
            question=data["question"],
            reply_minutes=data["reply_minutes"],
        )

    return run_ticket_action(
        request,
        ticket,
        "consult",
        form,
        action,
        done=_("Consult sent."),
        anchor="#consults",
        still_allowed=allowed,
    )


def _consult(ticket: Ticket, consult_pk: int) -> Consult:
    consult = get_object_or_404(Consult.objects.select_related("team"), pk=consult_pk, ticket=ticket)
    consult.ticket = ticket
    return consult


@require_POST
@agent_required
def consult_reply(request: HttpRequest, pk: int, consult_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    consult = _consult(ticket, consult_pk)
    allowed = require(
        lambda: permissions.can_reply_consult(consult, request.user), _("Only the consulted team may reply.")
    )
    name = f"consult_reply-{consult.pk}"
    form = ConsultReplyForm(request.POST, prefix=name)

    def action(data: dict[str, Any]) -> Any:
        return consults.consult_reply(consult=consult, actor=request.user, reply=data["reply"])

    return run_ticket_action(
        request, ticket, name, form, action, done=_("Reply sent."), anchor="#consults", still_allowed=allowed
    )


@require_POST
@agent_required
def consult_withdraw(request: HttpRequest, pk: int, consult_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    consult = _consult(ticket, consult_pk)
    allowed = require(
        lambda: permissions.can_withdraw_consult(consult, request.user),
        _("You may not withdraw this consult."),
    )
    name = f"consult_withdraw-{consult.pk}"
    form = ConsultWithdrawForm(request.POST, prefix=name)

    def action(data: dict[str, Any]) -> Any:
        return consults.consult_withdraw(consult=consult, actor=request.user, reason=data["reason"])

    return run_ticket_action(
        request,
        ticket,
        name,
        form,
        action,
        done=_("Consult withdrawn."),
        anchor="#consults",
        still_allowed=allowed,
    )


# --- vendor tiers and the IT manager's decision ----------------------------------------------


@require_POST
@agent_required
def vendor_engage(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    allowed = require(
        lambda: permissions.can_record_vendor(ticket, request.user),
        _("You may not record vendor work on this ticket."),
    )
    form = VendorEngageForm(request.POST, prefix="vendor_engage")

    def action(data: dict[str, Any]) -> Any:
        return vendor.vendor_engage(
            ticket=ticket,
            actor=request.user,
            case_number=data["case_number"],
            contact=data["contact"],
            vendor_name=data["vendor_name"],
        )

    return run_ticket_action(
        request,
        ticket,
        "vendor_engage",
        form,
        action,
        done=_("Vendor case recorded."),
        anchor="#vendor",
        still_allowed=allowed,
    )


@require_POST
@agent_required
def vendor_update(request: HttpRequest, pk: int, engagement_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    engagement = get_object_or_404(VendorEngagement, pk=engagement_pk, ticket=ticket)
    engagement.ticket = ticket
    allowed = require(
        lambda: permissions.can_record_vendor(ticket, request.user),
        _("You may not record vendor work on this ticket."),
    )
    name = f"vendor_update-{engagement.pk}"
    form = VendorUpdateForm(request.POST, prefix=name)

    def action(data: dict[str, Any]) -> Any:
        return vendor.vendor_update(
            engagement=engagement,
            actor=request.user,
            summary=data["summary"],
            received_at=data["received_at"],
        )

    return run_ticket_action(
        request,
        ticket,
        name,
        form,
        action,
        done=_("Vendor update recorded."),
        anchor="#vendor",
        still_allowed=allowed,
    )


@require_POST
@agent_required
def ticket_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The IT manager's decision: only someone who may decide at the ladder's decision tier."""
    ticket = selectors.get_ticket_for(request.user, pk)
    stint = escalation_selectors.current_stint(ticket)
    tiers = escalation_selectors.ladder(stint.tier.path) if stint else []
    decision_tier = next(
        (t for t in tiers if t.pk == stint.tier_id and t.kind == TierKind.DECISION), None
    ) or next((t for t in tiers if t.kind == TierKind.DECISION), None)
    allowed = require(
        lambda: decision_tier is not None and permissions.can_decide_at(decision_tier, request.user),
        _("Only the IT manager decides here."),
    )
    form = DecisionForm(
        request.POST, prefix="decision", tiers=[t for t in tiers if t.kind != TierKind.DECISION]
    )

    def action(data: dict[str, Any]) -> Any:
        return decisions.record_decision(
            ticket=ticket,
            actor=request.user,
            outcome=data["outcome"],
            notes=data["notes"],
            to_tier=data["to_tier"],
            root_cause=data["root_cause"],
            knowledge_article=data["knowledge_article"],
            knowledge_none_reason=data["knowledge_none_reason"],
        )

    return run_ticket_action(
        request,
        ticket,
        "decision",
        form,
        action,
        done=_("Decision recorded."),
        anchor="#tier",
        still_allowed=allowed,
    )


# --- to-do steps (suggested by a team leader) ------------------------------------------------


@require_POST
@agent_required
def step_done(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    step = get_object_or_404(TroubleshootingStep, pk=step_pk, ticket=ticket)
    step.ticket = ticket
    allowed = require(
        lambda: ticket_permissions.can_add_step(ticket, request.user),
        _("You may not document troubleshooting on this ticket."),
    )
    name = f"step_done-{step.pk}"
    form = StepDoneForm(request.POST, request.FILES, prefix=name)

    def action(data: dict[str, Any]) -> Any:
        return ticket_complete_step(
            step=step, actor=request.user, outcome=data["outcome"], files=data["files"]
        )

    return run_ticket_action(
        request, ticket, name, form, action, done=_("Step done."), anchor="#to-do", still_allowed=allowed
    )


# --- approvals: on the ticket page and in the inbox ------------------------------------------


DECISIONS = {
    "approve": (ApproveForm, gettext_lazy("Approved.")),
    "request-changes": (RequestChangesForm, gettext_lazy("Sent back with the steps to do.")),
}
NOT_DECIDER = gettext_lazy(
    "Only a team leader or manager of the requester's team may decide, never the requester."
)


def _decide(approval: ApprovalRequest, user: Any, decision: str, data: dict[str, Any]) -> ApprovalRequest:
    if decision == "approve":
        return approval_approve(request=approval, actor=user, notes=data["notes"])
    return approval_request_changes(request=approval, actor=user, steps=data["steps"], notes=data["notes"])


def _form_name(decision: str) -> str:
    return "approve" if decision == "approve" else "request_changes"


@require_POST
@agent_required
def ticket_approval_decide(request: HttpRequest, pk: int, approval_pk: int, decision: str) -> HttpResponse:
    """Approve or request changes from the ticket page (the approval of this ticket's hand-off)."""
    if decision not in DECISIONS:
        raise Http404(_("No such decision."))
    ticket = selectors.get_ticket_for(request.user, pk)
    approval = get_object_or_404(ApprovalRequest, pk=approval_pk, handoff__ticket=ticket)
    allowed = require(lambda: approval_permissions.can_decide(approval, request.user), NOT_DECIDER)
    form_class, done = DECISIONS[decision]
    name = _form_name(decision)
    form = form_class(request.POST, prefix=name)
    return run_ticket_action(
        request,
        ticket,
        name,
        form,
        lambda data: _decide(approval, request.user, decision, data),
        done=done,
        anchor="#tier",
        still_allowed=allowed,
    )


def _decision_clocks(approvals: list[ApprovalRequest]) -> dict[int, Clock]:
    if not approvals:
        return {}
    clocks = (
        Clock.objects.filter(
            content_type=ContentType.objects.get_for_model(ApprovalRequest),
            kind=DECISION_CLOCK,
            object_id__in=[a.pk for a in approvals],
        )
        .select_related("calendar")
        .prefetch_related("calendar__windows", "calendar__holidays")
    )
    return {clock.object_id: clock for clock in clocks}


def _time_left(clock: Clock | None) -> dict[str, Any] | None:
    """The decision time frame as a badge (label, state, text), like the tickets' SLA badges."""
    if clock is None:
        return None
    status = clock_status(clock, timezone.now())
    left = business_duration(status["remaining"])
    if status["state"] == "breached":
        text = _("overdue by %(time)s") % {"time": left} if status["remaining"] < 0 else _("overdue")
    elif status["state"] == "stopped":
        text = _("decided")
    else:
        text = _("%(time)s left") % {"time": left}
    return {
        "kind": clock.kind,
        "label": _("Decision"),
        "state": status["state"],
        "text": text,
        "due_at": status["due_at"],
    }


def _inbox(request: HttpRequest, bound: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    bound = bound or {}
    bound_ids = {int(name.split("-")[1]) for name in bound}
    approvals = list(
        ApprovalRequest.objects.filter(
            Q(pk__in=ApprovalRequest.objects.decidable_by(request.user).values("pk")) | Q(pk__in=bound_ids)
        )
        .select_related("requested_by", "previous__decided_by")
        .order_by("requested_at", "pk")
    )
    clocks = _decision_clocks(approvals)
    for approval in approvals:
        approval.time_left = _time_left(clocks.get(approval.pk))
        approval.approve_form = bound.get(f"approve-{approval.pk}") or ApproveForm(
            prefix=f"approve-{approval.pk}"
        )
        approval.changes_form = bound.get(f"request_changes-{approval.pk}") or RequestChangesForm(
            prefix=f"request_changes-{approval.pk}"
        )
    return render(
        request,
        "desk/approvals.html",
        {"approvals": approvals, "open_form": next(iter(bound), None)},
        status=status,
    )


@require_GET
@agent_required
def approvals_inbox(request: HttpRequest) -> HttpResponse:
    return _inbox(request)


@require_POST
@agent_required
def approval_decide(request: HttpRequest, approval_pk: int, decision: str) -> HttpResponse:
    """Approve or request changes from the inbox."""
    if decision not in DECISIONS:
        raise Http404(_("No such decision."))
    approval = ApprovalRequest.objects.filter(pk=approval_pk).first()
    if approval is None or not approval_permissions.can_view(approval, request.user):
        raise Http404(_("No such approval request."))
    require(lambda: approval_permissions.can_decide(approval, request.user), NOT_DECIDER)
    form_class, done = DECISIONS[decision]
    name = f"{_form_name(decision)}-{approval.pk}"
    form = form_class(request.POST, prefix=name)
    if form.is_valid():
        try:
            _decide(approval, request.user, decision, form.cleaned_data)
        except (Refused, InvalidInput) as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, f"{approval.reference}: {done}")
            return redirect("desk:approvals")
    return _inbox(request, bound={name: form})
