"""Issue 5, isolation: a gate's approval notes and the steps a team leader sent back are staff
matters: the customer never sees them, in the portal page or in the tickets API."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.services import approval_approve, approval_request_changes
from escalations.models import Handoff, HandoffStatus
from escalations.services import handoffs
from escalations.tests.conftest import World, at, triaged
from tickets.models import StepKind, Ticket
from tickets.services.lifecycle import ticket_start
from tickets.services.steps import ticket_add_step

NOTES = "APPROVAL-NOTES-only-staff-read-this"
STEP = "SUGGESTED-STEP-only-staff-read-this"


def gated_in_engineering(world: World) -> tuple[Ticket, Handoff]:
    """Carla's ERP request worked up to Engineering; Ella asks for Onsite Support (gated)."""
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="Checked",
            outcome="Nothing found",
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings="Deeper",
            criterion=world.tier("Tier 2").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["tom"])
        ticket_add_step(
            ticket=ticket, actor=world["tom"], kind=StepKind.REPLICATION, action="Replicated", outcome="Fails"
        )
        handoffs.escalate(
            ticket=ticket,
            actor=world["tom"],
            findings="Bug",
            criterion=world.tier("Engineering").criteria.first(),
        )
        ticket_start(ticket=ticket, actor=world["ella"])
        ticket_add_step(
            ticket=ticket,
            actor=world["ella"],
            kind=StepKind.LOG_ANALYSIS,
            action="Read the log",
            outcome="Hardware fault",
        )
        handoff = handoffs.escalate(
            ticket=ticket, actor=world["ella"], findings="Site visit", evidence_note="none"
        )
    assert handoff.status == HandoffStatus.PENDING_APPROVAL
    return ticket, handoff


@pytest.mark.parametrize("decision", ["approve", "request_changes"])
def test_the_customer_never_sees_approval_notes_or_suggested_steps(
    client: Client, world: World, decision: str
) -> None:
    ticket, handoff = gated_in_engineering(world)
    with time_machine.travel(at(23, 10), tick=False):
        if decision == "approve":
            approval_approve(request=handoff.approval, actor=world["kenji"], notes=NOTES)
        else:
            approval_request_changes(
                request=handoff.approval, actor=world["kenji"], steps=[STEP], notes=NOTES
            )
    # The notes (and steps) are on the ticket for staff: what the customer must not see exists.
    staff_api = APIClient()
    staff_api.force_authenticate(world["ella"])
    staff_view = staff_api.get(f"/api/tickets/{ticket.pk}/").content.decode()
    assert NOTES in staff_view
    assert (STEP in staff_view) is (decision == "request_changes")

    client.force_login(world["carla"])
    portal_page = client.get(reverse("portal:request", args=[ticket.pk]))
    assert portal_page.status_code == 200
    customer_api = APIClient()
    customer_api.force_authenticate(world["carla"])
    answers = [customer_api.get(f"/api/tickets/{ticket.pk}/{tail}") for tail in ("", "steps/", "comments/")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    for text in (portal_page.content.decode(), *(a.content.decode() for a in answers)):
        assert NOTES not in text
        assert STEP not in text
