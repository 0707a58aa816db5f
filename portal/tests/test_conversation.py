"""Where the customer's mail lands (issue 9): one-click answers to a resolution, the
de-escalation link, and colleagues copied in on a request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases.models import EscalationCase
from tests_support.factories import make_customer
from tickets.models import Status, Ticket, Watcher
from tickets.services.lifecycle import ticket_resolve, ticket_start, ticket_triage

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(ticket: Ticket, engineer: User) -> Ticket:
    ticket_triage(ticket=ticket, actor=engineer)
    ticket_start(ticket=ticket, actor=engineer)
    ticket_resolve(
        ticket=ticket,
        actor=engineer,
        resolution_summary="Raised the export timeout.",
        root_cause="Slow API",
        fix_kind="permanent",
    )
    return ticket


def test_the_confirm_link_shows_one_button_and_changes_nothing_until_clicked(
    carla: Client, resolved: Ticket
) -> None:
    url = reverse("portal:request_confirm", args=[resolved.pk])

    response = carla.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Raised the export timeout." in html
    assert html.count('id="confirm-form"') == 1 and "Yes, it is fixed" in html
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    response = carla.post(url, {"confirm-note": ""})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED
    # The link followed again later: nothing left to answer, and it says so.
    assert 'id="nothing-to-answer"' in carla.get(url).content.decode()


def test_the_reopen_link_asks_what_is_still_wrong(carla: Client, resolved: Ticket) -> None:
    response = carla.get(reverse("portal:request_reopen", args=[resolved.pk]))

    assert response.status_code == 200
    assert 'id="reopen-form"' in response.content.decode()
    response = carla.post(
        reverse("portal:request_reopen", args=[resolved.pk]), {"reopen-reason": "Still empty"}
    )
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert (resolved.status, resolved.reopen_reason) == (Status.IN_PROGRESS, "Still empty")


def test_answer_links_of_another_organisation_are_404(
    client: Client, other_customer: User, resolved: Ticket
) -> None:
    client.force_login(other_customer)
    for name in ("request_confirm", "request_reopen"):
        assert client.get(reverse(f"portal:{name}", args=[resolved.pk])).status_code == 404


def test_a_signed_out_customer_signs_in_and_lands_on_the_answer(client: Client, resolved: Ticket) -> None:
    url = reverse("portal:request_confirm", args=[resolved.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login")) and "next=" in response["Location"]


def test_the_de_escalation_link_lands_on_the_escalation_panel(
    carla: Client, resolved: Ticket, other_customer: User, client: Client
) -> None:
    case = EscalationCase.objects.create(ticket=resolved, reason="production_down", level="team_leader")
    url = reverse("portal:escalation_agree", args=[resolved.pk, case.pk])

    response = carla.get(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:request", args=[resolved.pk]) + "#escalation-agree-form"
    case.refresh_from_db()
    assert case.status == "requested"  # a GET agrees to nothing


def test_customers_copy_in_a_colleague_and_remove_them(
    carla: Client, ticket: Ticket, org: Any, other_customer: User
) -> None:
    colleague = make_customer(org, username="cody", first_name="Cody", last_name="Cole")
    page = carla.get(reverse("portal:request", args=[ticket.pk])).content.decode()
    assert 'id="copy-in-form"' in page and "Cody Cole" in page
    assert str(other_customer) not in page  # another organisation's people are never offered

    response = carla.post(
        reverse("portal:request_copy_in", args=[ticket.pk]), {"copy_in-contact": colleague.pk}
    )
    assert response.status_code == 302
    assert Watcher.objects.filter(ticket=ticket, user=colleague).exists()

    refused = carla.post(
        reverse("portal:request_copy_in", args=[ticket.pk]), {"copy_in-contact": other_customer.pk}
    )
    assert refused.status_code == 400
    assert not Watcher.objects.filter(user=other_customer).exists()
    assert (
        carla.post(reverse("portal:request_copy_out", args=[ticket.pk, other_customer.pk])).status_code == 404
    )

    response = carla.post(reverse("portal:request_copy_out", args=[ticket.pk, colleague.pk]))
    assert response.status_code == 302
    assert not Watcher.objects.filter(ticket=ticket).exists()


def test_another_organisation_cannot_copy_people_in(
    client: Client, other_customer: User, ticket: Ticket
) -> None:
    client.force_login(other_customer)
    response = client.post(
        reverse("portal:request_copy_in", args=[ticket.pk]), {"copy_in-contact": other_customer.pk}
    )
    assert response.status_code == 404
