"""Team leaders decide approval requests in Django admin (SPEC §5, issue 4 point 6), over HTTP.

The gated requests come from the escalation ladder of seed 000 (L1 → L2 → Microsoft L3); the
approvals app's own code stays generic, only these tests borrow the escalations world.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import ApprovalRequest, ApprovalStatus
from escalations import selectors
from escalations.models import Handoff, HandoffStatus
from escalations.services import handoffs
from escalations.tests import conftest as ladder
from escalations.tests.conftest import World, new_ticket
from tickets.models import Attachment, StepKind, StepState, Ticket, TimelineEvent
from tickets.services.lifecycle import ticket_start, ticket_triage
from tickets.services.steps import ticket_add_step, ticket_complete_step

pytestmark = pytest.mark.django_db

world = ladder.world  # the staffed world with the seeds' ladders (escalations/tests/conftest.py)

CHANGELIST = reverse("admin:approvals_approvalrequest_changelist")

NOTES = "Reviewed L1/L2: profile rebuilt, OST repaired, MAPI trace shows server-side throttling. Go ahead."


def change_url(request: ApprovalRequest) -> str:
    return reverse("admin:approvals_approvalrequest_change", args=[request.pk])


def approve_url(request: ApprovalRequest) -> str:
    return reverse("admin:approvals_approvalrequest_approve", args=[request.pk])


def changes_url(request: ApprovalRequest) -> str:
    return reverse("admin:approvals_approvalrequest_request_changes", args=[request.pk])


def gated_request(
    world: World, *, summary: str = "Outlook cannot send mail with attachments", requester: str = "tom"
) -> tuple[Ticket, ApprovalRequest]:
    """Seed 000: a ticket on the Microsoft ladder, L1 and L2 troubleshooting documented, and an
    escalation to Microsoft L3 waiting for a Tier 2 team leader's approval."""
    ticket = new_ticket(
        world,
        service=world.mail,
        summary=summary,
        symptoms="Mails with an attachment stay in the Outbox; plain mails go out.",
        error_messages="0x80040600 (Outlook); 'TooManyRequests' in the message trace",
        replication_steps="New mail, attach any file over 1 MB, send.",
        recent_changes="Tenant moved to a new Microsoft 365 plan last week.",
        business_impact="The sales team cannot send quotes to customers.",
    )
    ticket_triage(ticket=ticket, actor=world["erin"])
    ticket_start(ticket=ticket, actor=world["erin"])
    ticket_add_step(
        ticket=ticket,
        actor=world["erin"],
        kind=StepKind.BASIC_CHECK,
        action="Restarted Outlook in safe mode and rebuilt the mail profile.",
        outcome="Same error 0x80040600 when sending with an attachment.",
    )
    handoffs.escalate(
        ticket=ticket, actor=world["erin"], findings="Not a client problem: fails on a new profile too."
    )
    ticket.refresh_from_db()
    ticket_add_step(
        ticket=ticket,
        actor=world[requester],
        kind=StepKind.LOG_ANALYSIS,
        action="Collected a MAPI trace and the message trace in the Exchange admin centre.",
        outcome="Sends are throttled server-side with 'TooManyRequests' for this mailbox only.",
        files=[
            SimpleUploadedFile(
                "mapi-trace.log",
                b"09:14:02 SubmitMessage -> 429 TooManyRequests\n",
                content_type="text/plain",
            )
        ],
    )
    handoff = handoffs.escalate(
        ticket=ticket,
        actor=world[requester],
        findings="Server-side throttling on the tenant; needs Microsoft to lift or explain it.",
        workaround="Send large attachments as OneDrive links.",
        evidence_note=(
            "Screenshots: none (the error text is quoted in the steps); the MAPI trace is attached."
        ),
    )
    assert handoff.status == HandoffStatus.PENDING_APPROVAL
    ticket.refresh_from_db()
    return ticket, handoff.approval


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_team_leader_lands_on_their_own_pending_approvals(client: Client, world: World) -> None:
    _, mine = gated_request(world)
    # Another team's request (Engineering's leader decides it), and one ravi filed himself.
    other_ticket = new_ticket(world, service=world.mail, summary="Calendar sharing fails")
    ticket_triage(ticket=other_ticket, actor=world["erin"])
    _, decided = gated_request(world, summary="Teams meetings drop after 60 minutes")
    from approvals.services import approval_approve

    approval_approve(request=decided, actor=world["manny"], notes="Fine.")
    _, own = gated_request(world, summary="Shared mailbox not visible", requester="ravi")

    login(client, world["ravi"])
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [mine]  # pending, and ravi may decide it: not the decided one, not his own
    html = response.content.decode()
    assert "My pending approvals" in html and "All I may see" in html
    assert f'href="{mine.link}"' in html  # the reference links to the ticket

    response = client.get(CHANGELIST, {"show": "all"})
    assert {r.pk for r in response.context["cl"].result_list} == {mine.pk, decided.pk, own.pk}

    # A team leader of another team sees none of them, even when asking for all.
    login(client, world["kenji"])
    assert list(client.get(CHANGELIST).context["cl"].result_list) == []
    assert list(client.get(CHANGELIST, {"show": "all"}).context["cl"].result_list) == []


