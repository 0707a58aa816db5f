"""Browser journey, seed 002: a customer asks for help in the portal and requests an escalation
with the review (refused first without answers, what was typed kept); an escalation manager
acknowledges it in the console, agrees the action and communication plans, logs updates and
proposes de-escalation; the customer follows every public step in the portal and agrees with
one click; the case is de-escalated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from cases.models import CaseRequest, EscalationCase
from escalations.tests.conftest import World
from tests_support.factories import PASSWORD, CategoryFactory, make_agent
from tickets.models import Ticket
from tickets.services.lifecycle import ticket_triage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UPDATE_1 = "We reproduced the wrong tax code on your March data."
UPDATE_2 = "A fix is in test; your payroll can run on Friday."
SECRET_BRIEF = "BRIEF FOR LEADERSHIP ONLY"


def sign_in_portal(page: object, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/portal/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Your organisation's requests")).to_be_visible()


def sign_in_desk(page: object, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/desk/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()


def sign_out(page: object) -> None:
    page.context.clear_cookies()


def _carla_asks_for_help_and_tier_1_takes_it(page: Any, shots: Any, world: World) -> tuple[Ticket, str]:
    """Carla asks for help in the portal; Tier 1 takes the request."""
    from playwright.sync_api import expect

    sign_in_portal(page, "carla")
    page.get_by_role("link", name="Ask us for help").first.click()
    page.fill("input[name=summary]", "Payslips show last month's tax code")
    page.fill("textarea[name=description]", "Every payslip uses the old tax code since Monday.")
    page.fill("textarea[name=symptoms]", "The tax code column says 1257L for everyone.")
    page.fill("textarea[name=business_impact]", "Payroll cannot run on Friday.")
    page.fill("textarea[name=workaround]", "Export per department by hand.")
    milestone = f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d}"
    page.fill("input[name=critical_milestone]", milestone)
    page.select_option("select[name=service]", str(world.erp.pk))
    page.click("button:has-text('Send my request')")
    expect(page.locator("#status-words")).to_have_text("Received")
    ticket = Ticket.objects.get()
    ticket_triage(
        ticket=ticket,
        actor=world["erin"],
        priority="P2",
        category=CategoryFactory(name="Software"),
        replication_steps="none",
        error_messages="none",
        recent_changes="none",
    )
    page.reload()
    shots("request-sent")
    return ticket, milestone


def _the_review_is_prefilled(page: Any, milestone: str) -> None:
    """She requests an escalation: the review is prefilled from the request."""
    from playwright.sync_api import expect

    panel = page.locator("#escalation")
    expect(panel.locator("#escalation-request > summary")).to_have_text("Request an escalation")
    expect(page.locator("textarea[name=escalation-business_impact]")).to_have_value(
        "Payroll cannot run on Friday."
    )
    expect(page.locator("input[name=escalation-critical_milestone]")).to_have_value(milestone)
    expect(panel).to_contain_text("If there is a workaround, why doesn't it work for you?")


def _refused_without_answers_then_received(page: Any, shots: Any, world: World) -> EscalationCase:
    """First without answers: refused with the missing list, what she typed is kept."""
    from playwright.sync_api import expect

    page.check("input[name=escalation-level][value=team_leader]")
    page.fill("textarea[name=escalation-business_impact]", "Payroll for 800 staff cannot run on Friday.")
    page.click("#escalation-form button[type=submit]")
    refusal = page.locator("#escalation-refusal")
    expect(refusal).to_contain_text("Escalation request refused")
    expect(refusal).to_contain_text("Needed: the reason for the escalation")
    expect(refusal).to_contain_text("Needed: whether the problem statement is correct")
    expect(refusal).to_contain_text("Needed: why the workaround is impractical or inappropriate")
    expect(page.locator("textarea[name=escalation-business_impact]")).to_have_value(
        "Payroll for 800 staff cannot run on Friday."
    )
    expect(page.locator("input[name=escalation-level][value=team_leader]")).to_be_checked()
    shots("escalation-refused")
    assert EscalationCase.objects.count() == 0

    page.check("input[name=escalation-reason][value=critical_impact]")
    page.check("input[name=escalation-problem_statement_correct][value=yes]")
    page.fill("textarea[name=escalation-workaround_impractical_because]", "Exporting by hand takes two days.")
    page.click("#escalation-form button[type=submit]")
    expect(page.locator("#case-state")).to_have_text("We received your escalation")
    expect(page.locator("#case-engaged")).to_contain_text(str(world["tess"]))
    shots("escalation-received")
    case = EscalationCase.objects.get()
    assert (case.status, case.level, CaseRequest.objects.get().channel) == (
        "requested",
        "team_leader",
        "portal",
    )
    return case


def _esme_acknowledges_agrees_the_plans_and_updates(
    page: Any, shots: Any, world: World, ticket: Ticket, esme: User, case: EscalationCase
) -> None:
    """Esme, escalation manager, acknowledges it in the console and agrees the plans."""
    from playwright.sync_api import expect

    sign_out(page)
    sign_in_desk(page, "esme")
    page.goto(f"/desk/tickets/{ticket.pk}/#case")
    page.click("#case_ack > summary")
    page.locator("form[data-form=case_ack] button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_text("Acknowledged")
    shots("console-acknowledged")
    page.click("#case_activate > summary")
    page.select_option("select[name=case_activate-owner_0]", str(world["erin"].pk))
    page.fill("input[name=case_activate-step_0]", "Reproduce on the March data")
    page.fill("input[name=case_activate-target_0]", f"{timezone.localdate() + timedelta(days=2):%Y-%m-%d}")
    page.select_option("select[name=case_activate-owner_1]", str(esme.pk))
    page.fill("input[name=case_activate-step_1]", "Confirm the fix with Carla")
    page.fill("input[name=case_activate-target_1]", f"{timezone.localdate() + timedelta(days=3):%Y-%m-%d}")
    page.select_option("select[name=case_activate-mode]", "phone")
    page.select_option("select[name=case_activate-update_every_minutes]", "120")
    page.fill("textarea[name=case_activate-required_attendees]", "Carla, Esme, Erin")
    first_call = timezone.localtime(timezone.now() + timedelta(days=1))
    page.fill("input[name=case_activate-first_call_at]", f"{first_call:%Y-%m-%dT10:00}")
    shots("console-plans")
    page.locator("form[data-form=case_activate] button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_text("Active")

    for summary in (UPDATE_1, UPDATE_2):
        page.click("#case_update > summary")
        page.select_option("select[name=case_update-mode]", "phone")
        page.fill("textarea[name=case_update-summary]", summary)
        page.locator("form[data-form=case_update] button[type=submit]").click()
        expect(page.locator("#case-updates")).to_contain_text(summary)
    EscalationCase.objects.filter(pk=case.pk).update(brief=SECRET_BRIEF)  # never for the customer
    shots("console-updates")


def _carla_sees_every_public_step(page: Any, shots: Any, ticket: Ticket) -> None:
    """Carla sees every public step: the manager, the plan, the updates."""
    from playwright.sync_api import expect

    sign_out(page)
    sign_in_portal(page, "carla")
    page.goto(f"/portal/requests/{ticket.pk}/#escalation")
    expect(page.locator("#case-state")).to_have_text("Escalation active")
    expect(page.locator("#case-manager")).to_contain_text("Esme Holloway")
    expect(page.locator("#case-manager")).to_contain_text("esme@desk.example")
    expect(page.locator("#case-communication")).to_contain_text(
        "We update you by phone every 2 working hours."
    )
    expect(page.locator("#case-plan")).to_contain_text("Reproduce on the March data")
    expect(page.locator("#case-plan")).to_contain_text("Confirm the fix with Carla")
    expect(page.locator("#case-calls li")).to_have_count(1)
    expect(page.locator("#case-updates .p-message-body")).to_have_text([UPDATE_1, UPDATE_2])
    expect(page.locator("body")).not_to_contain_text(SECRET_BRIEF)
    shots("portal-escalation-active")


def _esme_proposes_de_escalation(page: Any, shots: Any, ticket: Ticket) -> None:
    """Esme proposes de-escalation."""
    from playwright.sync_api import expect

    sign_out(page)
    sign_in_desk(page, "esme")
    page.goto(f"/desk/tickets/{ticket.pk}/#case")
    page.click("#case_propose > summary")
    page.check("input[name=case_propose-action_plan_accepted]")
    page.check("input[name=case_propose-rca_on_track]")
    page.fill("textarea[name=case_propose-note]", "The fix is in test and payroll ran in the test system.")
    page.locator("form[data-form=case_propose] button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_text("De-escalation proposed")
    shots("console-proposed")


def _carla_agrees_and_the_case_is_de_escalated(
    page: Any, shots: Any, world: World, ticket: Ticket, case: EscalationCase
) -> None:
    """Carla agrees with one click."""
    from playwright.sync_api import expect

    sign_out(page)
    sign_in_portal(page, "carla")
    page.goto(f"/portal/requests/{ticket.pk}/#escalation")
    expect(page.locator("#case-state")).to_have_text("We propose to close the escalation")
    expect(page.locator("#de-escalation")).to_contain_text(
        "The fix is in test and payroll ran in the test system."
    )
    shots("portal-proposal")
    page.click("button:has-text('Yes, you can close the escalation')")
    expect(page.locator("#case-state")).to_contain_text("Escalation closed")
    shots("portal-de-escalated")

    case.refresh_from_db()
    assert (case.status, case.agreed_by, case.agreement_channel) == ("de_escalated", world["carla"], "portal")
    kinds = list(
        ticket.events.filter(kind__startswith="case_").order_by("at", "pk").values_list("kind", flat=True)
    )
    assert kinds == [
        "case_requested",
        "case_participant",
        "case_participant",
        "case_acknowledged",
        "case_active",
        "case_update",
        "case_update",
        "case_de_escalation_proposed",
        "case_de_escalated",
    ]
    expect(page.locator("#case-history li")).to_have_count(len(kinds))
    assert [li.get_attribute("data-kind") for li in page.locator("#case-history li").all()] == kinds
    expect(page.locator("#case-history li").last).to_contain_text("Escalation closed with your agreement")


def test_seed_002_a_customer_escalates_and_agrees_to_de_escalate(
    page, shots, live_server, world: World
) -> None:
    esme = make_agent(
        "Escalation manager",
        username="esme",
        first_name="Esme",
        last_name="Holloway",
        email="esme@desk.example",
        phone="+44 20 7946 0001",
    )

    ticket, milestone = _carla_asks_for_help_and_tier_1_takes_it(page, shots, world)
    _the_review_is_prefilled(page, milestone)
    case = _refused_without_answers_then_received(page, shots, world)
    _esme_acknowledges_agrees_the_plans_and_updates(page, shots, world, ticket, esme, case)
    _carla_sees_every_public_step(page, shots, ticket)
    _esme_proposes_de_escalation(page, shots, ticket)
    _carla_agrees_and_the_case_is_de_escalated(page, shots, world, ticket, case)
