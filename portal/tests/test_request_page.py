"""The request page: public parts only, the tier and clocks in plain words, the escalation
contacts, messages, and the customer's quality control (confirm or reopen)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from clocks.models import Clock, ClockState
from escalations import selectors
from escalations.models import Handoff
from escalations.services import handoffs as handoff_services
from escalations.tests.conftest import World, at, triaged
from tickets.models import Attachment, Comment, SlaTarget, StepKind, Ticket, TimelineEvent
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import ticket_await_customer, ticket_start
from tickets.services.steps import ticket_add_step

from .helpers import drive_to, page, snapshot

INTERNAL = {
    "comment": "INTERNAL-COMMENT-customer-is-difficult",
    "step": "INTERNAL-STEP-checked-the-admin-password",
    "file": "internal-dump-INTERNAL.log",
    "findings": "INTERNAL-FINDINGS-rounding-bug-in-our-code",
}


def in_tier_2(world: World) -> Ticket:
    """An ERP request Tier 1 documented and escalated, now worked by Tom of Tier 2."""
    ravi = world["ravi"]
    ravi.title, ravi.phone = "Tier 2 team leader", "+44 20 7946 0102"
    ravi.save()
    SlaTarget.objects.get_or_create(
        priority="P2", defaults={"first_response_minutes": 60, "resolution_minutes": 16 * 60}
    )
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world, summary="Invoice totals off by a cent")
        ticket_start(ticket=ticket, actor=world["erin"])
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action=INTERNAL["step"],
            outcome="Off by 0.01",
            files=[SimpleUploadedFile(INTERNAL["file"], b"core dump")],
        )
        ticket_add_step(
            ticket=ticket,
            actor=world["erin"],
            kind=StepKind.BASIC_CHECK,
            action="We reproduced it with your invoice",
            outcome="Off by 0.01 as you said",
            is_public=True,
            files=[SimpleUploadedFile("invoice-check.png", b"png")],
        )
        ticket_comment(ticket=ticket, actor=world["erin"], body=INTERNAL["comment"], is_internal=True)
        ticket_comment(ticket=ticket, actor=world["erin"], body="We are looking into it.")
        handoff_services.escalate(
            ticket=ticket,
            actor=world["erin"],
            findings=INTERNAL["findings"],
            criterion=world.tier("Tier 2").criteria.get(text="Potential bug"),
        )
    with time_machine.travel(at(23, 10), tick=False):
        ticket_start(ticket=ticket, actor=world["tom"])
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def escalated(world: World) -> Ticket:
    return in_tier_2(world)


@pytest.fixture
def carla_world(client: Client, world: World) -> Client:
    client.force_login(world["carla"])
    return client


def request_page(client: Client, ticket: Ticket) -> Any:
    response = client.get(reverse("portal:request", args=[ticket.pk]))
    assert response.status_code == 200
    return page(response)


def test_it_shows_the_current_tier_in_plain_words(carla_world: Client, escalated: Ticket) -> None:
    with time_machine.travel(at(23, 11), tick=False):
        html = request_page(carla_world, escalated)

    assert html.one(id="current-tier").text == "With our Tier 2 specialists"
    assert html.one(id="status-words").text == "We are working on it"


def test_it_shows_the_escalation_contacts_of_the_tickets_team(
    carla_world: Client, world: World, escalated: Ticket
) -> None:
    html = request_page(carla_world, escalated)

    contacts = {n.attrs["data-role"]: n.text for n in html.one(id="contacts").select("li", cls="p-contact")}
    tom, ravi, manny = world["tom"], world["ravi"], world["manny"]
    assert contacts["engineer"].startswith(f"Your engineer {tom}")
    assert contacts["team_leader"] == f"Team leader {ravi}, Tier 2 team leader {ravi.email} +44 20 7946 0102"
    assert contacts["team_manager"] == f"Team manager {manny} {manny.email}"
    assert html.one(id="contacts").select("a", href="tel:+442079460102")


def test_it_shows_the_first_response_and_resolution_clocks_never_the_tiers(
    carla_world: Client, escalated: Ticket
) -> None:
    with time_machine.travel(at(23, 11), tick=False):
        html = request_page(carla_world, escalated)

    clocks = {n.attrs["data-clock"]: n.text for n in html.one(id="clocks").select(cls="p-clock")}
    assert set(clocks) == {"first_response", "resolution"}
    # Erin's public comment at 09:00 was the first response; P2 resolution is due in business time.
    assert clocks["first_response"] == "First reply from us Answered Mon 23 Nov 2026, 09:00"
    # 16 business hours of Mon–Fri 09:00–17:00 from Monday 09:00.
    assert clocks["resolution"] == "Target resolution Target: Tue 24 Nov 2026, 17:00"
    assert "Tier" not in html.one(id="clocks").text
    assert Clock.objects.filter(ticket=escalated, kind="escalations.tier").exists()


def test_it_says_the_clocks_are_paused_while_waiting_for_the_customer(
    carla_world: Client, world: World, escalated: Ticket
) -> None:
    ticket_await_customer(ticket=escalated, actor=world["tom"], reason="Send us the March invoice PDF.")

    html = request_page(carla_world, escalated)

    assert html.one(id="status-words").text == "Waiting for your reply"
    assert "Send us the March invoice PDF." in html.one(id="waiting-for-you").text
    clock = html.one(id="clocks").one(data_clock="resolution")
    assert clock.text == "Target resolution Paused while we wait for your reply"


def test_it_never_shows_internal_comments_steps_files_or_hand_off_details(
    carla_world: Client, escalated: Ticket
) -> None:
    html = request_page(carla_world, escalated)

    for secret in INTERNAL.values():
        assert secret not in html.html
    assert "Potential bug" not in html.html  # the hand-off's criterion
    assert [n.text for n in html.select(cls="p-message-body")] == ["We are looking into it."]
    checks = html.one(id="checks")
    assert "We reproduced it with your invoice" in checks.text
    assert [a.text for a in checks.select("a", cls="p-file")] == ["invoice-check.png"]
    kinds = [n.attrs["data-kind"] for n in html.one(id="history").select("li", cls="p-event")]
    assert "handoff_requested" not in kinds and "escalated" in kinds
    assert not set(kinds) - {e.kind for e in TimelineEvent.objects.filter(ticket=escalated, is_public=True)}


def test_it_downloads_public_files_and_answers_404_for_internal_ones(
    carla_world: Client, escalated: Ticket
) -> None:
    public = Attachment.objects.get(ticket=escalated, original_name="invoice-check.png")
    internal = Attachment.objects.get(ticket=escalated, original_name=INTERNAL["file"])

    ok = carla_world.get(reverse("portal:attachment", args=[public.pk]))
    hidden = carla_world.get(reverse("portal:attachment", args=[internal.pk]))

    assert ok.status_code == 200 and b"".join(ok.streaming_content) == b"png"
    assert hidden.status_code == 404


def test_it_answers_404_for_a_file_on_an_internal_comment_even_if_not_flagged_internal(
    carla: Client, ticket: Ticket, engineer: User
) -> None:
    comment = Comment.objects.create(ticket=ticket, author=engineer, body="secret", is_internal=True)
    attachment = Attachment.objects.create(
        ticket=ticket,
        comment=comment,
        file="attachments/x.log",
        original_name="x.log",
        size=3,
        uploaded_by=engineer,
    )

    assert carla.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404


# --- messages ---------------------------------------------------------------------------------


def test_it_sends_a_public_message_with_files(carla: Client, ticket: Ticket, customer: User) -> None:
    response = carla.post(
        reverse("portal:request_message", args=[ticket.pk]),
        {
            "message-body": "Here is the log you asked for.",
            "message-files": [SimpleUploadedFile("run.log", b"x")],
            "message-is_internal": "on",
            "is_internal": "on",
        },
    )

    comment = Comment.objects.get(ticket=ticket)
    assert response.status_code == 302
    assert (comment.author, comment.is_internal, comment.body) == (
        customer,
        False,
        "Here is the log you asked for.",
    )
    assert list(comment.attachments.values_list("original_name", "is_internal")) == [("run.log", False)]


def test_it_resumes_a_request_waiting_on_the_customer_when_they_reply(
    carla: Client, ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "waiting_on_customer", engineer)

    carla.post(reverse("portal:request_message", args=[ticket.pk]), {"message-body": "Sent it by post."})

    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert TimelineEvent.objects.filter(ticket=ticket, kind="customer_replied").count() == 1
    assert not Clock.objects.filter(ticket=ticket, state=ClockState.PAUSED).exists()


def test_it_keeps_an_empty_message_on_the_page_with_the_error(carla: Client, ticket: Ticket) -> None:
    response = carla.post(
        reverse("portal:request_message", args=[ticket.pk]),
        {"message-body": "   ", "message-files": [SimpleUploadedFile("run.log", b"x")]},
    )

    html = page(response)
    assert response.status_code == 400 and not Comment.objects.exists()
    assert html.one(id="message-form").select(cls="error")
    assert html.one(id="message-form").select(cls="files-again")


def test_it_offers_no_message_form_on_a_closed_request_and_refuses_a_hand_posted_one(
    carla: Client, ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "closed", engineer)

    html = request_page(carla, ticket)
    response = carla.post(reverse("portal:request_message", args=[ticket.pk]), {"message-body": "Hello?"})

    assert html.by_id("message-form") is None
    assert response.status_code == 400 and not Comment.objects.filter(body="Hello?").exists()
    assert "open a follow-up ticket instead" in page(response).one(id="messages").text


# --- quality control: confirm or reopen --------------------------------------------------------


def test_it_asks_the_customer_whether_a_resolved_request_is_fixed(
    carla: Client, ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "resolved", engineer)

    html = request_page(carla, ticket)

    assert html.by_id("confirm-form") is not None and html.by_id("reopen-form") is not None
    assert html.one(id="status-words").text == "Solved – please check"


@pytest.mark.parametrize("state", ["new", "in_progress", "closed"])
def test_it_offers_no_confirmation_before_or_after_resolution(
    carla: Client, ticket: Ticket, engineer: User, state: str
) -> None:
    drive_to(ticket, state, engineer)

    assert request_page(carla, ticket).by_id("resolution") is None


def test_it_closes_the_request_when_the_customer_confirms_in_the_portal(
    carla: Client, ticket: Ticket, engineer: User, customer: User
) -> None:
    drive_to(ticket, "resolved", engineer)

    response = carla.post(
        reverse("portal:request_confirm", args=[ticket.pk]), {"confirm-note": "All good, thanks."}
    )

    ticket.refresh_from_db()
    event = TimelineEvent.objects.get(ticket=ticket, kind="confirm_resolution")
    assert response.status_code == 302
    assert (ticket.status, ticket.close_kind, ticket.confirmation_note) == (
        "closed",
        "confirmed_by_customer",
        "All good, thanks.",
    )
    assert (event.actor, event.details["channel"]) == (customer, "portal")


def test_it_reopens_the_request_with_the_customers_reason(
    carla: Client, ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "resolved", engineer)

    carla.post(
        reverse("portal:request_reopen", args=[ticket.pk]), {"reopen-reason": "The export failed again."}
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_reason, ticket.reopen_count) == (
        "in_progress",
        "The export failed again.",
        1,
    )
    html = request_page(carla, ticket)
    assert "The export failed again." in html.one(id="history").text


def test_it_refuses_a_reopen_without_a_reason_and_keeps_the_page(
    carla: Client, ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "resolved", engineer)
    before = snapshot(ticket)

    response = carla.post(reverse("portal:request_reopen", args=[ticket.pk]), {"reopen-reason": "  "})

    html = page(response)
    assert response.status_code == 400 and snapshot(ticket) == before
    assert html.one(id="reopen-form").select(cls="error")


def test_it_refuses_a_confirmation_posted_by_hand_on_a_request_not_resolved(
    carla: Client, ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "in_progress", engineer)
    before = snapshot(ticket)

    response = carla.post(reverse("portal:request_confirm", args=[ticket.pk]), {"confirm-note": "ok"})

    assert response.status_code == 400 and snapshot(ticket) == before
    assert (
        "Confirm resolution is not possible while the ticket is in progress"
        in page(response).one(id="resolution").text
    )


def test_it_ignores_staff_fields_posted_by_hand_with_a_confirmation_or_a_message(
    carla: Client, ticket: Ticket, engineer: User, tier2: Any, other_engineer: User
) -> None:
    drive_to(ticket, "resolved", engineer)
    reserved = {
        "status": "in_progress",
        "team": tier2.pk,
        "assignee": other_engineer.pk,
        "priority": "P1",
        "confirm-channel": "phone",
        "tier": 2,
    }

    carla.post(reverse("portal:request_reopen", args=[ticket.pk]), {"reopen-reason": "Broken.", **reserved})
    carla.post(
        reverse("portal:request_message", args=[ticket.pk]), {"message-body": "More info.", **reserved}
    )

    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee, ticket.priority) == (
        ticket.service.default_team_id,
        engineer,
        "P2",
    )
    assert ticket.status == "in_progress"  # by the reopen only


def test_it_ignores_a_tier_team_and_assignee_posted_by_hand_on_an_escalated_request(
    carla_world: Client, world: World, escalated: Ticket
) -> None:
    """Issue 5: the tier (like the team, assignee and status) is reserved to staff, with a real
    higher tier to move to (the ladders are loaded here)."""
    engineering = world.tier("Engineering")
    handoffs = Handoff.objects.filter(ticket=escalated).count()
    reserved = {
        "tier": engineering.pk,
        "to_tier": engineering.pk,
        "message-tier": engineering.pk,
        "team": world.teams["Engineering"].pk,
        "assignee": world["ella"].pk,
        "status": "resolved",
    }

    response = carla_world.post(
        reverse("portal:request_message", args=[escalated.pk]), {"message-body": "Any news?", **reserved}
    )

    assert response.status_code == 302
    escalated.refresh_from_db()
    assert selectors.current_stint(escalated).tier.name == "Tier 2"
    assert Handoff.objects.filter(ticket=escalated).count() == handoffs
    assert (escalated.team.name, escalated.assignee, escalated.status) == (
        "Tier 2",
        world["tom"],
        "in_progress",
    )
    assert Comment.objects.filter(ticket=escalated, body="Any news?", is_internal=False).exists()
