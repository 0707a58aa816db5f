"""The bulk loader's fast path writes the timeline the services write (bench/bulk.py's docstring).

The same histories are played through the real ticket services; every event the bulk loader
writes must have the shape of an event the services wrote: kind, source and target state, the
keys and value types of its details, whether it is public, whether it has a reason, whether
its actor is staff.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.bulk import bulk_create_tickets
from demo.cast import Cast, ensure_cast
from demo.stories_data import DEMO_TICKETS
from tickets.models import CancelReason, Channel, FixKind, StepKind, StepState, Ticket, TimelineEvent
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import (
    ticket_await_customer,
    ticket_cancel,
    ticket_confirm_resolution,
    ticket_reopen,
    ticket_resolve,
    ticket_start,
    ticket_triage,
)
from tickets.services.steps import ticket_add_step

pytestmark = pytest.mark.django_db

# Every kind the bulk loader writes (and none other): its tickets have no clocks and no ladder.
BULK_KINDS = {"created", "triage", "start", "step", "comment", "await_customer", "customer_replied",
              "resolve", "reopen", "confirm_resolution", "cancel"}


def _shape(event: TimelineEvent) -> tuple[Any, ...]:
    details = tuple(sorted((key, type(value).__name__) for key, value in event.details.items()))
    return (event.kind, event.source, event.target, details, event.is_public, bool(event.reason),
            event.actor.is_agent)


def _through_the_services(cast: Cast) -> list[Ticket]:
    """The histories the bulk planner writes, played through the ticket services."""
    carla, erin, tom = cast.users["carla"], cast.users["erin"], cast.users["tom"]
    spec = next(t for t in DEMO_TICKETS if t.category and t.service and t.priority)
    staff_intake = {"priority": spec.priority, "category": cast.categories[spec.category]}

    def open_ticket(channel: str) -> Ticket:
        by_customer = channel in (Channel.PORTAL, Channel.API)
        return ticket_create(
            actor=carla if by_customer else erin, organisation=cast.orgs[0], requester=carla,
            summary=spec.summary, channel=channel, description=spec.description, symptoms=spec.symptoms,
            replication_steps=spec.replication_steps, error_messages=spec.error_messages,
            recent_changes=spec.recent_changes, business_impact=spec.business_impact,
            workaround=spec.workaround, service=cast.services[spec.service],
            **({} if by_customer else staff_intake),
        )

    def started(channel: str) -> Ticket:
        ticket = open_ticket(channel)
        ticket_triage(ticket=ticket, actor=erin, **staff_intake)
        ticket_start(ticket=ticket, actor=erin)
        return ticket

    def resolve(ticket: Ticket, fix_kind: str = FixKind.PERMANENT) -> None:
        ticket_resolve(ticket=ticket, actor=erin, resolution_summary="Cache cleared.",
                                root_cause="Stale cache after deployment.", fix_kind=fix_kind)

    tickets = []
    # New, opened by the customer in the portal and by an engineer on the phone.
    new = open_ticket(Channel.PORTAL)
    tickets += [new, open_ticket(Channel.PHONE)]
    # Open: triaged, with a step (the ticket's team) and an internal note.
    ticket = open_ticket(Channel.EMAIL)
    ticket_triage(ticket=ticket, actor=erin, **staff_intake)
    ticket_add_step(ticket=ticket, actor=erin, kind=StepKind.BASIC_CHECK, action="Checked.",
                             outcome="Service up.", is_public=False, state=StepState.DONE)
    ticket_comment(ticket=ticket, actor=erin, body="Looks like last month's.", is_internal=True)
    tickets.append(ticket)
    # In progress, after a finished wait; then waiting on the customer.
    ticket = started(Channel.API)
    ticket_add_step(ticket=ticket, actor=tom, kind=StepKind.LOG_ANALYSIS, action="Read the logs.",
                             outcome="Errors found.", is_public=True, state=StepState.DONE)
    ticket_comment(ticket=ticket, actor=erin, body="We are looking into it.")
    ticket_comment(ticket=ticket, actor=carla, body="It happened again.")
    ticket_await_customer(ticket=ticket, actor=erin, reason="Please send a screenshot.")
    ticket_comment(ticket=ticket, actor=carla, body="Here it is.")  # resumes the ticket
    ticket_await_customer(ticket=ticket, actor=erin, reason="Please confirm the usernames.")
    tickets.append(ticket)
    # Resolved, reopened by the customer, resolved again; closed by the customer's confirmation.
    ticket = started(Channel.PORTAL)
    resolve(ticket)
    ticket_reopen(ticket=ticket, actor=carla, reason="The problem came back the next day.")
    resolve(ticket, FixKind.WORKAROUND)
    ticket_confirm_resolution(ticket=ticket, actor=carla)
    tickets.append(ticket)
    # Closed on the customer's behalf.
    ticket = started(Channel.PHONE)
    resolve(ticket)
    ticket_confirm_resolution(ticket=ticket, actor=erin, note="Customer confirmed by phone.",
                                       channel=Channel.PHONE)
    tickets.append(ticket)
    # Cancelled while new, once triaged and while in progress: withdrawn, spam or a duplicate.
    for source in ("new", "open", "in_progress"):
        for reason, note, duplicate_of in ((CancelReason.WITHDRAWN, "Withdrawn by the customer.", None),
                                           (CancelReason.SPAM, "Not a support request.", None),
                                           (CancelReason.DUPLICATE, "Duplicate of an existing ticket.", new)):
            ticket = started(Channel.PHONE) if source == "in_progress" else open_ticket(Channel.EMAIL)
            if source == "open":
                ticket_triage(ticket=ticket, actor=erin, **staff_intake)
            ticket_cancel(ticket=ticket, actor=erin, reason=reason, note=note,
                                   duplicate_of=duplicate_of)
            tickets.append(ticket)
    return tickets


def test_a_bulk_loaded_timeline_has_the_shape_of_the_services_timeline() -> None:
    cast = ensure_cast()
    by_services = _through_the_services(cast)
    service_shapes = {_shape(e) for e in TimelineEvent.objects.filter(ticket__in=by_services)}

    assert bulk_create_tickets(cast, 200, seed=11) == 200
    bulk = Ticket.objects.exclude(pk__in=[t.pk for t in by_services])
    bulk_events = TimelineEvent.objects.filter(ticket__in=bulk).select_related("actor")

    assert {e.kind for e in bulk_events} == BULK_KINDS
    assert {_shape(e) for e in bulk_events} - service_shapes == set()
    # Every bulk ticket opens with its 'created' event, and each step and comment has its event.
    assert not bulk.exclude(events__kind="created").exists()
    assert bulk_events.filter(kind="step").count() == sum(t.steps.count() for t in bulk)
    assert bulk_events.filter(kind="comment").count() == sum(t.comments.count() for t in bulk)
