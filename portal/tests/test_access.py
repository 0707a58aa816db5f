"""Who may open each portal page: customers of the request's organisation; others are turned away.

Anonymous visitors sign in at /portal/login/, staff are sent to the console, a customer of
another organisation gets 404 for every URL naming the request or its files.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests_support.factories import PASSWORD
from tickets.models import Attachment, Ticket
from tickets.services.attachments import ticket_attach

from .helpers import client_as, drive_to, page, snapshot

GET_PAGES = {
    "home": lambda t, a: reverse("portal:home"),
    "request_new": lambda t, a: reverse("portal:request_new"),
    "request": lambda t, a: reverse("portal:request", args=[t.pk]),
    "attachment": lambda t, a: reverse("portal:attachment", args=[a.pk]),
}
TICKET_PAGES = {"request", "attachment"}
POSTS = {
    "request_message": {"message-body": "Any news?"},
    "request_confirm": {"confirm-note": "Fine."},
    "request_reopen": {"reopen-reason": "Still broken."},
}
STAFF = ["engineer", "team_leader", "team_manager", "admin_user"]


@pytest.fixture
def public_file(ticket: Ticket, customer: User) -> Attachment:
    return ticket_attach(
        ticket=ticket, actor=customer, upload=SimpleUploadedFile("export.log", b"ERR-504 upstream timeout")
    )


@pytest.mark.parametrize("name", list(GET_PAGES))
def test_it_shows_each_page_to_the_customer(
    carla: Client, ticket: Ticket, public_file: Attachment, name: str
) -> None:
    response = carla.get(GET_PAGES[name](ticket, public_file))

    assert response.status_code == 200


@pytest.mark.parametrize("name", list(GET_PAGES))
def test_it_sends_anonymous_visitors_to_the_portal_sign_in(
    client: Client, ticket: Ticket, public_file: Attachment, name: str
) -> None:
    url = GET_PAGES[name](ticket, public_file)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/portal/login/?next={url}"


@pytest.mark.parametrize("persona", STAFF)
@pytest.mark.parametrize("name", list(GET_PAGES))
def test_it_sends_staff_to_the_console(
    request: pytest.FixtureRequest, ticket: Ticket, public_file: Attachment, persona: str, name: str
) -> None:
    response = client_as(persona, request).get(GET_PAGES[name](ticket, public_file))

    assert response.status_code == 302
    assert response.url == reverse("desk:my_work")


@pytest.mark.parametrize("name", sorted(TICKET_PAGES))
def test_it_answers_404_to_a_customer_of_another_organisation(
    client: Client, other_customer: User, ticket: Ticket, public_file: Attachment, name: str
) -> None:
    client.force_login(other_customer)

    assert client.get(GET_PAGES[name](ticket, public_file)).status_code == 404


@pytest.mark.parametrize("name", list(POSTS))
def test_it_answers_404_to_posts_on_another_organisations_request(
    client: Client, other_customer: User, engineer: User, ticket: Ticket, name: str
) -> None:
    drive_to(ticket, "resolved", engineer)
    before = snapshot(ticket)
    client.force_login(other_customer)

    response = client.post(reverse(f"portal:{name}", args=[ticket.pk]), POSTS[name])

    assert response.status_code == 404
    assert snapshot(ticket) == before


@pytest.mark.parametrize("name", list(POSTS))
def test_it_sends_anonymous_posts_to_sign_in_and_changes_nothing(
    client: Client, engineer: User, ticket: Ticket, name: str
) -> None:
    drive_to(ticket, "resolved", engineer)
    before = snapshot(ticket)

    response = client.post(reverse(f"portal:{name}", args=[ticket.pk]), POSTS[name])

    assert response.status_code == 302 and response.url.startswith("/portal/login/")
    assert snapshot(ticket) == before


def test_it_answers_404_for_a_request_that_does_not_exist(carla: Client) -> None:
    assert carla.get(reverse("portal:request", args=[999_999])).status_code == 404


def test_it_only_takes_posts_on_the_action_urls(carla: Client, ticket: Ticket) -> None:
    assert carla.get(reverse("portal:request_message", args=[ticket.pk])).status_code == 405


def test_it_signs_a_customer_in_with_a_password_and_lands_on_their_requests(
    client: Client, customer: User
) -> None:
    sign_in = client.get(reverse("portal:login"))
    response = client.post(reverse("portal:login"), {"username": "carla", "password": PASSWORD})

    assert sign_in.status_code == 200 and b"portal/portal.css" in sign_in.content
    assert response.status_code == 302 and response.url == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200


def test_it_keeps_the_page_asked_for_across_sign_in(client: Client, customer: User, ticket: Ticket) -> None:
    url = reverse("portal:request", args=[ticket.pk])

    response = client.post(
        f"{reverse('portal:login')}?next={url}", {"username": "carla", "password": PASSWORD, "next": url}
    )

    assert response.url == url


def test_it_refuses_a_wrong_password_in_plain_words(client: Client, customer: User) -> None:
    response = client.post(reverse("portal:login"), {"username": "carla", "password": "nope"})

    assert response.status_code == 200
    assert page(response).one(cls="p-errors").text.startswith("Please enter a correct username and password")


def test_it_sends_staff_signing_in_at_the_portal_to_the_console(client: Client, engineer: User) -> None:
    response = client.post(reverse("portal:login"), {"username": "erin", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("desk:my_work")


def test_it_signs_out_back_to_the_portal_sign_in(carla: Client) -> None:
    response = carla.post(reverse("portal:logout"))

    assert response.status_code == 302 and response.url == reverse("portal:login")
    assert carla.get(reverse("portal:home")).status_code == 302


def test_it_offers_the_portal_to_a_customer_who_opens_the_console(carla: Client) -> None:
    response = carla.get(reverse("desk:my_work"))

    assert response.status_code == 403
    link = page(response).one(id="portal-link").one("a")
    assert link.attrs["href"] == reverse("portal:home")


def test_it_does_not_offer_the_portal_on_a_staff_403(
    client: Client, customer: User, ticket: Ticket, other_engineer: User, tier1: Any
) -> None:
    from desk.tests.test_pages import route_to

    route_to(ticket, tier1)
    client.force_login(other_engineer)

    response = client.get(reverse("desk:ticket_intake", args=[ticket.pk]))

    assert response.status_code == 403
    assert page(response).by_id("portal-link") is None
