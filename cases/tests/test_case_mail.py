"""Case mail for each audience (issue 9, points 2 and 5): customers are mailed when their
escalation is acknowledged, when the plans are agreed, for every communication-plan update
given by e-mail and when de-escalation is proposed, in their own kinds (portal links on
SITE_URL, the engineer's signature with the team leader and team manager, the ticket's
thread, never internal content); staff keep their notifications with console links; nobody
hears of their own action; every escalations and approvals kind has its own templates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases.models import EscalationCase, MeetingKind
from cases.services import de_escalation as case_de_escalation
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import updates as case_updates
from cases.services.core import PlanItem, Review
from notifications import registry
from notifications.models import Channel, Notification
from notifications.services import deliver
from notifications.threading import threads_named_by
from tests_support.factories import make_agent
from tickets.models import Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import ticket_start
from tickets.services.watchers import ticket_add_cc

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

SITE = "https://desk.example.com"
INTERNAL = ["INTERNAL-NOTE-7731", "MEETING-NOTE-4410"]
REVIEW = Review(problem_statement_correct=True, business_impact="Salaries cannot be paid on Friday.")


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def esme(world: World) -> User:
    return make_agent(
        "Escalation manager",
        username="esme",
        first_name="Esme",
        last_name="Holloway",
        email="esme@support.example.com",
        phone="+44 20 7946 0001",
    )


def escalated(world: World, esme: User) -> tuple[Ticket, EscalationCase]:
    """Erin works a Tier 1 ticket with an internal note and a staff-only meeting note; Carla escalates."""
    ticket = triaged(world)
    ticket_start(ticket=ticket, actor=world["erin"])
    ticket_comment(
        ticket=ticket, actor=world["erin"], body=f"{INTERNAL[0]}: the customer is loud.", is_internal=True
    )
    case = case_requests.case_request(
        ticket=ticket, actor=world["carla"], reason="critical_impact", level="team_leader", review=REVIEW
    )
    return ticket, case


def run_to_proposal(world: World, esme: User, case: EscalationCase, *, mode: str = "email") -> None:
    case_plans.case_acknowledge(case=case, actor=esme)
    case_plans.case_activate(
        case=case,
        actor=esme,
        mode=mode,
        update_every_minutes=120,
        action_plan=[PlanItem(world["erin"], "Reproduce the timeout on test", date(2026, 11, 25))],
        required_attendees="Carla, Esme, Erin",
        first_call_at=at(23, 14),
    )
    case_updates.case_schedule_meeting(
        case=case,
        actor=esme,
        kind=MeetingKind.INTERNAL_REVIEW,
        scheduled_for=at(23, 15),
        attendees="Esme, Erin",
        notes=INTERNAL[1],
    )
    case_updates.case_log_update(
        case=case,
        actor=esme,
        mode="email",
        summary="We reproduced the timeout on the test system; a fix is being prepared.",
    )
    case_updates.case_log_update(
        case=case, actor=esme, mode="phone", summary="Called Carla: fix on test tomorrow."
    )
    case_de_escalation.case_propose_de_escalation(
        case=case,
        actor=esme,
        action_plan_accepted=True,
        rca_on_track=True,
        note="The fix is live since this morning.",
    )


def customer_mail(carla: User) -> dict[str, Any]:
    """Every e-mail row to Carla, delivered, by kind: the sent message."""
    sent: dict[str, Any] = {}
    for row in Notification.objects.filter(recipient=carla, channel=Channel.EMAIL).order_by("pk"):
        before = len(mail.outbox)
        assert deliver(notification_id=row.pk)
        assert len(mail.outbox) == before + 1
        sent.setdefault(row.kind, []).append(mail.outbox[-1])
    return sent


def test_it_mails_the_customer_their_own_case_mail_with_portal_links_signature_and_thread(
    world: World, esme: User
) -> None:
    carla, tess, manny = world["carla"], world["tess"], world["manny"]
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket, case = escalated(world, esme)
        travel.move_to(at(23, 9, 30))
        run_to_proposal(world, esme, case)

    sent = customer_mail(carla)

    assert sorted(sent) == [
        "escalations.customer_acknowledged",
        "escalations.customer_de_escalation_proposed",
        "escalations.customer_plan_agreed",
        "escalations.customer_update",
    ]
    # Only the update given by e-mail is mailed; the phone call was the update itself.
    [update] = sent["escalations.customer_update"]
    assert update.subject == (
        "Update on your escalation of "
        f"{ticket.reference}: We reproduced the timeout on the test system; a fix is being "
        "prepared."
    )
    assert "We reproduced the timeout on the test system" in update.body
    assert "Called Carla" not in update.body
    [ack] = sent["escalations.customer_acknowledged"]
    assert ack.subject == f"Esme Holloway acknowledged your escalation of {ticket.reference}"
    assert "esme@support.example.com" in ack.body and "+44 20 7946 0001" in ack.body
    [proposal] = sent["escalations.customer_de_escalation_proposed"]
    assert proposal.subject == f"We propose to de-escalate {ticket.reference}"
    agree = f"{SITE}{reverse('portal:escalation_agree', args=[ticket.pk, case.pk])}"
    assert agree in proposal.body
    assert "The fix is live since this morning." in proposal.body

    request_url = f"{SITE}{reverse('portal:request', args=[ticket.pk])}"
    for message in (m for messages in sent.values() for m in messages):
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        for part in (message.body, html):
            assert request_url in part
            assert "/desk/" not in part
            assert str(tess) in part and str(manny) in part  # the engineer's signature (seed 000)
            assert str(world["erin"]) in part
            for secret in INTERNAL:
                assert secret not in part
        assert message.to == [carla.email]
        assert threads_named_by(
            [message.extra_headers["In-Reply-To"], message.extra_headers["References"]]
        ) == [f"ticket-{ticket.pk}"]
        assert message.extra_headers["Message-ID"].startswith(f"<ticket-{ticket.pk}.n")
    [(html, _)] = proposal.alternatives
    assert f'<a href="{agree}">' in html


def test_the_agree_link_opens_the_request_at_its_answer_without_answering(
    world: World, esme: User, client: Client
) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        ticket, case = escalated(world, esme)
        run_to_proposal(world, esme, case)
    client.force_login(world["carla"])

    response = client.get(reverse("portal:escalation_agree", args=[ticket.pk, case.pk]))

    assert response.status_code == 302
    assert response.url == reverse("portal:request", args=[ticket.pk]) + "#escalation-agree-form"
    case.refresh_from_db()
    assert case.status == "de_escalation_proposed"  # following a link never answers
    page = client.get(response.url).content.decode()
    assert 'id="escalation-agree-form"' in page


def test_staff_keep_console_links_and_nobody_hears_of_their_own_action(world: World, esme: User) -> None:
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket, case = escalated(world, esme)
        travel.move_to(at(23, 9, 30))
        run_to_proposal(world, esme, case)
        case_de_escalation.case_answer_de_escalation(case=case, actor=world["carla"], agree=True)

    console = reverse("desk:ticket", args=[ticket.pk])
    staff_rows = Notification.objects.filter(kind__startswith="escalations.case", recipient__is_staff=True)
    assert staff_rows.exists()
    assert set(staff_rows.values_list("link", flat=True)) == {console}
    assert set(staff_rows.values_list("thread", flat=True)) == {f"ticket-{ticket.pk}"}
    # Esme acted on every step but the request and the answer: she hears only of those two.
    assert set(Notification.objects.filter(recipient=esme).values_list("kind", flat=True)) == {
        "escalations.case_requested",
        "escalations.case_answered",
    }
    # Carla gets no staff kind, nor a mail of her own request or answer.
    carla_kinds = set(Notification.objects.filter(recipient=world["carla"]).values_list("kind", flat=True))
    assert carla_kinds == {
        "escalations.customer_acknowledged",
        "escalations.customer_plan_agreed",
        "escalations.customer_update",
        "escalations.customer_de_escalation_proposed",
    }
    assert set(Notification.objects.filter(recipient=world["carla"]).values_list("link", flat=True)) == {
        reverse("portal:request", args=[ticket.pk])
    }
    # Staff mail links to the console on SITE_URL.
    row = Notification.objects.get(
        kind="escalations.case_update", recipient=world["tess"], channel=Channel.EMAIL, context__mode="e-mail"
    )
    assert deliver(notification_id=row.pk)
    message = mail.outbox[-1]
    assert message.subject == (
        f"[{ticket.reference}] Esme Holloway gave the customer an update by e-mail: {ticket.summary}"
    )
    assert f"{SITE}{console}" in message.body


def test_a_customer_mail_goes_to_the_contacts_copied_in_and_whoever_escalated(
    world: World, esme: User
) -> None:
    from tests_support.factories import make_customer

    carla = world["carla"]
    colleague = make_customer(carla.organisation, username="colin")
    asker = make_customer(carla.organisation, username="adele")
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_add_cc(ticket=ticket, actor=carla, contact=colleague)
        case = case_requests.case_request(
            ticket=ticket, actor=asker, reason="critical_impact", level="next_tier", review=REVIEW
        )
        case_plans.case_acknowledge(case=case, actor=esme)

    told = set(
        Notification.objects.filter(
            kind="escalations.customer_acknowledged", channel=Channel.IN_APP
        ).values_list("recipient__username", flat=True)
    )
    assert told == {"carla", "colin", "adele"}


# Kinds whose subject names no ticket: the daily report (a day) and the password reset (an account).
NOT_ABOUT_A_TICKET = {"escalations.daily_report", "accounts.password_reset"}


def test_every_kind_has_its_own_text_and_html_template() -> None:
    kinds = [k for k in registry.registered_kinds() if not k.name.startswith("test.")]
    assert len(kinds) >= 39
    assert {k.name.partition(".")[0] for k in kinds} >= {"ticket", "escalations", "approvals"}
    for kind in kinds:
        for suffix in ("txt", "html"):
            name = f"notifications/email/{kind.name}.{suffix}"
            get_template(name)  # raises TemplateDoesNotExist
            assert kind.text_templates[0] == f"notifications/email/{kind.name}.txt"
        # A specific subject: it names the ticket (or the day, or the account).
        assert "{{ reference }}" in kind.subject or kind.name in NOT_ABOUT_A_TICKET, kind.name
