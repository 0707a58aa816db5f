"""The console's escalation procedure (SPEC §3–§5): the Tier section, hand-off forms, approvals,
consults, vendor work, the IT manager's decision and the approvals inbox, persona by persona.

Every test starts from the escalations app's staffed `world` (Tier 1 erin/omar lead tess,
Tier 2 tom/rachel lead ravi, Engineering ella lead kenji, IT Management ivan, Network
Operations nils lead victor; managers manny and mara; customer carla). A refusal re-renders
the page with what is missing and what was typed; a denial (403/404/sign-in) changes nothing.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from approvals.models import ApprovalRequest
from approvals.services import approval_request_changes
from desk.tests.test_pages import event_kinds, page
from escalations.models import Consult, Handoff, ManagerDecision, Tier, TierStint, VendorEngagement
from escalations.services import consults, handoffs
from escalations.tests.conftest import World, new_ticket, triaged
from tickets.models import Ticket, TroubleshootingStep
from tickets.services.steps import ticket_add_step, ticket_complete_step

MISSING = 999_999


def as_user(world: World, username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(world[username])
    return client


def ticket_url(ticket: Ticket) -> str:
    return reverse("desk:ticket", args=[ticket.pk])


def document(
    world: World,
    ticket: Ticket,
    username: str,
    action: str = "Read the ERP server log",
    outcome: str = "Timeout calling the tax service",
    files: bool = False,
) -> TroubleshootingStep:
    uploads = [SimpleUploadedFile("erp.log", b"ERR-504 upstream timeout\n")] if files else []
    return ticket_add_step(
        ticket=ticket,
        actor=world[username],
        kind="log_analysis",
        action=action,
        outcome=outcome,
        files=uploads,
    )


def tier_of(ticket: Ticket) -> str:
    return TierStint.objects.get(ticket=ticket, left_at__isnull=True).tier.name


def in_tier2(world: World) -> Ticket:
    """A triaged ERP ticket escalated by erin from Tier 1 to Tier 2 ("Potential bug")."""
    ticket = triaged(world)
    document(world, ticket, "erin", files=True)
    tier2 = world.tier("Tier 2")
    handoffs.escalate(
        ticket=ticket,
        actor=world["erin"],
        to_tier=tier2,
        criterion=tier2.criteria.get(text="Potential bug"),
        findings="Export fails on the tax call; not a configuration issue.",
        workaround="Export per department by hand.",
    )
    ticket.refresh_from_db()
    return ticket


def waiting_for_microsoft(world: World) -> tuple[Ticket, Handoff]:
    """A mail ticket in L2 whose L2 engineer tom asked for Microsoft L3 (gated): pending approval."""
    ticket = triaged(world, service=world.mail)
    document(world, ticket, "erin", action="Checked the mailbox quota", outcome="Quota fine")
    l2 = world.tier("L2", world.microsoft)
    handoffs.escalate(
        ticket=ticket,
        actor=world["erin"],
        to_tier=l2,
        criterion=l2.criteria.first(),
        findings="Mail flow stops for one site.",
    )
    ticket.refresh_from_db()
    document(
        world, ticket, "tom", action="Message trace", outcome="Stuck in Exchange Online queue", files=True
    )
    handoff = handoffs.escalate(
        ticket=ticket,
        actor=world["tom"],
        to_tier=world.tier("Microsoft L3", world.microsoft),
        findings="Messages queue in Exchange Online; service health shows nothing.",
    )
    ticket.refresh_from_db()
    assert handoff.status == "pending_approval"
    return ticket, handoff


ESCALATE_TO_ENGINEERING: dict[str, str] = {
    "escalate-findings": "Reproduced in test: the export loops on March data.",
    "escalate-workaround": "Run the export per department.",
    "escalate-evidence_note": "",
    "escalate-criterion": "",
}


def escalate_input(tier: Tier, **overrides: str) -> dict[str, str]:
    data = {**ESCALATE_TO_ENGINEERING, "escalate-to_tier": str(tier.pk)}
    data.update({f"escalate-{k}": v for k, v in overrides.items()})
    return data


# --- the Tier section ------------------------------------------------------------------------


def test_it_shows_the_current_tier_its_time_frame_and_what_each_tier_above_requires(world: World) -> None:
    ticket = triaged(world)

    html = page(as_user(world, "erin").get(ticket_url(ticket)))

    section = html.one(id="tier")
    assert section.one(id="current-tier").text == "Tier 1 · level 1 · Internal"
    badge = section.one("dd", cls="tier-clock").one("span", cls="sla")
    assert badge.attrs["data-clock"] == "escalations.tier"
    assert re.fullmatch(
        r"Tier time frame: (1h 00m|\d\dm) left", badge.text
    )  # P2 in Tier 1: one business hour
    requirements = html.one(id="requirements")
    assert [dt.text.split(" level")[0] for dt in requirements.select("dt")] == [
        "Tier 2",
        "Engineering",
        "Onsite Support",
        "Vendor",
        "IT Manager decision",
    ]
    engineering = requirements.select("dd")[1].text
    assert "Software bug; Requires code changes; System performance concern; Security concern" in engineering
    assert "a team leader's approval" in requirements.select("dd")[2].text
    assert html.value("escalate-to_tier") == [str(world.tier("Tier 2").pk)]
    assert html.by_id("tier-return") is None  # nothing below Tier 1


def test_it_says_an_untriaged_ticket_is_on_no_ladder_and_offers_no_hand_off(world: World) -> None:
    ticket = new_ticket(world)

    html = page(as_user(world, "erin").get(ticket_url(ticket)))

    assert html.one(id="current-tier").text.startswith("Not on a ladder yet")
    assert html.by_id("tier-escalate") is None


@pytest.mark.parametrize(
    ("username", "offered"),
    [("erin", True), ("tess", True), ("manny", True), ("nils", False), ("victor", False), ("tom", False)],
    ids=[
        "tier-engineer",
        "requesters-team-leader",
        "team-manager",
        "other-team-engineer",
        "other-team-leader",
        "next-tier-engineer",
    ],
)
def test_it_offers_escalation_only_to_those_who_work_the_ticket(
    world: World, username: str, offered: bool
) -> None:
    ticket = triaged(world)

    html = page(as_user(world, username).get(ticket_url(ticket)))

    assert (html.by_id("tier-escalate") is not None) is offered
    assert html.by_id("tier") is not None  # every staff member sees where the ticket is


# --- escalating ------------------------------------------------------------------------------


def test_it_refuses_escalating_to_engineering_without_criterion_or_steps_and_keeps_the_input(
    world: World,
) -> None:
    ticket = triaged(world)
    engineering = world.tier("Engineering")
    events = event_kinds(ticket)

    response = as_user(world, "erin").post(
        reverse("desk:ticket_escalate", args=[ticket.pk]), escalate_input(engineering)
    )

    assert response.status_code == 200
    html = page(response)
    form = html.one("form", data_form="escalate")
    assert html.refusals(form) == [
        "Escalation to Engineering refused",
        'Missing: an escalation criterion for Engineering: one of "Software bug"; "Requires code changes"; '
        '"System performance concern"; "Security concern"',
        "Missing: at least 1 troubleshooting step(s) with outcome documented in Tier 1 (there are 0)",
    ]
    assert html.value("escalate-findings") == ESCALATE_TO_ENGINEERING["escalate-findings"]
    assert html.value("escalate-workaround") == ESCALATE_TO_ENGINEERING["escalate-workaround"]
    assert html.value("escalate-to_tier") == [str(engineering.pk)]
    assert "open" in html.one(id="tier-escalate").attrs
    assert not Handoff.objects.filter(ticket=ticket).exists()
    assert tier_of(ticket) == "Tier 1" and event_kinds(ticket) == events


def test_it_refuses_a_criterion_of_another_tier_as_a_form_error(world: World) -> None:
    ticket = triaged(world)
    document(world, ticket, "erin")
    tier2_criterion = world.tier("Tier 2").criteria.first()

    response = as_user(world, "erin").post(
        reverse("desk:ticket_escalate", args=[ticket.pk]),
        escalate_input(world.tier("Engineering"), criterion=str(tier2_criterion.pk)),
    )

    assert response.status_code == 200
    errors = page(response).errors(page(response).one("form", data_form="escalate"))
    assert errors == [
        f'"{tier2_criterion.text}" is not a criterion of Engineering: choose one of Engineering\'s, or none.'
    ]
    assert not Handoff.objects.filter(ticket=ticket).exists()


def test_it_escalates_and_shows_the_package_at_the_top_for_the_receiving_tier(world: World) -> None:
    ticket = triaged(world)
    step = document(world, ticket, "erin", files=True)
    tier2 = world.tier("Tier 2")
    criterion = tier2.criteria.get(text="Potential bug")

    response = as_user(world, "erin").post(
        reverse("desk:ticket_escalate", args=[ticket.pk]),
        escalate_input(tier2, criterion=str(criterion.pk), findings="Tax call times out after 30 min."),
    )

    assert response.status_code == 302
    assert response.url == ticket_url(ticket) + "#tier"
    handoff = Handoff.objects.get(ticket=ticket)
    assert (handoff.status, handoff.criterion, handoff.requested_by) == (
        "completed",
        criterion,
        world["erin"],
    )
    assert tier_of(ticket) == "Tier 2"
    html = page(as_user(world, "tom").get(ticket_url(ticket)))
    assert html.one(id="current-tier").text == "Tier 2 · level 2 · Internal"
    package = html.one(id="package")
    assert package.one("dd", cls="criterion").text == "Potential bug"
    assert package.one("dd", cls="findings").text == "Tax call times out after 30 min."
    assert package.one("dd", cls="workaround").text == "Run the export per department."
    group = package.one("div", cls="package-tier")
    assert group.attrs["data-tier"] == "Tier 1"
    assert "Read the ERP server log" in group.text and "Timeout calling the tax service" in group.text
    link = group.one("a")
    assert (link.text, link.attrs["href"]) == (
        "erp.log",
        reverse("desk:attachment", args=[step.attachments.get().pk]),
    )
    rows = html.one(id="handoffs").select("tr", cls="handoff")
    assert [(r.attrs["data-status"], r.select("td")[0].text) for r in rows] == [
        ("completed", "Tier 1 → Tier 2")
    ]
    assert html.by_id("tier-escalate") is not None and html.by_id("tier-return") is not None


@pytest.mark.parametrize(
    ("username", "status"),
    [(None, 302), ("carla", 403), ("nils", 403), ("victor", 403), ("tom", 403), ("tess", 302)],
    ids=[
        "anonymous",
        "customer",
        "other-team-engineer",
        "other-team-leader",
        "next-tier-engineer",
        "requesters-team-leader",
    ],
)
def test_it_lets_only_the_tickets_workers_escalate(world: World, username: str | None, status: int) -> None:
    ticket = triaged(world)
    document(world, ticket, "erin")
    tier2 = world.tier("Tier 2")
    url = reverse("desk:ticket_escalate", args=[ticket.pk])

    response = as_user(world, username).post(
        url, escalate_input(tier2, criterion=str(tier2.criteria.first().pk))
    )

    assert response.status_code == status
    if username is None:
        assert response.url == f"/desk/login/?next={url}"
    if username == "tess":
        assert tier_of(ticket) == "Tier 2"
    else:
        assert tier_of(ticket) == "Tier 1" and not Handoff.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    "route",
    [
        "desk:ticket_escalate",
        "desk:ticket_return",
        "desk:consult_new",
        "desk:vendor_engage",
        "desk:ticket_decide",
    ],
)
def test_it_answers_404_for_actions_on_a_ticket_that_does_not_exist(world: World, route: str) -> None:
    assert as_user(world, "erin").post(reverse(route, args=[MISSING]), {}).status_code == 404


def test_it_answers_404_for_objects_of_another_ticket(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    other = triaged(world)
    client = as_user(world, "ravi")

    urls = [
        reverse("desk:handoff_withdraw", args=[other.pk, handoff.pk]),
        reverse("desk:ticket_approval_decide", args=[other.pk, handoff.approval_id, "approve"]),
        reverse("desk:ticket_approval_decide", args=[ticket.pk, handoff.approval_id, "rubber-stamp"]),
        reverse("desk:consult_reply", args=[ticket.pk, MISSING]),
        reverse("desk:step_done", args=[other.pk, ticket.steps.first().pk]),
        reverse("desk:approval_decide", args=[MISSING, "approve"]),
    ]

    assert [client.post(url, {"approve-notes": "ok"}).status_code for url in urls] == [404] * len(urls)
    assert Handoff.objects.get(pk=handoff.pk).status == "pending_approval"


def test_it_refuses_a_hand_off_when_a_colleague_moved_the_ticket_first(world: World) -> None:
    """The page was shown in Tier 1; the ticket went on meanwhile: the service says so, input kept."""
    ticket = triaged(world)
    document(world, ticket, "erin")
    tier2 = world.tier("Tier 2")
    data = escalate_input(tier2, criterion=str(tier2.criteria.first().pk))
    data["escalate-from_tier"] = str(world.tier("Tier 1").pk)
    handoffs.escalate(
        ticket=ticket,
        actor=world["erin"],
        to_tier=tier2,
        criterion=tier2.criteria.first(),
        findings="Escalated by a colleague first.",
    )

    moved = f"This ticket has already moved to Tier 2 (by {world['erin']}, "

    # manny manages both tiers; omar, of Tier 1, may not work Tier 2's tickets: both hear where it
    # went (the race's loser is told, not refused with a 403 by its new team's rules).
    for name in ("manny", "omar"):
        response = as_user(world, name).post(reverse("desk:ticket_escalate", args=[ticket.pk]), data)

        assert response.status_code == 200
        html = page(response)
        refusals = html.refusals(html.one("form", data_form="escalate"))
        assert refusals[0].startswith(moved), refusals
        assert refusals[1:] == ["Missing: the ticket to still be in Tier 1: it is now in Tier 2"]
    assert Handoff.objects.filter(ticket=ticket).count() == 1


# --- returning -------------------------------------------------------------------------------


def test_it_returns_a_ticket_to_a_lower_tier_and_refuses_without_findings(world: World) -> None:
    ticket = in_tier2(world)
    url = reverse("desk:ticket_return", args=[ticket.pk])
    tier1 = world.tier("Tier 1")
    client = as_user(world, "tom")

    refused = client.post(
        url,
        {
            "return-to_tier": str(tier1.pk),
            "return-findings": "",
            "return-workaround": "Restart the export service.",
        },
    )

    assert refused.status_code == 200
    html = page(refused)
    assert html.refusals(html.one("form", data_form="return")) == [
        "Return to Tier 1 refused",
        "Missing: what was done and what Tier 1 should do next",
    ]
    assert html.value("return-workaround") == "Restart the export service."
    assert tier_of(ticket) == "Tier 2"

    done = client.post(
        url, {"return-to_tier": str(tier1.pk), "return-findings": "Fixed the tax endpoint; verify."}
    )

    assert done.status_code == 302
    assert tier_of(ticket) == "Tier 1"
    html = page(as_user(world, "erin").get(ticket_url(ticket)))
    assert html.one(id="package").select("h3")[0].text == "Hand-off package (returned from Tier 2)"
    assert (
        as_user(world, "erin").post(url, {"return-to_tier": str(tier1.pk)}).status_code == 200
    )  # Tier 1: nothing below


def test_it_denies_returning_to_someone_who_does_not_work_the_ticket(world: World) -> None:
    ticket = in_tier2(world)

    response = as_user(world, "erin").post(
        reverse("desk:ticket_return", args=[ticket.pk]),
        {"return-to_tier": str(world.tier("Tier 1").pk), "return-findings": "x"},
    )

    assert response.status_code == 403
    assert tier_of(ticket) == "Tier 2"


# --- the approval gate on the ticket page -------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "decides"),
    [("ravi", True), ("manny", True), ("tom", False), ("tess", False), ("victor", False), ("rachel", False)],
    ids=[
        "requesters-team-leader",
        "team-manager",
        "requester",
        "other-team-leader-tier1",
        "other-team-leader",
        "requesters-colleague",
    ],
)
def test_it_offers_the_approval_decision_only_to_eligible_approvers(
    world: World, username: str, decides: bool
) -> None:
    ticket, _ = waiting_for_microsoft(world)

    html = page(as_user(world, username).get(ticket_url(ticket)))

    pending = html.one(id="pending-approval")
    assert sorted(a.attrs["data-username"] for a in pending.select("span", cls="approver")) == [
        "manny",
        "ravi",
    ]
    assert (html.by_id("approval-approve") is not None) is decides
    assert (html.by_id("approval-request_changes") is not None) is decides
    assert html.one(id="active-handoff").one("span", cls="badge").text == "pending approval"
    assert html.by_id("tier-escalate") is None  # one hand-off in flight at a time


@pytest.mark.parametrize(
    ("username", "status"),
    [(None, 302), ("carla", 403), ("tom", 403), ("tess", 403), ("victor", 403), ("nils", 403)],
)
def test_it_denies_deciding_to_anyone_but_an_eligible_approver(
    world: World, username: str | None, status: int
) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    url = reverse("desk:ticket_approval_decide", args=[ticket.pk, handoff.approval_id, "approve"])

    response = as_user(world, username).post(url, {"approve-notes": "Looks fine."})

    assert response.status_code == status
    assert ApprovalRequest.objects.get(pk=handoff.approval_id).status == "pending"
    assert Handoff.objects.get(pk=handoff.pk).status == "pending_approval"


def test_it_refuses_approving_without_notes_then_approves_and_shows_the_notes(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    url = reverse("desk:ticket_approval_decide", args=[ticket.pk, handoff.approval_id, "approve"])
    client = as_user(world, "ravi")

    refused = client.post(url, {"approve-notes": "  "})

    assert refused.status_code == 200
    html = page(refused)
    assert html.refusals(html.one("form", data_form="approve")) == [
        "Approval refused",
        "Missing: approval notes (what was reviewed and why it may go ahead)",
    ]
    assert "open" in html.one(id="approval-approve").attrs

    approved = client.post(url, {"approve-notes": "L1/L2 trace reviewed; Microsoft needed."})

    assert approved.status_code == 302
    assert tier_of(ticket) == "Microsoft L3"
    html = page(as_user(world, "tom").get(ticket_url(ticket)))
    assert (
        html.one(id="package")
        .one("dd", cls="approval-notes")
        .text.endswith("L1/L2 trace reviewed; Microsoft needed.")
    )
    assert html.one(id="current-tier").text == "Microsoft L3 · level 3 · Vendor (Microsoft)"
    assert html.by_id("vendor-engage") is not None


def test_it_requests_changes_and_the_engineer_completes_the_to_do_steps(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    url = reverse("desk:ticket_approval_decide", args=[ticket.pk, handoff.approval_id, "request-changes"])

    refused = as_user(world, "ravi").post(
        url, {"request_changes-steps": "\n  \n", "request_changes-notes": "More."}
    )

    assert refused.status_code == 200
    assert page(refused).refusals(page(refused).one("form", data_form="request_changes")) == [
        "Request for changes refused",
        "Missing: the additional troubleshooting steps to perform",
    ]
    assert page(refused).value("request_changes-notes") == "More."

    sent_back = as_user(world, "ravi").post(
        url,
        {
            "request_changes-steps": "Collect the connector logs\nTest from a second site",
            "request_changes-notes": "Evidence is thin.",
        },
    )

    assert sent_back.status_code == 302
    html = page(as_user(world, "tom").get(ticket_url(ticket)))
    to_do = html.one(id="to-do").select("li", cls="step")
    assert [li.one("span", cls="kind").text for li in to_do] == [
        "Collect the connector logs",
        "Test from a second site",
    ]
    row = html.one(id="handoffs").select("tr", cls="handoff")[-1]
    assert row.attrs["data-status"] == "sent_back"
    assert [li.text for li in row.one("ul", cls="suggested").select("li")] == [
        "Collect the connector logs",
        "Test from a second site",
    ]
    step = TroubleshootingStep.objects.get(ticket=ticket, action="Collect the connector logs")
    done_url = reverse("desk:step_done", args=[ticket.pk, step.pk])

    no_outcome = as_user(world, "tom").post(done_url, {f"step_done-{step.pk}-outcome": ""})

    assert no_outcome.status_code == 200
    assert page(no_outcome).errors() == ["Say what the step showed (its outcome)."]

    done = as_user(world, "tom").post(
        done_url,
        {
            f"step_done-{step.pk}-outcome": "Connector drops TLS 1.0 clients",
            f"step_done-{step.pk}-files": SimpleUploadedFile("connector.log", b"TLS handshake failed\n"),
        },
    )

    assert done.status_code == 302
    step.refresh_from_db()
    assert (step.state, step.outcome, step.engineer) == (
        "done",
        "Connector drops TLS 1.0 clients",
        world["tom"],
    )
    assert step.attachments.get().original_name == "connector.log"
    assert as_user(world, "carla").post(done_url, {}).status_code == 403


def test_it_lets_the_requester_withdraw_a_pending_hand_off_with_a_reason(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    url = reverse("desk:handoff_withdraw", args=[ticket.pk, handoff.pk])

    assert as_user(world, "nils").post(url, {"withdraw-reason": "x"}).status_code == 403
    refused = as_user(world, "tom").post(url, {"withdraw-reason": ""})
    assert page(refused).refusals(page(refused).one("form", data_form="withdraw")) == [
        "Withdrawal refused",
        "Missing: the reason for withdrawing",
    ]

    response = as_user(world, "tom").post(url, {"withdraw-reason": "Microsoft fixed it on their side."})

    assert response.status_code == 302
    handoff.refresh_from_db()
    assert (handoff.status, handoff.approval.status) == ("withdrawn", "cancelled")
    html = page(as_user(world, "tom").get(ticket_url(ticket)))
    assert html.by_id("active-handoff") is None and html.by_id("tier-escalate") is not None


# --- the approvals inbox and the header badge ------------------------------------------------


def test_it_lists_pending_approvals_with_the_package_and_counts_them_in_the_header(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)

    html = page(as_user(world, "ravi").get(reverse("desk:approvals")))

    card = html.one("section", cls="approval")
    assert card.attrs["data-approval"] == str(handoff.approval_id)
    link = card.one("a", cls="ref")
    assert (link.text, link.attrs["href"]) == (ticket.reference, ticket_url(ticket))
    assert (
        card.one("span", cls="approval-title").text == f"Escalate {ticket.reference} from L2 to Microsoft L3"
    )
    assert "Requested by" in card.text and str(world["tom"]) in card.text
    assert re.fullmatch(r"Decision: (4h 00m|3h \d\dm) left", card.one("span", cls="time-left").text)
    titles = [h.text for h in card.select("h3")]
    assert titles[:2] == ["Hand-off", "Intake"]
    assert "Troubleshooting – L2" in titles and "Evidence on the ticket" in titles
    evidence = [a.attrs["href"] for a in card.select("a") if a.attrs["href"].startswith("/desk/attachments/")]
    assert len(evidence) == 1
    assert html.one("span", cls="pending-count").text == "1"
    for username in ("tom", "tess", "victor"):
        other = page(as_user(world, username).get(reverse("desk:approvals")))
        assert other.select("section", cls="approval") == [] and other.select(cls="pending-count") == []


@pytest.mark.parametrize(("username", "status"), [(None, 302), ("carla", 403), ("nils", 200)])
def test_it_opens_the_inbox_to_staff_only(world: World, username: str | None, status: int) -> None:
    response = as_user(world, username).get(reverse("desk:approvals"))

    assert response.status_code == status
    if username is None:
        assert response.url == "/desk/login/?next=/desk/approvals/"


def test_it_decides_from_the_inbox_and_keeps_a_refused_form(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    pk = handoff.approval_id
    url = reverse("desk:approval_decide", args=[pk, "request-changes"])

    refused = as_user(world, "manny").post(
        url, {f"request_changes-{pk}-steps": "", f"request_changes-{pk}-notes": "Hm"}
    )

    assert refused.status_code == 200
    html = page(refused)
    form = html.one("form", data_form="request_changes")
    assert html.refusals(form) == [
        "Request for changes refused",
        "Missing: the additional troubleshooting steps to perform",
    ]
    assert html.value(f"request_changes-{pk}-notes") == "Hm"

    assert (
        as_user(world, "tom")
        .post(reverse("desk:approval_decide", args=[pk, "approve"]), {f"approve-{pk}-notes": "Self-approved"})
        .status_code
        == 403
    )
    assert (
        as_user(world, "tess")
        .post(reverse("desk:approval_decide", args=[pk, "approve"]), {f"approve-{pk}-notes": "Other team"})
        .status_code
        == 403
    )
    approved = as_user(world, "manny").post(
        reverse("desk:approval_decide", args=[pk, "approve"]), {f"approve-{pk}-notes": "Reviewed the trace."}
    )

    assert approved.status_code == 302 and approved.url == reverse("desk:approvals")
    assert ApprovalRequest.objects.get(pk=pk).decision_notes == "Reviewed the trace."
    assert tier_of(ticket) == "Microsoft L3"
    assert (
        page(as_user(world, "manny").get(reverse("desk:approvals"))).select("section", cls="approval") == []
    )


# --- vendor work -----------------------------------------------------------------------------


def test_it_records_the_vendor_case_and_updates_in_a_vendor_tier_only(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    assert page(as_user(world, "tom").get(ticket_url(ticket))).by_id("vendor-engage") is None
    as_user(world, "ravi").post(
        reverse("desk:ticket_approval_decide", args=[ticket.pk, handoff.approval_id, "approve"]),
        {"approve-notes": "Go."},
    )
    url = reverse("desk:vendor_engage", args=[ticket.pk])

    refused = as_user(world, "tom").post(
        url,
        {
            "vendor_engage-vendor_name": "Microsoft",
            "vendor_engage-case_number": "",
            "vendor_engage-contact": "J. Doe",
        },
    )

    assert refused.status_code == 200
    html = page(refused)
    assert html.refusals(html.one("form", data_form="vendor_engage")) == [
        "Recording the vendor case refused",
        "Missing: the vendor case number",
    ]
    assert html.value("vendor_engage-contact") == "J. Doe"
    assert as_user(world, "erin").post(url, {}).status_code == 403

    assert (
        as_user(world, "tom")
        .post(
            url,
            {
                "vendor_engage-vendor_name": "Microsoft",
                "vendor_engage-case_number": "2611230040001234",
                "vendor_engage-contact": "J. Doe, +44 20 1234",
            },
        )
        .status_code
        == 302
    )
    engagement = VendorEngagement.objects.get(ticket=ticket)
    update_url = reverse("desk:vendor_update", args=[ticket.pk, engagement.pk])
    empty = as_user(world, "tom").post(update_url, {f"vendor_update-{engagement.pk}-summary": ""})
    assert page(empty).errors() == ["Say what the vendor reported."]
    assert (
        as_user(world, "tom")
        .post(update_url, {f"vendor_update-{engagement.pk}-summary": "Fix rolling out."})
        .status_code
        == 302
    )

    html = page(as_user(world, "tom").get(ticket_url(ticket)))
    vendor = html.one(id="vendor")
    assert vendor.one("strong", cls="case-number").text == "2611230040001234"
    assert [li.one("div").text for li in vendor.select("li", cls="vendor-update")] == ["Fix rolling out."]


# --- consults --------------------------------------------------------------------------------


def test_it_consults_another_team_which_replies_and_nobody_else_may(world: World) -> None:
    ticket = triaged(world)
    network = world.teams["Network Operations"]
    url = reverse("desk:consult_new", args=[ticket.pk])

    refused = as_user(world, "erin").post(
        url, {"consult-team": str(network.pk), "consult-question": "", "consult-reply_minutes": "90"}
    )
    assert refused.status_code == 200
    assert page(refused).errors(page(refused).one("form", data_form="consult")) == [
        "Say what you need from the team."
    ]
    assert page(refused).value("consult-reply_minutes") == "90"
    assert (
        as_user(world, "nils")
        .post(url, {"consult-team": str(network.pk), "consult-question": "x", "consult-reply_minutes": "90"})
        .status_code
        == 403
    )

    assert (
        as_user(world, "erin")
        .post(
            url,
            {
                "consult-team": str(network.pk),
                "consult-question": "Any firewall change on the tax API?",
                "consult-reply_minutes": "90",
            },
        )
        .status_code
        == 302
    )
    consult = Consult.objects.get(ticket=ticket)
    assert (consult.team, consult.reply_minutes, consult.state) == (network, 90, "open")
    nils_view = page(as_user(world, "nils").get(ticket_url(ticket)))
    assert nils_view.select("form", data_form="consult_reply") != []
    assert (
        page(as_user(world, "erin").get(ticket_url(ticket))).select("form", data_form="consult_reply") == []
    )
    reply_url = reverse("desk:consult_reply", args=[ticket.pk, consult.pk])
    assert (
        as_user(world, "erin").post(reply_url, {f"consult_reply-{consult.pk}-reply": "me"}).status_code == 403
    )
    assert (
        as_user(world, "tom").post(reply_url, {f"consult_reply-{consult.pk}-reply": "me"}).status_code == 403
    )

    assert (
        as_user(world, "nils")
        .post(reply_url, {f"consult_reply-{consult.pk}-reply": "Rule 4711 changed Friday."})
        .status_code
        == 302
    )

    consult.refresh_from_db()
    assert (consult.state, consult.reply, consult.replied_by) == (
        "answered",
        "Rule 4711 changed Friday.",
        world["nils"],
    )
    article = page(as_user(world, "erin").get(ticket_url(ticket))).one(id="consults").one("article")
    assert article.one("span", cls="consult-state").text == "Answered"
    assert "Rule 4711 changed Friday." in article.one("div", cls="reply").text


def test_it_lets_the_requester_withdraw_an_open_consult(world: World) -> None:
    ticket = triaged(world)
    consult = consults.consult_request(
        ticket=ticket, actor=world["erin"], team=world.teams["Network Operations"], question="Firewall?"
    )
    url = reverse("desk:consult_withdraw", args=[ticket.pk, consult.pk])

    assert as_user(world, "nils").post(url, {}).status_code == 403
    assert (
        as_user(world, "erin").post(url, {f"consult_withdraw-{consult.pk}-reason": "Found it"}).status_code
        == 302
    )

    assert Consult.objects.get(pk=consult.pk).state == "withdrawn"


# --- the IT manager's decision point ---------------------------------------------------------


def at_decision_point(world: World) -> Ticket:
    ticket = triaged(world)
    document(world, ticket, "erin")
    engineering = world.tier("Engineering")
    handoffs.escalate(
        ticket=ticket,
        actor=world["erin"],
        to_tier=engineering,
        criterion=engineering.criteria.first(),
        findings="Bug in the export.",
    )
    ticket.refresh_from_db()
    handoffs.escalate(
        ticket=ticket,
        actor=world["ella"],
        to_tier=world.tier("IT Manager decision"),
        findings="No fix possible in this release.",
    )
    ticket.refresh_from_db()
    return ticket


def test_it_offers_the_decision_to_the_it_manager_only_and_records_it(world: World) -> None:
    ticket = at_decision_point(world)
    url = reverse("desk:ticket_decide", args=[ticket.pk])

    assert page(as_user(world, "ella").get(ticket_url(ticket))).by_id("tier-decide") is None
    assert page(as_user(world, "ivan").get(ticket_url(ticket))).by_id("tier-decide") is not None
    assert as_user(world, "ella").post(url, {"decision-outcome": "known_error"}).status_code == 403
    refused = as_user(world, "ivan").post(
        url,
        {
            "decision-outcome": "known_error",
            "decision-notes": "",
            "decision-knowledge_none_reason": "Covered by KB-12",
        },
    )
    assert refused.status_code == 200
    html = page(refused)
    assert html.refusals(html.one("form", data_form="decision")) == [
        "Decision refused",
        "Missing: decision notes",
        "Missing: the root cause as far as it is known",
    ]
    assert html.value("decision-knowledge_none_reason") == "Covered by KB-12"

    response = as_user(world, "ivan").post(
        url,
        {
            "decision-outcome": "known_error",
            "decision-notes": "Accept until the Q1 release.",
            "decision-root_cause": "Export loops on periods over 100k rows.",
            "decision-knowledge_none_reason": "Covered by KB-12",
        },
    )

    assert response.status_code == 302
    decision = ManagerDecision.objects.get(ticket=ticket)
    assert (decision.outcome, decision.decided_by) == ("known_error", world["ivan"])
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    html = page(as_user(world, "ivan").get(ticket_url(ticket)))
    assert html.one(id="decisions").one("strong").text == "Accept as a known error"


def test_it_denies_a_decision_before_the_ticket_reaches_the_decision_point(world: World) -> None:
    ticket = triaged(world)

    response = as_user(world, "ivan").post(
        reverse("desk:ticket_decide", args=[ticket.pk]),
        {"decision-outcome": "known_error", "decision-notes": "x", "decision-root_cause": "y"},
    )

    assert response.status_code == 200
    assert page(response).refusals() == [
        "Decision refused",
        "Missing: the ticket to be at the IT manager decision point",
    ]
    assert as_user(world, "erin").post(reverse("desk:ticket_decide", args=[ticket.pk]), {}).status_code == 403


# --- queues per tier -------------------------------------------------------------------------


def test_it_filters_the_queue_by_tier_and_shows_each_tickets_tier(world: World) -> None:
    in_tier1 = triaged(world)
    moved = in_tier2(world)
    untriaged = new_ticket(world)
    client = as_user(world, "tom")

    html = page(client.get(reverse("desk:queue"), {"tier": world.tier("Tier 2").pk}))

    assert html.references() == [moved.reference]
    everything = page(client.get(reverse("desk:queue")))
    tiers = {
        td.parent.select("td", cls="ref")[0].text: td.text for td in everything.select("td", cls="tier-cell")
    }
    assert tiers == {untriaged.reference: "—", moved.reference: "Tier 2", in_tier1.reference: "Tier 1"}
    groups = everything.one("select", name="tier").select("optgroup")
    assert [g.attrs["label"] for g in groups] == ["Microsoft 365 escalation", "Service request escalation"]
    assert [o.text for o in groups[0].select("option")] == ["1. L1", "2. L2", "3. Microsoft L3"]


def test_it_shows_the_tier_on_my_work(world: World) -> None:
    moved = in_tier2(world)

    html = page(as_user(world, "tom").get(reverse("desk:my_work")))

    row = next(td.parent for td in html.select("td", cls="ref") if td.text == moved.reference)
    assert row.one("td", cls="tier-cell").text == "Tier 2"


def test_it_shows_the_hand_off_events_on_the_timeline_in_plain_words(world: World) -> None:
    ticket = in_tier2(world)

    html = page(as_user(world, "tom").get(ticket_url(ticket)))

    labels = [li.one("strong").text for li in html.one(id="timeline").select("li", cls="event")]
    assert labels[-3:] == ["Troubleshooting step", "Hand-off requested", "Escalated"]


def test_it_still_shows_a_refusal_when_a_colleague_decided_first(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    url = reverse("desk:ticket_approval_decide", args=[ticket.pk, handoff.approval_id, "approve"])
    assert as_user(world, "manny").post(url, {"approve-notes": "Reviewed, go."}).status_code == 302

    response = as_user(world, "ravi").post(url, {"approve-notes": "Me too."})

    assert response.status_code == 200
    html = page(response)
    assert html.refusals(html.one(id="tier")) == [
        "Approval refused",
        "Missing: a pending request (this one is approved)",
    ]
    assert ApprovalRequest.objects.get(pk=handoff.approval_id).decided_by == world["manny"]


def test_it_still_shows_a_refusal_when_a_colleague_did_the_step_first(world: World) -> None:
    ticket, handoff = waiting_for_microsoft(world)
    approval_request_changes(
        request=handoff.approval, actor=world["ravi"], steps=["Collect the connector logs"]
    )
    step = TroubleshootingStep.objects.get(ticket=ticket, state="to_do")
    ticket_complete_step(step=step, actor=world["tom"], outcome="Done by Tom")

    response = as_user(world, "rachel").post(
        reverse("desk:step_done", args=[ticket.pk, step.pk]),
        {f"step_done-{step.pk}-outcome": "Done by Rachel"},
    )

    assert response.status_code == 200
    assert page(response).refusals(page(response).one(id="tier")) == [
        "This step is already done",
        "Missing: a step still to do",
    ]
    step.refresh_from_db()
    assert (step.outcome, step.engineer) == ("Done by Tom", world["tom"])


def test_it_refuses_a_second_reply_to_an_answered_consult_and_keeps_it(world: World) -> None:
    ticket = triaged(world)
    consult = consults.consult_request(
        ticket=ticket, actor=world["erin"], team=world.teams["Network Operations"], question="Firewall?"
    )
    consults.consult_reply(consult=consult, actor=world["victor"], reply="No change.")

    response = as_user(world, "nils").post(
        reverse("desk:consult_reply", args=[ticket.pk, consult.pk]),
        {f"consult_reply-{consult.pk}-reply": "Rule 4711 changed."},
    )

    assert response.status_code == 200
    html = page(response)
    assert html.refusals(html.one("form", data_form="consult_reply")) == [
        "Reply refused",
        "Missing: an open consult (this one is answered)",
    ]
    assert html.value(f"consult_reply-{consult.pk}-reply") == "Rule 4711 changed."
    assert Consult.objects.get(pk=consult.pk).reply == "No change."
