"""What the ticket page shows of the ticket's place on its ladder, and the forms to move it.

The reads are escalations.selectors.tier_panel_view's (a fixed number of queries whatever the
number of hand-offs, consults or vendor updates; who may do what is asked of
escalations.permissions and approvals.permissions there, and the services check again when a
form is posted). This module only turns that read model into template context: forms, and the
refused forms (`bound`) that stay on the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from escalations.models import TierKind
from escalations.records import activity_record
from escalations.selectors import TierPanelView, tier_panel_view
from tickets.models import Ticket

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
    view = tier_panel_view(ticket, request.user)
    _give_consults_their_forms(view, bound)
    _give_engagements_their_forms(view, bound)
    _give_steps_their_forms(view, bound)
    return {
        "stint": view.stint,
        "tier": view.here,
        "ladder": view.tiers,
        "requirements": view.requirements,
        "arrival": view.arrival,
        "handoffs": view.handoffs,
        "active_handoff": view.active_handoff,
        "pending_approval": view.pending_approval,
        "consults": view.consults,
        "engagements": view.engagements,
        "decisions": view.decisions,
        # What the IT manager decides on (seed 001): read only for them, at the decision point.
        "activity_record": activity_record(ticket) if view.may["decide"] or "decision" in bound else None,
        "to_do_steps": view.to_do_steps,
        "dropped_forms": _dropped_forms(view, bound),
        "may_add_step": view.may["add_step"],
        "may": _may(view, bound),
        **_forms(view, ticket, bound),
    }


def _give_consults_their_forms(view: TierPanelView, bound: dict[str, Any]) -> None:
    """Each consult's reply and withdraw forms, and whether to show them. A refused form stays
    on the page even when a colleague acted first."""
    for consult in view.consults:
        reply, withdraw = f"consult_reply-{consult.pk}", f"consult_withdraw-{consult.pk}"
        consult.may_reply = consult.pk in view.consults_to_reply or reply in bound
        consult.may_withdraw = consult.pk in view.consults_to_withdraw or withdraw in bound
        consult.reply_form = bound.get(reply) or ConsultReplyForm(prefix=reply)
        consult.withdraw_form = bound.get(withdraw) or ConsultWithdrawForm(prefix=withdraw)


def _give_engagements_their_forms(view: TierPanelView, bound: dict[str, Any]) -> None:
    for engagement in view.engagements:
        name = f"vendor_update-{engagement.pk}"
        engagement.may_update = engagement.pk in view.engagements_to_update or name in bound
        engagement.update_form = bound.get(name) or VendorUpdateForm(prefix=name)


def _give_steps_their_forms(view: TierPanelView, bound: dict[str, Any]) -> None:
    for step in view.to_do_steps:
        step.done_form = bound.get(f"step_done-{step.pk}") or StepDoneForm(prefix=f"step_done-{step.pk}")


def _dropped_forms(view: TierPanelView, bound: dict[str, Any]) -> list[Any]:
    """Refused forms whose object is gone meanwhile (decided, withdrawn, done): their refusal
    is still shown, at the top of the Tier section."""
    shown_steps = {f"step_done-{s.pk}" for s in view.to_do_steps}
    return [
        f
        for name, f in bound.items()
        if (name in ("approve", "request_changes") and view.pending_approval is None)
        or (name == "withdraw" and view.active_handoff is None)
        or (name.startswith("step_done-") and name not in shown_steps)
    ]


def _may(view: TierPanelView, bound: dict[str, Any]) -> dict[str, bool]:
    """Which of the panel's forms to show: what the user may do, or a refused form to show again."""
    may = view.may
    return {
        "escalate": may["escalate"] or "escalate" in bound,
        "return": may["return"] or "return" in bound,
        "consult": may["consult"] or "consult" in bound,
        "withdraw": may["withdraw"] or "withdraw" in bound,
        "decide_approval": may["decide_approval"] or "approve" in bound or "request_changes" in bound,
        "engage_vendor": may["record_vendor"] or "vendor_engage" in bound,
        "decide": may["decide"] or "decision" in bound,
    }


def _forms(view: TierPanelView, ticket: Ticket, bound: dict[str, Any]) -> dict[str, Any]:
    """The panel's forms: the refused one as posted, the others blank."""
    here = view.here

    def form(name: str, factory: Any) -> Any:
        return bound.get(name) or factory()

    return {
        "escalate_form": form(
            "escalate",
            lambda: EscalateForm(
                prefix="escalate", tiers=view.above, initial={"from_tier": here.pk if here else ""}
            ),
        ),
        "return_form": form(
            "return",
            lambda: ReturnForm(
                prefix="return", tiers=view.below, initial={"from_tier": here.pk if here else ""}
            ),
        ),
        "consult_form": form("consult", lambda: ConsultForm(prefix="consult", ticket_team_id=ticket.team_id)),
        "withdraw_form": form("withdraw", lambda: WithdrawForm(prefix="withdraw")),
        "approve_form": form("approve", lambda: ApproveForm(prefix="approve")),
        "request_changes_form": form("request_changes", lambda: RequestChangesForm(prefix="request_changes")),
        "vendor_engage_form": form(
            "vendor_engage",
            lambda: VendorEngageForm(
                prefix="vendor_engage", initial={"vendor_name": here.vendor_name if here else ""}
            ),
        ),
        "decision_form": form(
            "decision",
            lambda: DecisionForm(
                prefix="decision", tiers=[t for t in view.tiers if t.kind != TierKind.DECISION]
            ),
        ),
    }
