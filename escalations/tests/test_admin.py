"""Admin: administrators edit the ladders (issue 4 point 1); the history is read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations import records, selectors
from escalations.models import (
    BreachAction,
    Handoff,
    HandoffStatus,
    ManagerDecision,
    ServiceLadder,
    Tier,
    TierKind,
    TierTimeFrame,
)
from escalations.services import consults, handoffs, vendor
from tests_support.factories import ServiceFactory, UserFactory, make_agent
from tickets.models import StepKind, Ticket
from tickets.services.lifecycle import ticket_start, ticket_triage
from tickets.services.steps import ticket_add_step

from .conftest import World, new_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(world: World) -> Any:
    return make_agent("Administrator", username="ada")


@pytest.fixture
def superuser(world: World) -> Any:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def at_l2(world: World, summary: str = "Outlook cannot send mail with attachments") -> Ticket:
    """A mail ticket handed from L1 to L2 (one completed hand-off with its package)."""
    ticket = new_ticket(world, service=world.mail, summary=summary)
    ticket_triage(ticket=ticket, actor=world["erin"])
    ticket_start(ticket=ticket, actor=world["erin"])
    ticket_add_step(
        ticket=ticket,
        actor=world["erin"],
        kind=StepKind.BASIC_CHECK,
        action="Rebuilt the Outlook profile.",
        outcome="Same error 0x80040600.",
    )
    handoffs.escalate(ticket=ticket, actor=world["erin"], findings="Fails on a new profile too.")
    ticket.refresh_from_db()
    return ticket


def post_data(response: Any) -> dict[str, Any]:
    """The change form as the browser would post it back unchanged (main form and inlines)."""
    data: dict[str, Any] = {}

    def add(form: Any, prefix: str | None = None) -> None:
        for name in form.fields:
            key = f"{prefix}-{name}" if prefix else name
            value = form[name].value()
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is not None:
                data[key] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form, formset.prefix)
        for form in formset.forms:
            add(form, form.prefix)
    return data


def change_url(obj: Any) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_an_administrator_loads_the_ladder_pages(client: Client, world: World, administrator: Any) -> None:
    client.force_login(administrator)
    for name in ("escalationpath", "tier", "serviceladder"):
        assert client.get(reverse(f"admin:escalations_{name}_changelist")).status_code == 200, name
        assert client.get(reverse(f"admin:escalations_{name}_add")).status_code == 200, name

    response = client.get(change_url(world.microsoft))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Services on this ladder" in html and "E-mail &amp; collaboration" in html
    tiers = response.context["inline_admin_formsets"][0].formset
    assert [f.instance.name for f in tiers.forms] == ["L1", "L2", "Microsoft L3"]

    l3 = world.tier("Microsoft L3", world.microsoft)
    response = client.get(change_url(l3))
    assert response.status_code == 200
    inlines = {i.formset.prefix: i.formset for i in response.context["inline_admin_formsets"]}
    assert [f.instance.priority for f in inlines["time_frames"].forms] == ["P1", "P2", "P3", "P4"]
    response = client.get(change_url(world.tier("Engineering")))
    inlines = {i.formset.prefix: i.formset for i in response.context["inline_admin_formsets"]}
    assert [f.instance.text for f in inlines["criteria"].forms] == [
        "Software bug",
        "Requires code changes",
        "System performance concern",
        "Security concern",
    ]

    # The ladder list counts tiers and services without a query per ladder.
    response = client.get(reverse("admin:escalations_escalationpath_changelist"))
    rows = {p.name: (p.n_tiers, p.n_services) for p in response.context["cl"].result_list}
    assert rows == {"Microsoft 365 escalation": (3, 1), "Service request escalation": (6, 1)}


def test_the_tier_page_saves_its_criteria_and_time_frames(
    client: Client, world: World, administrator: Any
) -> None:
    client.force_login(administrator)
    l3 = world.tier("Microsoft L3", world.microsoft)
    response = client.get(change_url(l3))
    data = post_data(response)
    p1 = next(k for k, v in data.items() if k.startswith("time_frames-") and v == "P1")
    data[p1.replace("-priority", "-minutes")] = "300"
    data["criteria-TOTAL_FORMS"] = "1"
    data.update({"criteria-0-text": "Confirmed service incident at Microsoft", "criteria-0-position": "0"})
    data["breach_action"] = BreachAction.AUTO_ESCALATE
    response = client.post(change_url(l3), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    l3.refresh_from_db()
    assert l3.breach_action == BreachAction.AUTO_ESCALATE
    assert list(l3.criteria.values_list("text", flat=True)) == ["Confirmed service incident at Microsoft"]
    assert dict(l3.time_frames.values_list("priority", "minutes")) == {
        "P1": 300,
        "P2": 960,
        "P3": 2400,
        "P4": 4800,
    }
    assert (
        selectors.requirements_of(l3)[1]
        == "one of its escalation criteria: Confirmed service incident at Microsoft"
    )

    # A second time frame for the same priority is refused, nothing saved.
    data = post_data(client.get(change_url(l3)))
    data["time_frames-TOTAL_FORMS"] = "5"
    data.update(
        {"time_frames-4-priority": "P1", "time_frames-4-minutes": "10", "time_frames-4-warning_percent": "75"}
    )
    response = client.post(change_url(l3), data)
    assert response.status_code == 200
    assert TierTimeFrame.objects.filter(tier=l3).count() == 4


def test_a_vendor_tier_must_name_its_vendor(client: Client, world: World, administrator: Any) -> None:
    client.force_login(administrator)
    l3 = world.tier("Microsoft L3", world.microsoft)
    data = post_data(client.get(change_url(l3)))
    data["vendor_name"] = ""
    response = client.post(change_url(l3), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["vendor_name"] == ["A vendor tier names its vendor."]
    l3.refresh_from_db()
    assert l3.vendor_name == "Microsoft"


def test_the_ladder_page_adds_a_tier_and_a_service(client: Client, world: World, administrator: Any) -> None:
    sharepoint = ServiceFactory(name="SharePoint", calendar=world.mail.calendar)
    client.force_login(administrator)
    data = post_data(client.get(change_url(world.microsoft)))
    data["tiers-TOTAL_FORMS"] = "4"
    data.update(
        {
            "tiers-3-level": "4",
            "tiers-3-name": "IT Manager decision",
            "tiers-3-team": world.teams["IT Management"].pk,
            "tiers-3-kind": TierKind.DECISION,
            "tiers-3-min_steps_below": "0",
            "tiers-3-breach_action": BreachAction.NOTIFY,
        }
    )
    data["service_ladders-TOTAL_FORMS"] = "2"
    data["service_ladders-1-service"] = sharepoint.pk
    response = client.post(change_url(world.microsoft), data)
    assert response.status_code == 302, response.context and [
        i.formset.errors for i in response.context["inline_admin_formsets"]
    ]
    assert list(world.microsoft.tiers.values_list("level", "name", "kind")) == [
        (1, "L1", TierKind.INTERNAL),
        (2, "L2", TierKind.INTERNAL),
        (3, "Microsoft L3", TierKind.VENDOR),
        (4, "IT Manager decision", TierKind.DECISION),
    ]
    assert ServiceLadder.objects.get(service=sharepoint).path == world.microsoft
    assert selectors.next_tier(world.tier("Microsoft L3", world.microsoft)).name == "IT Manager decision"

    # Two tiers on one level are refused.
    data = post_data(client.get(change_url(world.microsoft)))
    data["tiers-TOTAL_FORMS"] = "5"
    data.update(
        {
            "tiers-4-level": "4",
            "tiers-4-name": "Duplicate",
            "tiers-4-team": world.teams["Tier 2"].pk,
            "tiers-4-kind": TierKind.INTERNAL,
            "tiers-4-min_steps_below": "1",
            "tiers-4-breach_action": BreachAction.NOTIFY,
        }
    )
    assert client.post(change_url(world.microsoft), data).status_code == 200
    assert world.microsoft.tiers.count() == 4

    # A vendor tier added on the ladder page must name its vendor.
    data["tiers-4-level"], data["tiers-4-kind"] = "5", TierKind.VENDOR
    response = client.post(change_url(world.microsoft), data)
    assert response.status_code == 200
    tiers = response.context["inline_admin_formsets"][0].formset
    assert tiers.forms[4].errors == {"vendor_name": ["A vendor tier names its vendor."]}
    assert world.microsoft.tiers.count() == 4


def test_engineers_cannot_edit_ladders(client: Client, world: World) -> None:
    client.force_login(world["erin"])
    assert client.get(reverse("admin:escalations_escalationpath_changelist")).status_code == 403
    assert client.get(change_url(world.tier("L2", world.microsoft))).status_code == 403


def test_the_handoff_admin_is_read_only(client: Client, world: World, superuser: Any) -> None:
    ticket = at_l2(world)
    handoff = Handoff.objects.get(ticket=ticket)
    client.force_login(superuser)
    response = client.get(reverse("admin:escalations_handoff_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "L1 → L2" in html and ticket.reference in html
    assert "delete_selected" not in html

    response = client.get(change_url(handoff))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Troubleshooting – L1",
        "Rebuilt the Outlook profile.",
        "Same error 0x80040600.",
        "Fails on a new profile too.",
        "Completed",
    ):
        assert text in html, text
    assert 'name="_save"' not in html

    response = client.post(change_url(handoff), {"findings": "rewritten", "status": HandoffStatus.WITHDRAWN})
    assert response.status_code == 403
    assert client.get(reverse("admin:escalations_handoff_add")).status_code == 403
    delete = reverse("admin:escalations_handoff_delete", args=[handoff.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    handoff.refresh_from_db()
    assert (handoff.status, handoff.findings) == (HandoffStatus.COMPLETED, "Fails on a new profile too.")


def test_a_team_leader_may_read_handoffs(client: Client, world: World) -> None:
    ticket = at_l2(world)
    client.force_login(world["ravi"])
    response = client.get(reverse("admin:escalations_handoff_changelist"))
    assert response.status_code == 200
    assert ticket.reference in response.content.decode()
    assert client.get(reverse("admin:escalations_escalationpath_changelist")).status_code == 403


def test_the_history_pages_show_stints_consults_vendor_work_and_decisions(
    client: Client, world: World, superuser: Any
) -> None:
    from approvals.services import approval_approve

    ticket = at_l2(world)
    ticket_add_step(
        ticket=ticket,
        actor=world["tom"],
        kind=StepKind.LOG_ANALYSIS,
        action="Message trace.",
        outcome="Throttled server-side.",
    )
    consult = consults.consult_request(
        ticket=ticket,
        actor=world["tom"],
        team=world.teams["Network Operations"],
        question="Any proxy limits on outbound SMTP?",
    )
    consults.consult_reply(consult=consult, actor=world["nils"], reply="None on our side.")
    handoff = handoffs.escalate(
        ticket=ticket, actor=world["tom"], findings="Tenant throttling.", evidence_note="none"
    )
    approval_approve(request=handoff.approval, actor=world["ravi"], notes="Approved.")
    engagement = vendor.vendor_engage(
        ticket=ticket,
        actor=world["tom"],
        case_number="MS-2611230001",
        contact="Jo at Microsoft, jo@example.com",
    )
    vendor.vendor_update(engagement=engagement, actor=world["tom"], summary="Microsoft lifted the limit.")
    decision = ManagerDecision.objects.create(
        ticket=ticket,
        tier=world.tier("Microsoft L3", world.microsoft),
        outcome="continue_with_vendor",
        notes="Keep the case open for a week.",
        decided_by=world["ivan"],
        activity_record=records.activity_record(ticket),
    )
    client.force_login(superuser)
    pages = {
        "tierstint": ["L1", "L2", "Microsoft L3"],
        "consult": ["Network Operations", "Answered"],
        "vendorengagement": ["MS-2611230001", "Jo at Microsoft"],
        "managerdecision": ["Continue with the vendor"],
    }
    for model, texts in pages.items():
        response = client.get(reverse(f"admin:escalations_{model}_changelist"))
        assert response.status_code == 200, model
        html = response.content.decode()
        assert all(t in html for t in texts), model
        assert client.get(reverse(f"admin:escalations_{model}_add")).status_code == 403, model

    response = client.get(change_url(engagement))
    assert response.status_code == 200 and "Microsoft lifted the limit." in response.content.decode()
    assert 'name="_save"' not in response.content.decode()
    response = client.get(change_url(decision))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Keep the case open for a week." in html and "Tenant throttling." in html  # with its record
    response = client.get(change_url(consult))
    assert response.status_code == 200 and "None on our side." in response.content.decode()


def test_the_history_changelists_run_a_fixed_number_of_queries(
    client: Client, world: World, superuser: Any
) -> None:
    at_l2(world, "First")
    client.force_login(superuser)
    urls = [
        reverse(f"admin:escalations_{m}_changelist")
        for m in ("handoff", "tierstint", "tier", "escalationpath")
    ]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    counts()  # warm caches (content types)
    small = counts()
    for i in range(4):
        at_l2(world, f"More {i}")
    Tier.objects.create(path=world.microsoft, name="L4", level=4, team=world.teams["Tier 2"])
    assert counts() == small
    assert Handoff.objects.count() == 5
