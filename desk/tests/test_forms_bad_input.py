"""Bad input through the console: the page comes back with a clear message, what was typed
is kept, and nothing is saved (no ticket, step, comment, attachment or timeline event)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team, User
from desk.tests.test_pages import Page, drive_to, intake_input, page, snapshot, transition_input
from tests_support.factories import TicketFactory
from tickets.models import Attachment, Ticket, TimelineEvent
from tickets.services.lifecycle import TRANSITION_LABELS


def transition(client: Client, ticket: Ticket, name: str, data: dict[str, str]) -> Any:
    return client.post(reverse("desk:ticket_transition", args=[ticket.pk, name]), data)


# --- creating a ticket -------------------------------------------------------------------------


def test_it_keeps_what_was_typed_when_the_new_ticket_has_no_summary(
    staff_client: Client, customer: User, service: Any, category: Any
) -> None:
    milestone = (timezone.localdate() + timedelta(days=45)).isoformat()
    typed = {
        "requester": str(customer.pk),
        "channel": "email",
        "summary": "   ",
        "description": "The nightly export stops half way.",
        "symptoms": "Empty file.",
        "business_impact": "Salaries late.",
        "priority": "P2",
        "category": str(category.pk),
        "service": str(service.pk),
        "critical_milestone": milestone,
    }
    before = (Ticket.objects.count(), TimelineEvent.objects.count(), Attachment.objects.count())

    response = staff_client.post(
        reverse("desk:ticket_new"), {**typed, "files": SimpleUploadedFile("export.log", b"ERR-504\n")}
    )

    assert response.status_code == 200
    html = page(response)
    summary_field = html.one(name="summary").parent
    assert "has-error" in summary_field.classes
    assert html.errors(summary_field) == ["This field is required."]
    assert html.value("description") == "The nightly export stops half way."
    assert html.value("business_impact") == "Salaries late."
    assert html.value("critical_milestone") == milestone
    assert html.value("requester") == [str(customer.pk)]
    assert html.value("channel") == ["email"]
    assert html.value("priority") == ["P2"]
    assert html.value("service") == [str(service.pk)]
    assert (Ticket.objects.count(), TimelineEvent.objects.count(), Attachment.objects.count()) == before


def test_it_refuses_a_new_ticket_with_a_forbidden_file_and_keeps_the_intake(
    staff_client: Client, customer: User
) -> None:
    response = staff_client.post(
        reverse("desk:ticket_new"),
        {
            "requester": str(customer.pk),
            "channel": "phone",
            "summary": "Export fails",
            "files": SimpleUploadedFile("fix.exe", b"MZ\x90\x00"),
        },
    )

    assert response.status_code == 200
    html = page(response)
    assert any('files of type ".exe" are not accepted' in e for e in html.errors())
    assert html.value("summary") == "Export fails"
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_it_refuses_a_requester_who_is_not_a_customer_contact(staff_client: Client, engineer: User) -> None:
    response = staff_client.post(
        reverse("desk:ticket_new"),
        {"requester": str(engineer.pk), "channel": "phone", "summary": "Export fails"},
    )

    assert response.status_code == 200
    assert page(response).errors(page(response).one(name="requester").parent)
    assert not Ticket.objects.exists()


# --- troubleshooting steps ---------------------------------------------------------------------

STEP = {
    "step-kind": "log_analysis",
    "step-action": "Read the export log",
    "step-outcome": "Timeout after 1800 s",
    "step-state": "done",
}


def post_step(client: Client, ticket: Ticket, **extra: Any) -> Any:
    return client.post(reverse("desk:ticket_step", args=[ticket.pk]), {**STEP, **extra})


def assert_step_kept_open(html: Page) -> None:
    assert "open" in html.one(id="add-step").attrs
    assert html.value("step-action") == "Read the export log"
    assert html.value("step-outcome") == "Timeout after 1800 s"


def test_it_refuses_a_step_with_an_exe_file(staff_client: Client, ticket: Ticket) -> None:
    before = snapshot(ticket)

    response = post_step(staff_client, ticket, **{"step-files": SimpleUploadedFile("fix.exe", b"MZ\x90\x00")})

    assert response.status_code == 200
    html = page(response)
    files_field = html.one(name="step-files").parent
    assert len(html.errors(files_field)) == 1
    assert html.errors(files_field)[0].startswith(
        '"fix.exe": files of type ".exe" are not accepted; allowed:'
    )
    assert_step_kept_open(html)
    assert snapshot(ticket) == before


@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_it_refuses_a_step_with_an_oversized_file(staff_client: Client, ticket: Ticket) -> None:
    before = snapshot(ticket)

    response = post_step(
        staff_client, ticket, **{"step-files": SimpleUploadedFile("export.log", b"ERR-504 upstream timeout")}
    )

    assert response.status_code == 200
    html = page(response)
    assert html.errors(html.one(name="step-files").parent) == [
        '"export.log" is 24 bytes; the limit is 10 bytes.'
    ]
    assert_step_kept_open(html)
    assert snapshot(ticket) == before


def test_it_refuses_a_done_step_without_its_outcome(staff_client: Client, ticket: Ticket) -> None:
    before = snapshot(ticket)

    response = post_step(staff_client, ticket, **{"step-outcome": ""})

    assert response.status_code == 200
    html = page(response)
    assert html.errors(html.one(name="step-outcome").parent) == ["Say what the step showed (its outcome)."]
    assert html.value("step-action") == "Read the export log"
    assert snapshot(ticket) == before


# --- comments ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_it_refuses_an_empty_comment(staff_client: Client, ticket: Ticket, body: str) -> None:
    before = snapshot(ticket)

    response = staff_client.post(reverse("desk:ticket_comment", args=[ticket.pk]), {"comment-body": body})

    assert response.status_code == 200
    html = page(response)
    assert html.errors(html.one(id="comment-form")) == ["This field is required."]
    assert snapshot(ticket) == before


def test_it_keeps_a_comment_whose_file_is_refused(staff_client: Client, ticket: Ticket) -> None:
    before = snapshot(ticket)

    response = staff_client.post(
        reverse("desk:ticket_comment", args=[ticket.pk]),
        {"comment-body": "Log attached.", "comment-files": SimpleUploadedFile("payload.bat", b"@echo off")},
    )

    assert response.status_code == 200
    html = page(response)
    assert any('".bat" are not accepted' in e for e in html.errors(html.one(id="comment-form")))
    assert html.value("comment-body") == "Log attached."
    assert snapshot(ticket) == before


# --- transitions refused by their guards --------------------------------------------------------


def test_it_refuses_cancelling_as_a_duplicate_without_the_duplicated_ticket(
    staff_client: Client, tier1_ticket: Ticket
) -> None:
    before = snapshot(tier1_ticket)

    response = transition(
        staff_client,
        tier1_ticket,
        "cancel",
        transition_input(
            "cancel", tier1_ticket, reason="duplicate", note="Same as the call of this morning."
        ),
    )

    assert response.status_code == 200
    html = page(response)
    form = html.one(id="transition-cancel")
    assert "open" in form.attrs
    assert "Missing: the ticket this one duplicates" in html.refusals(form)
    assert html.value("cancel-reason") == ["duplicate"]
    assert html.value("cancel-note") == "Same as the call of this morning."
    assert snapshot(tier1_ticket) == before


@pytest.mark.parametrize(
    ("reference", "error"),
    [
        ("ED-999999", "There is no ticket ED-999999."),
        ("yesterday's", "Give a ticket reference such as ED-000123."),
    ],
)
def test_it_refuses_an_unknown_duplicate_reference(
    staff_client: Client, tier1_ticket: Ticket, reference: str, error: str
) -> None:
    before = snapshot(tier1_ticket)

    response = transition(
        staff_client,
        tier1_ticket,
        "cancel",
        transition_input("cancel", tier1_ticket, reason="duplicate", duplicate_of=reference),
    )

    assert response.status_code == 200
    html = page(response)
    assert html.errors(html.one(name="cancel-duplicate_of").parent) == [error]
    assert html.value("cancel-duplicate_of") == reference
    assert snapshot(tier1_ticket) == before


def test_it_refuses_cancelling_a_ticket_as_a_duplicate_of_itself(
    staff_client: Client, tier1_ticket: Ticket
) -> None:
    before = snapshot(tier1_ticket)

    response = transition(
        staff_client,
        tier1_ticket,
        "cancel",
        transition_input("cancel", tier1_ticket, reason="duplicate", duplicate_of=tier1_ticket.reference),
    )

    assert response.status_code == 200
    assert "Missing: a different ticket to duplicate (not itself)" in page(response).refusals()
    assert snapshot(tier1_ticket) == before


def test_it_lists_each_missing_intake_item_and_keeps_the_typed_triage_input(
    staff_client: Client, org: Any, customer: User, engineer: User, tier1: Team
) -> None:
    sparse = TicketFactory(
        organisation=org,
        requester=customer,
        created_by=engineer,
        team=tier1,
        summary="Export fails",
        description="",
        symptoms="",
        replication_steps="",
        error_messages="",
        recent_changes="",
        business_impact="",
        workaround="",
        priority="",
        category=None,
        service=None,
    )
    before = snapshot(sparse)
    milestone = (timezone.localdate() + timedelta(days=45)).isoformat()
    typed = transition_input(
        "triage",
        sparse,
        workaround="Export per department by hand.",
        symptoms="Empty file.",
        recent_changes="none",
        critical_milestone=milestone,
    )

    response = transition(staff_client, sparse, "triage", typed)

    assert response.status_code == 200
    html = page(response)
    form = html.one(id="transition-triage")
    assert "open" in form.attrs
    assert html.refusals(form) == [
        "Triage refused",
        "Missing: description",
        'Missing: replication steps (or "none")',
        'Missing: error messages (or "none")',
        "Missing: business impact",
        "Missing: priority",
        "Missing: category",
        "Missing: affected service",
    ]
    assert html.value("triage-workaround") == "Export per department by hand."
    assert html.value("triage-symptoms") == "Empty file."
    assert html.value("triage-recent_changes") == "none"
    assert html.value("triage-critical_milestone") == milestone
    assert snapshot(sparse) == before
    assert not TimelineEvent.objects.filter(ticket=sparse).exists()


def test_it_keeps_the_typed_milestone_when_the_edited_intake_has_no_summary(
    staff_client: Client, tier1_ticket: Ticket
) -> None:
    milestone = (timezone.localdate() + timedelta(days=45)).isoformat()
    data = {**intake_input(tier1_ticket), "summary": "  ", "critical_milestone": milestone}
    before = snapshot(tier1_ticket)

    response = staff_client.post(reverse("desk:ticket_intake", args=[tier1_ticket.pk]), data)

    assert response.status_code == 200
    html = page(response)
    assert html.errors(html.one(name="summary").parent) == ["This field is required."]
    assert html.value("critical_milestone") == milestone
    assert snapshot(tier1_ticket) == before


def test_it_refuses_recording_a_confirmation_without_how_the_customer_confirmed(
    staff_client: Client, tier1_ticket: Ticket, engineer: User
) -> None:
    drive_to(tier1_ticket, "resolved", engineer)
    before = snapshot(tier1_ticket)

    response = transition(
        staff_client,
        tier1_ticket,
        "confirm_resolution",
        transition_input("confirm_resolution", tier1_ticket, channel="", note="Carla said it works."),
    )

    assert response.status_code == 200
    html = page(response)
    assert "Missing: how the customer confirmed (phone, e-mail…)" in html.refusals()
    assert html.value("confirm_resolution-note") == "Carla said it works."
    assert snapshot(tier1_ticket) == before


def test_it_refuses_resolving_without_the_resolution_and_names_each_gap(
    staff_client: Client, tier1_ticket: Ticket, engineer: User
) -> None:
    drive_to(tier1_ticket, "in_progress", engineer)
    before = snapshot(tier1_ticket)

    response = transition(
        staff_client,
        tier1_ticket,
        "resolve",
        transition_input(
            "resolve", tier1_ticket, resolution_summary="", fix_kind="", root_cause="Too many rows."
        ),
    )

    assert response.status_code == 200
    html = page(response)
    assert html.refusals(html.one(id="transition-resolve")) == [
        "Resolve refused",
        "Missing: resolution details (what fixed it)",
        "Missing: whether it is a workaround or a permanent fix",
    ]
    assert html.value("resolve-root_cause") == "Too many rows."
    assert snapshot(tier1_ticket) == before


def test_it_refuses_an_unknown_fix_kind(staff_client: Client, tier1_ticket: Ticket, engineer: User) -> None:
    drive_to(tier1_ticket, "in_progress", engineer)
    before = snapshot(tier1_ticket)

    response = transition(
        staff_client, tier1_ticket, "resolve", transition_input("resolve", tier1_ticket, fix_kind="magic")
    )

    assert response.status_code == 200
    assert page(response).errors(page(response).one(name="resolve-fix_kind").parent)
    assert snapshot(tier1_ticket) == before


def test_it_refuses_starting_for_someone_outside_the_team(
    staff_client: Client, tier1_ticket: Ticket, engineer: User, other_engineer: User
) -> None:
    drive_to(tier1_ticket, "open", engineer)
    before = snapshot(tier1_ticket)

    response = transition(
        staff_client,
        tier1_ticket,
        "start",
        transition_input("start", tier1_ticket, assignee=str(other_engineer.pk)),
    )

    assert response.status_code == 200
    assert page(response).errors(page(response).one(id="transition-start"))
    assert snapshot(tier1_ticket) == before


@pytest.mark.parametrize(
    ("name", "state"), [("resolve", "new"), ("start", "in_progress"), ("triage", "open")]
)
def test_it_shows_why_a_transition_the_ticket_has_moved_past_is_refused(
    staff_client: Client, tier1_ticket: Ticket, engineer: User, name: str, state: str
) -> None:
    """A colleague acted first, so the form was stale: the refusal must still be visible."""
    drive_to(tier1_ticket, state, engineer)
    before = snapshot(tier1_ticket)

    response = transition(staff_client, tier1_ticket, name, transition_input(name, tier1_ticket))

    assert response.status_code == 200
    html = page(response)
    refusals = html.refusals(html.one(id=f"transition-{name}"))
    label = TRANSITION_LABELS[name].lower()
    assert refusals[-1] == f"Missing: the ticket to be in a state that allows {label}"
    assert snapshot(tier1_ticket) == before
