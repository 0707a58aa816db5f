"""Browser journey: a Tier 1 engineer is refused an under-documented escalation, documents the
troubleshooting, escalates to Tier 2, and a Tier 2 engineer finds the ticket in the Tier 2 queue
with the hand-off package at the top of the ticket page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from escalations.models import Handoff, Tier, TierStint
from escalations.tests.conftest import World, triaged
from tests_support.factories import PASSWORD
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: object, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/desk/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()


def _erin_opens_the_ticket_in_tier_1(page: Any, shots: Any, ticket: Ticket) -> None:
    """Erin (Tier 1) opens the ticket: it is in Tier 1, with its tier time frame running."""
    from playwright.sync_api import expect

    sign_in(page, "erin")
    page.goto(f"/desk/tickets/{ticket.pk}/")
    expect(page.locator("#current-tier")).to_have_text("Tier 1 · level 1 · Internal")
    expect(page.locator("#tier .tier-clock .sla")).to_contain_text("Tier time frame:")
    shots("tier-1-ticket")


def _she_fills_the_escalate_form_for_engineering(page: Any, shots: Any, engineering: Tier) -> None:
    """She opens the escalate form: what every tier above requires is shown before submitting."""
    from playwright.sync_api import expect

    page.click("#tier-escalate > summary")
    requirements = page.locator("#requirements")
    expect(requirements).to_contain_text("Engineering")
    expect(requirements).to_contain_text("Software bug; Requires code changes")
    page.select_option("select[name=escalate-to_tier]", str(engineering.pk))
    page.fill("textarea[name=escalate-findings]", "The export loops on the March period; suspect a bug.")
    page.fill("textarea[name=escalate-workaround]", "Export per department by hand.")
    shots("escalate-to-engineering-form")
    page.locator("form[data-form=escalate] button[type=submit]").click()


def _engineering_is_refused_and_her_input_kept(
    page: Any, shots: Any, ticket: Ticket, engineering: Tier
) -> None:
    """Refused: no criterion and no documented troubleshooting; what she typed is kept."""
    from playwright.sync_api import expect

    refusal = page.locator("form[data-form=escalate] .refusal")
    expect(refusal).to_contain_text("Escalation to Engineering refused")
    expect(refusal).to_contain_text("Missing: an escalation criterion for Engineering")
    expect(refusal).to_contain_text(
        "Missing: at least 1 troubleshooting step(s) with outcome documented in Tier 1"
    )
    expect(page.locator("textarea[name=escalate-findings]")).to_have_value(
        "The export loops on the March period; suspect a bug."
    )
    expect(page.locator("select[name=escalate-to_tier]")).to_have_value(str(engineering.pk))
    shots("escalation-refused")
    assert not Handoff.objects.filter(ticket=ticket).exists()


def _she_documents_a_step_with_the_log(page: Any, shots: Any, tmp_path: Path) -> None:
    """She documents what she did, with the log."""
    from playwright.sync_api import expect

    log = tmp_path / "export.log"
    log.write_text("02:00:01 export start\n02:31:40 period 2026-03 restarted (loop 14)\n")
    page.click("#add-step > summary")
    page.select_option("select[name=step-kind]", "log_analysis")
    page.fill("textarea[name=step-action]", "Read the export job log on the ERP server.")
    page.fill("textarea[name=step-outcome]", "The March period restarts endlessly; other periods finish.")
    page.set_input_files("input[name=step-files]", str(log))
    page.click("#add-step button[type=submit]")
    expect(page.locator("#troubleshooting .step")).to_contain_text("Log analysis")
    shots("step-documented")


def _she_escalates_to_tier_2(page: Any, shots: Any, ticket: Ticket, tier2: Tier) -> None:
    """Escalating to Tier 2 with one of its criteria is accepted."""
    from playwright.sync_api import expect

    page.click("#tier-escalate > summary")
    page.select_option("select[name=escalate-to_tier]", str(tier2.pk))
    page.select_option("select[name=escalate-criterion]", str(tier2.criteria.get(text="Potential bug").pk))
    page.fill("textarea[name=escalate-findings]", "The March period restarts endlessly in the export job.")
    page.fill("textarea[name=escalate-workaround]", "Export per department by hand.")
    page.locator("form[data-form=escalate] button[type=submit]").click()
    expect(page.locator("#current-tier")).to_have_text("Tier 2 · level 2 · Internal")
    shots("escalated-to-tier-2")
    handoff = Handoff.objects.get(ticket=ticket)
    assert (handoff.status, handoff.to_tier, handoff.criterion_text) == ("completed", tier2, "Potential bug")
    assert TierStint.objects.get(ticket=ticket, left_at__isnull=True).tier == tier2


def _tom_reads_the_package_from_the_tier_2_queue(
    shots: Any, browser: Any, live_server: Any, ticket: Ticket, tier2: Tier
) -> None:
    """Tom (Tier 2) finds it in the Tier 2 queue and reads the package at the top of the ticket."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=live_server.url)
    try:
        tom = context.new_page()
        tom.set_default_timeout(15_000)
        sign_in(tom, "tom")
        tom.goto("/desk/queue/")
        tom.select_option("select[name=tier]", str(tier2.pk))
        expect(tom.locator("#results td.ref")).to_have_text([ticket.reference])
        expect(tom.locator("#results td.tier-cell")).to_have_text(["Tier 2"])
        shots.page = tom
        shots("tier-2-queue")
        tom.locator("#results td.ref a").click()
        package = tom.locator("#package")
        expect(package).to_be_visible()
        expect(package.locator(".criterion")).to_have_text("Potential bug")
        expect(package.locator(".findings")).to_have_text(
            "The March period restarts endlessly in the export job."
        )
        expect(package.locator(".package-tier[data-tier='Tier 1']")).to_contain_text(
            "The March period restarts endlessly; other periods finish."
        )
        # The package's steps are the troubleshooting log's, as handed off: folded, shown on demand.
        expect(package.locator("a", has_text="export.log")).to_be_hidden()
        package.locator(".package-steps > summary").click()
        expect(package.locator("a", has_text="export.log")).to_be_visible()
        # The package sits above the intake and the troubleshooting log.
        top = tom.evaluate("""() => ['package', 'intake', 'troubleshooting'].map(
            id => document.getElementById(id).getBoundingClientRect().top)""")
        assert top[0] < top[1] < top[2]
        shots("tier-2-package")
    finally:
        context.close()


def test_it_escalates_a_documented_ticket_from_tier_1_to_tier_2(
    page, shots, browser, live_server, world: World, tmp_path
) -> None:
    ticket = triaged(world, summary="ERP payroll export loops on March data")
    tier2, engineering = world.tier("Tier 2"), world.tier("Engineering")

    _erin_opens_the_ticket_in_tier_1(page, shots, ticket)
    _she_fills_the_escalate_form_for_engineering(page, shots, engineering)
    _engineering_is_refused_and_her_input_kept(page, shots, ticket, engineering)
    _she_documents_a_step_with_the_log(page, shots, tmp_path)
    _she_escalates_to_tier_2(page, shots, ticket, tier2)
    _tom_reads_the_package_from_the_tier_2_queue(shots, browser, live_server, ticket, tier2)
