"""What the ticket page shows of the ticket's place on its ladder, and the forms to move it.

A fixed number of queries whatever the number of hand-offs, consults or vendor updates:
the current stint, the ladder (tiers and criteria), the hand-offs, the pending approval's
approvers, the consults, the vendor engagements with their updates and the IT manager's
decisions, each read once. Who may do what is asked of escalations.permissions and
approvals.permissions; the services check again when a form is posted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest

from approvals import permissions as approval_permissions
from escalations import permissions
from escalations.models import (
    Consult,
    ConsultStatus,
    Handoff,
    ManagerDecision,
    TierKind,
    VendorEngagement,
    VendorUpdate,
)
from escalations.selectors import activity_record, current_stint, ladder, requirements_of
from tickets import permissions as ticket_permissions
from tickets.models import StepState, Ticket

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


def tier_panel(request: HttpRequest, ticket: Ticket, bound: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    stint = current_stint(ticket)
    tiers = ladder(stint.tier.path) if stint else []
    here = next((t for t in tiers if stint and t.pk == stint.tier_id), None)
    above = [t for t in tiers if here and t.level > here.level]
    below = [t for t in tiers if here and t.level < here.level]

    handoffs = list(
        Handoff.objects.filter(ticket=ticket)
        .select_related("from_tier", "to_tier", "requested_by", "approval__decided_by", "approval__requested_by")
        .order_by("requested_at", "pk")
    )
    for handoff in handoffs:
        handoff.ticket = ticket  # permission checks read it: no query per row
    active = next((h for h in handoffs if h.is_active), None)
    arrival = next((h for h in handoffs if stint and h.pk == stint.handoff_id), None)
    approval = active.approval if active and active.approval_id and active.approval.is_pending else None
    if approval is not None:
        prefetch_related_objects([approval], "approvers")

    actions = permissions.ladder_actions(ticket=ticket, user=user, here=here, tiers=tiers, active=active)
    may_escalate, may_return = actions["escalate"], actions["return"]
    may_consult, may_record_vendor = actions["consult"], actions["record_vendor"]
    may_decide_here = actions["decide"]
    may_decide_approval = approval is not None and approval_permissions.can_decide(approval, user)

    consults = list(
        Consult.objects.filter(ticket=ticket).select_related("team", "requested_by", "replied_by")
        .order_by("requested_at", "pk")
    )
    for consult in consults:
        consult.ticket = ticket
        is_open = consult.state == ConsultStatus.OPEN
        # A refused form stays on the page even when a colleague acted first.
        consult.may_reply = (is_open and permissions.can_reply_consult(consult, user)) or (
            f"consult_reply-{consult.pk}" in bound)
        consult.may_withdraw = (is_open and permissions.can_withdraw_consult(consult, user)) or (
            f"consult_withdraw-{consult.pk}" in bound)
        consult.reply_form = bound.get(f"consult_reply-{consult.pk}") or ConsultReplyForm(
            prefix=f"consult_reply-{consult.pk}")
        consult.withdraw_form = bound.get(f"consult_withdraw-{consult.pk}") or ConsultWithdrawForm(
            prefix=f"consult_withdraw-{consult.pk}")

    engagements = list(
        VendorEngagement.objects.filter(ticket=ticket).select_related("engaged_by", "tier")
        .prefetch_related(Prefetch("updates", queryset=VendorUpdate.objects.select_related("recorded_by")))
        .order_by("engaged_at", "pk")
    )
    for engagement in engagements:
        engagement.may_update = (may_record_vendor and engagement.tier_id == here.pk) or (
            f"vendor_update-{engagement.pk}" in bound)
        engagement.update_form = bound.get(f"vendor_update-{engagement.pk}") or VendorUpdateForm(
            prefix=f"vendor_update-{engagement.pk}")

    decisions = list(ManagerDecision.objects.filter(ticket=ticket).select_related("decided_by", "tier"))

    may_add_step = ticket_permissions.can_add_step(ticket, user)
    to_do = [s for s in ticket.steps.all() if s.state == StepState.TO_DO]
    for step in to_do:
        step.done_form = bound.get(f"step_done-{step.pk}") or StepDoneForm(prefix=f"step_done-{step.pk}")

    # Refused forms whose object is gone meanwhile (decided, withdrawn, done): their refusal
    # is still shown, at the top of the Tier section.
    shown_steps = {f"step_done-{s.pk}" for s in to_do}
    dropped = [
        f for name, f in bound.items()
        if (name in ("approve", "request_changes") and approval is None)
        or (name == "withdraw" and active is None)
        or (name.startswith("step_done-") and name not in shown_steps)
    ]

    def form(name: str, factory: Any) -> Any:
        return bound.get(name) or factory()

    return {
        "stint": stint,
        "tier": here,
        "ladder": tiers,
        "requirements": [(t, requirements_of(t)) for t in above],
        "arrival": arrival,
        "handoffs": handoffs,
        "active_handoff": active,
        "pending_approval": approval,
        "consults": consults,
        "engagements": engagements,
        "decisions": decisions,
        # What the IT manager decides on (seed 001): read only for them, at the decision point.
        "activity_record": activity_record(ticket) if may_decide_here or "decision" in bound else None,
        "to_do_steps": to_do,
        "dropped_forms": dropped,
        "may_add_step": may_add_step,
        "may": {
            "escalate": may_escalate or "escalate" in bound,
            "return": may_return or "return" in bound,
            "consult": may_consult or "consult" in bound,
            "withdraw": (active is not None and permissions.can_withdraw(active, user)) or "withdraw" in bound,
            "decide_approval": may_decide_approval or "approve" in bound or "request_changes" in bound,
            "engage_vendor": may_record_vendor or "vendor_engage" in bound,
            "decide": may_decide_here or "decision" in bound,
        },
        "escalate_form": form("escalate", lambda: EscalateForm(
            prefix="escalate", tiers=above, initial={"from_tier": here.pk if here else ""})),
        "return_form": form("return", lambda: ReturnForm(
            prefix="return", tiers=below, initial={"from_tier": here.pk if here else ""})),
        "consult_form": form("consult", lambda: ConsultForm(prefix="consult", ticket_team_id=ticket.team_id)),
        "withdraw_form": form("withdraw", lambda: WithdrawForm(prefix="withdraw")),
        "approve_form": form("approve", lambda: ApproveForm(prefix="approve")),
        "request_changes_form": form("request_changes", lambda: RequestChangesForm(prefix="request_changes")),
        "vendor_engage_form": form("vendor_engage", lambda: VendorEngageForm(
            prefix="vendor_engage", initial={"vendor_name": here.vendor_name if here else ""})),
        "decision_form": form("decision", lambda: DecisionForm(
            prefix="decision", tiers=[t for t in tiers if t.kind != TierKind.DECISION])),
    }
