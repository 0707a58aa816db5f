"""The ticket timeline is an append-only audit trail (SPEC §10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import Client

from accounts.models import User
from tickets.models import Ticket, TimelineEvent
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_create
from tickets.tests.test_lifecycle import drive_to


@pytest.fixture
def event(ticket: Ticket, engineer: User) -> TimelineEvent:
    drive_to(ticket, "open", engineer)
    return TimelineEvent.objects.get(ticket=ticket, kind="triage")


def snapshot(event: TimelineEvent) -> tuple[object, ...]:
    row = TimelineEvent.objects.get(pk=event.pk)
    return (row.kind, row.actor_id, row.source, row.target, row.reason, row.details, row.at)


def test_it_records_who_opened_the_ticket_and_how(org: object, customer: User, engineer: User) -> None:
    ticket = ticket_create(
        actor=engineer,
        organisation=customer.organisation,
        requester=customer,
        summary="VPN drops every hour",
        channel="phone",
    )
    event = TimelineEvent.objects.get(ticket=ticket)
    assert (event.kind, event.actor, event.target) == ("created", engineer, "new")
    assert event.details == {"channel": "phone", "on_behalf_of": customer.pk}


def test_it_refuses_to_change_a_saved_event(event: TimelineEvent) -> None:
    before = snapshot(event)
    event.reason = "rewritten history"
    with pytest.raises(ValidationError), transaction.atomic():
        event.save()
    reloaded = TimelineEvent.objects.get(pk=event.pk)
    reloaded.kind = "resolve"
    with pytest.raises(ValidationError), transaction.atomic():
        reloaded.save(update_fields=["kind"])
    assert snapshot(event) == before


def test_it_refuses_to_overwrite_an_event_with_a_new_one_of_the_same_id(
    event: TimelineEvent, ticket: Ticket
) -> None:
    before = snapshot(event)
    forged = TimelineEvent(pk=event.pk, ticket=ticket, kind="resolve", reason="rewritten history")
    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert snapshot(event) == before


def test_it_refuses_to_delete_an_event(event: TimelineEvent) -> None:
    with pytest.raises(ValidationError), transaction.atomic():
        event.delete()
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_bulk_updates_of_events(event: TimelineEvent, ticket: Ticket) -> None:
    before = snapshot(event)
    with pytest.raises(ValidationError), transaction.atomic():
        TimelineEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ValidationError), transaction.atomic():
        ticket.events.update(reason="rewritten")
    event.reason = "rewritten"
    with pytest.raises(ValidationError), transaction.atomic():
        TimelineEvent.objects.bulk_update([event], ["reason"])
    assert snapshot(event) == before


def test_it_refuses_bulk_deletes_of_events(event: TimelineEvent, ticket: Ticket) -> None:
    with pytest.raises(ValidationError), transaction.atomic():
        TimelineEvent.objects.all().delete()
    with pytest.raises(ValidationError), transaction.atomic():
        ticket.events.all().delete()
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


def test_it_keeps_the_events_when_someone_tries_to_delete_the_ticket(
    event: TimelineEvent, ticket: Ticket
) -> None:
    with pytest.raises(ProtectedError), transaction.atomic():
        ticket.delete()
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


def test_it_still_appends_new_events(event: TimelineEvent, ticket: Ticket, engineer: User) -> None:
    ticket_comment(ticket=ticket, actor=engineer, body="Checked the job log.")
    assert list(ticket.events.values_list("kind", flat=True)) == ["triage", "comment"]


# --- Django admin shows the timeline and nothing more ---------------------------------------

ADMIN = "/admin/tickets/timelineevent/"


@pytest.fixture
def admin_browser(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def test_it_registers_the_timeline_in_the_admin() -> None:
    assert TimelineEvent in site._registry


def test_it_lists_events_in_the_admin_without_add_or_delete(
    admin_browser: Client, event: TimelineEvent
) -> None:
    response = admin_browser.get(ADMIN)
    assert response.status_code == 200
    assert event in response.context["cl"].result_list
    assert b"delete_selected" not in response.content
    assert f'href="{ADMIN}add/"'.encode() not in response.content


def test_it_shows_an_event_read_only_to_a_superuser(admin_browser: Client, event: TimelineEvent) -> None:
    response = admin_browser.get(f"{ADMIN}{event.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert b'name="_continue"' not in response.content
    assert response.context["has_change_permission"] is False


def test_it_refuses_changing_an_event_through_the_admin(admin_browser: Client, event: TimelineEvent) -> None:
    before = snapshot(event)
    response = admin_browser.post(
        f"{ADMIN}{event.pk}/change/",
        {
            "kind": "resolve",
            "source": "in_progress",
            "target": "resolved",
            "reason": "forged",
            "details": "{}",
            "at_0": f"{event.at - timedelta(days=400):%Y-%m-%d}",
            "at_1": "00:00:00",
            "ticket": event.ticket_id,
        },
    )
    assert response.status_code == 403
    assert snapshot(event) == before


def test_it_refuses_deleting_an_event_through_the_admin(admin_browser: Client, event: TimelineEvent) -> None:
    assert admin_browser.get(f"{ADMIN}{event.pk}/delete/").status_code == 403
    assert admin_browser.post(f"{ADMIN}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_the_bulk_delete_action_on_events(admin_browser: Client, event: TimelineEvent) -> None:
    admin_browser.post(ADMIN, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_adding_an_event_through_the_admin(admin_browser: Client, event: TimelineEvent) -> None:
    count = TimelineEvent.objects.count()
    assert admin_browser.get(f"{ADMIN}add/").status_code == 403
    response = admin_browser.post(
        f"{ADMIN}add/", {"kind": "forged", "ticket": event.ticket_id, "details": "{}"}
    )
    assert response.status_code == 403
    assert TimelineEvent.objects.count() == count


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_offers_no_way_to_change_or_delete_history_through_the_api(
    ticket: Ticket, admin_user: User, method: str
) -> None:
    from rest_framework.test import APIClient

    ticket_comment(ticket=ticket, actor=admin_user, body="Called the customer.")
    client = APIClient()
    client.force_authenticate(admin_user)
    events = list(TimelineEvent.objects.filter(ticket=ticket).values_list("pk", "kind", "reason"))

    for url in (f"/api/tickets/{ticket.pk}/", f"/api/tickets/{ticket.pk}/comments/"):
        response = getattr(client, method)(url, {"kind": "forged", "reason": "x"}, format="json")
        assert response.status_code == 405, url

    assert list(TimelineEvent.objects.filter(ticket=ticket).values_list("pk", "kind", "reason")) == events
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert not [path for path in paths if "event" in path or "timeline" in path]