def test_the_request_page_shows_the_package_and_evidence_read_only(client: Client, world: World) -> None:
    ticket, request = gated_request(world)
    login(client, world["ravi"])
    response = client.get(change_url(request))
    assert response.status_code == 200
    html = response.content.decode()
    attachment = Attachment.objects.get(ticket=ticket, original_name="mapi-trace.log")
    for text in (
        "Troubleshooting – L1",
        "Troubleshooting – L2",
        "rebuilt the mail profile.",
        "TooManyRequests",
        "No logs or screenshots: Screenshots: none",
        "Evidence on the ticket",
        f'<a href="{reverse("desk:attachment", args=[attachment.pk])}">Attachment: mapi-trace.log</a>',
        'id="approve-button"',
        'id="request-changes-button"',
    ):
        assert text in html, text
    assert not response.context["has_change_permission"]
    assert 'name="_save"' not in html  # nothing to save: decisions go through the buttons
    # Nothing can be edited by posting the change form by hand.
    response = client.post(change_url(request), {"title": "changed", "decision_notes": "x"})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.title.startswith("Escalate") and request.status == ApprovalStatus.PENDING


def test_approve_without_notes_is_refused_then_approves_with_notes(client: Client, world: World) -> None:
    ticket, request = gated_request(world)
    login(client, world["ravi"])
    response = client.get(approve_url(request))
    assert response.status_code == 200
    assert "TooManyRequests" in response.content.decode()  # the package is on the form page

    response = client.post(approve_url(request), {"notes": "   "})
    assert response.status_code == 200
    assert response.context["refusal"].missing == [
        "approval notes (what was reviewed and why it may go ahead)"
    ]
    assert "approval notes (what was reviewed and why it may go ahead)" in response.content.decode()
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING

    response = client.post(approve_url(request), {"notes": NOTES})
    assert response.status_code == 302 and response.url == CHANGELIST
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    assert (request.decided_by, request.decision_notes) == (world["ravi"], NOTES)
    ticket.refresh_from_db()
    assert selectors.current_stint(ticket).tier == world.tier("Microsoft L3", world.microsoft)
    granted = TimelineEvent.objects.get(ticket=ticket, kind="approval_granted")
    assert (granted.actor, granted.reason) == (world["ravi"], NOTES)
    kinds = list(
        TimelineEvent.objects.filter(ticket=ticket).order_by("at", "pk").values_list("kind", flat=True)
    )
    assert kinds[-3:] == ["approval_requested", "approval_granted", "escalated"]
    assert Handoff.objects.get(approval=request).status == HandoffStatus.COMPLETED
    assert messages_of(response) == [f"Approved {request.reference}: {request.title}."]


def test_a_refused_decision_keeps_what_was_typed(client: Client, world: World) -> None:
    _, request = gated_request(world)
    login(client, world["ravi"])
    response = client.post(changes_url(request), {"steps": "\n  \n", "notes": "Please try these first."})
    assert response.status_code == 200
    assert response.context["refusal"].missing == ["the additional troubleshooting steps to perform"]
    html = response.content.decode()
    assert "Please try these first.</textarea>" in html
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_request_changes_puts_the_steps_on_the_ticket(client: Client, world: World) -> None:
    ticket, request = gated_request(world)
    login(client, world["ravi"])
    response = client.post(
        changes_url(request),
        {
            "steps": "Test with a new mailbox in the same tenant\n\nCapture a Fiddler trace of a "
            "failing send\n",
            "notes": "Rule out the mailbox before we open a Microsoft case.",
        },
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == ApprovalStatus.CHANGES_REQUESTED
    assert request.suggested_steps == [
        "Test with a new mailbox in the same tenant",
        "Capture a Fiddler trace of a failing send",
    ]
    to_do = list(ticket.steps.filter(state=StepState.TO_DO).order_by("pk").values_list("action", "kind"))
    assert to_do == [
        ("Test with a new mailbox in the same tenant", StepKind.SUGGESTED),
        ("Capture a Fiddler trace of a failing send", StepKind.SUGGESTED),
    ]
    event = TimelineEvent.objects.get(ticket=ticket, kind="approval_changes_requested")
    assert event.reason == "Rule out the mailbox before we open a Microsoft case."
    assert selectors.current_stint(ticket).tier == world.tier("L2", world.microsoft)
    # The request's page now shows the decision, and no buttons.
    html = client.get(change_url(request)).content.decode()
    assert "Capture a Fiddler trace of a failing send" in html and 'id="approve-button"' not in html


def test_the_requester_cannot_approve_their_own_request(client: Client, world: World) -> None:
    ticket, request = gated_request(world, requester="ravi")  # a team leader asking himself
    assert set(request.approvers.all()) == {world["manny"]}
    login(client, world["ravi"])
    page = client.get(change_url(request)).content.decode()
    assert 'id="approve-button"' not in page and "You filed this request" in page
    response = client.post(approve_url(request), {"notes": NOTES})
    assert response.status_code == 302 and response.url == change_url(request)
    assert messages_of(response) == [
        f"{request.reference}: {request.title}: You cannot decide your own request."
    ]
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and request.decision_notes == ""
    assert not TimelineEvent.objects.filter(ticket=ticket, kind="approval_granted").exists()


def test_an_engineer_without_the_decide_permission_gets_403(client: Client, world: World) -> None:
    _, request = gated_request(world)
    login(client, world["tom"])  # the requester, an engineer
    assert client.get(CHANGELIST).status_code == 403
    assert client.post(approve_url(request), {"notes": NOTES}).status_code == 403
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_a_team_leader_of_another_team_cannot_see_or_decide(client: Client, world: World) -> None:
    _, request = gated_request(world)
    login(client, world["kenji"])  # Engineering's team leader
    assert client.get(approve_url(request)).status_code == 404
    assert client.post(approve_url(request), {"notes": NOTES}).status_code == 404
    assert client.post(changes_url(request), {"steps": "Do more"}).status_code == 404
    response = client.get(change_url(request))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING


def test_a_requester_who_is_not_an_approver_sees_but_cannot_decide(client: Client, world: World) -> None:
    """Visible to the leader who filed it (requester); still never decided by them, even by a hand-made
    post."""
    _, request = gated_request(world, requester="ravi")
    login(client, world["ravi"])
    response = client.post(changes_url(request), {"steps": "Try again"})
    assert response.status_code == 302
    assert messages_of(response)[-1].endswith("You cannot decide your own request.")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and request.suggested_steps == []


def test_approve_selected_asks_for_notes_then_approves_each(client: Client, world: World) -> None:
    t1, first = gated_request(world, summary="Outlook cannot send mail with attachments")
    t2, second = gated_request(world, summary="Teams meetings drop after 60 minutes")
    login(client, world["ravi"])
    selected = {"action": "approve_selected", "_selected_action": [first.pk, second.pk]}

    # The action opens the intermediate form for the selected requests.
    response = client.post(CHANGELIST, selected)
    assert response.status_code == 200
    assert [o.pk for o in response.context["objects"]] == [first.pk, second.pk]

    # Without notes each is refused; the form shows again with what is missing.
    response = client.post(CHANGELIST, {**selected, "post": "yes", "notes": ""})
    assert response.status_code == 200
    assert [(o.pk, e.missing) for o, e in response.context["refusals"]] == [
        (first.pk, ["approval notes (what was reviewed and why it may go ahead)"]),
        (second.pk, ["approval notes (what was reviewed and why it may go ahead)"]),
    ]
    assert ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING).count() == 2

    response = client.post(CHANGELIST, {**selected, "post": "yes", "notes": NOTES})
    assert response.status_code == 302
    assert set(ApprovalRequest.objects.values_list("status", flat=True)) == {ApprovalStatus.APPROVED}
    for ticket in (t1, t2):
        assert selectors.current_stint(ticket).tier.name == "Microsoft L3"
        assert TimelineEvent.objects.get(ticket=ticket, kind="approval_granted").reason == NOTES


def test_request_changes_on_selected_puts_steps_on_each_ticket(client: Client, world: World) -> None:
    t1, first = gated_request(world)
    t2, second = gated_request(world, summary="Teams meetings drop after 60 minutes")
    login(client, world["ravi"])
    selected = {"action": "request_changes_selected", "_selected_action": [first.pk, second.pk]}
    response = client.post(CHANGELIST, {**selected, "post": "yes", "steps": "", "notes": "Keep me"})
    assert response.status_code == 200
    assert "Keep me</textarea>" in response.content.decode()
    response = client.post(CHANGELIST, {**selected, "post": "yes", "steps": "Reproduce on a second PC"})
    assert response.status_code == 302
    for ticket in (t1, t2):
        assert list(ticket.steps.filter(state=StepState.TO_DO).values_list("action", flat=True)) == [
            "Reproduce on a second PC"
        ]
    assert set(ApprovalRequest.objects.values_list("status", flat=True)) == {ApprovalStatus.CHANGES_REQUESTED}


def test_the_selected_action_leaves_requests_the_user_may_not_decide(client: Client, world: World) -> None:
    _, decidable = gated_request(world)
    _, own = gated_request(world, summary="Shared mailbox not visible", requester="ravi")
    login(client, world["ravi"])
    response = client.post(
        CHANGELIST + "?show=all",
        {
            "action": "approve_selected",
            "_selected_action": [decidable.pk, own.pk],
            "post": "yes",
            "notes": NOTES,
        },
    )
    assert response.status_code == 302
    decidable.refresh_from_db()
    own.refresh_from_db()
    assert decidable.status == ApprovalStatus.APPROVED
    assert own.status == ApprovalStatus.PENDING
    msgs = messages_of(response)
    assert any(m.endswith("You cannot decide your own request. Nothing was changed.") for m in msgs)


def test_the_changelist_runs_a_fixed_number_of_queries(client: Client, world: World) -> None:
    from approvals.services import approval_file
    from tickets.sla import calendar_for

    ticket, _ = gated_request(world)
    handoff = Handoff.objects.get(ticket=ticket, status=HandoffStatus.PENDING_APPROVAL)
    login(client, world["ravi"])

    def file(n: int) -> None:
        for i in range(n):
            approval_file(
                subject=handoff,
                title=f"Request {i}",
                reference=ticket.reference,
                link="/desk/",
                approvers=[world["ravi"]],
                requested_by=world["tom"],
                calendar=calendar_for(ticket),
                decision_seconds=3600,
                package=[{"title": "Hand-off", "items": [{"text": "x"}]}],
            )

    def count(params: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(CHANGELIST, params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    client.get(CHANGELIST)  # content types cached
    small = (count({}), count({"show": "all"}))
    file(15)
    large = (count({}), count({"show": "all"}))
    # (9 before the user's permissions were read in one query, accounts.User.has_perm; 8 before the
    # signed-in user came with their permissions and teams, accounts.backends.)
    assert small == large == (7, 7)
    assert len(client.get(CHANGELIST).context["cl"].result_list) == 16


def test_a_follow_up_request_shows_the_previous_one_and_its_steps(client: Client, world: World) -> None:
    from approvals.services import approval_request_changes

    ticket, first = gated_request(world)
    approval_request_changes(
        request=first,
        actor=world["ravi"],
        steps=["Test with a new mailbox"],
        notes="Rule out the mailbox first.",
    )
    step = ticket.steps.get(state=StepState.TO_DO)
    ticket_complete_step(step=step, actor=world["tom"], outcome="Same throttling on a new mailbox.")
    handoff = handoffs.escalate(
        ticket=ticket,
        actor=world["tom"],
        findings="Tenant-wide throttling.",
        evidence_note="Screenshots: none.",
    )
    second = handoff.approval
    assert second.previous == first

    login(client, world["ravi"])
    html = client.get(change_url(second)).content.decode()
    assert f'<a href="{change_url(first)}">{first.reference}: {first.title}</a>' in html
    assert "changes requested by" in html and "Rule out the mailbox first." in html
    assert "<li>Test with a new mailbox</li>" in html
    assert "Same throttling on a new mailbox." in html  # the done step is in the new package
    html = client.get(change_url(first)).content.decode()
    assert f'<a href="{change_url(second)}">' in html  # and the old one points to its follow-up


def test_the_changelist_marks_an_overdue_decision(client: Client, world: World) -> None:
    import time_machine

    from clocks.sweep import sweep_due_deadlines

    with time_machine.travel(ladder.at(23, 10), tick=False):
        _, request = gated_request(world)
    login(client, world["ravi"])
    with time_machine.travel(ladder.at(23, 11), tick=False):
        row = client.get(CHANGELIST).content.decode()
        assert "Mon 23 Nov 14:00" in row and "overdue" not in row  # 240 business minutes
        assert (
            "3 h of business time left (due Mon 23 Nov 14:00)"
            in client.get(change_url(request)).content.decode()
        )
    with time_machine.travel(ladder.at(23, 14, 30), tick=False):
        sweep_due_deadlines()
        row = client.get(CHANGELIST).content.decode()
        assert "overdue</strong> (was due Mon 23 Nov 14:00)" in row
        assert "passed: 30 min over" in client.get(change_url(request)).content.decode()
