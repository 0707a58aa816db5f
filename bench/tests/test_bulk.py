"""The bulk loader's fast path writes the timeline the services write (bench/bulk.py's docstring).

The same histories are played through the real ticket services; every event the bulk loader
writes must have the shape of an event the services wrote: kind, source and target state, the
keys and value types of its details, whether it is public, whether it has a reason, whether
its actor is staff.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from bench.bulk import bulk_create_tickets
from clocks.models import Clock, ClockState, Deadline, DeadlineState
from clocks.services import CLOCK_BREACH
from demo.cast import Cast, ensure_cast
from demo.stories_data import DEMO_TICKETS
from escalations.models import TierStint
from escalations.presets import load_presets
from escalations.services.tiers import TIER_CLOCK
from tickets.models import CancelReason, Channel, FixKind, Status, StepKind, StepState, Ticket, TimelineEvent
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
from tickets.sla import FIRST_RESPONSE, RESOLUTION

pytestmark = pytest.mark.django_db

# Every kind the bulk loader writes (and none other): its clocks' warnings, breaches and tier
# moves leave no events (bench.bulk_clocks).
BULK_KINDS = {
    "created",
    "triage",
    "start",
    "step",
    "comment",
    "await_customer",
    "customer_replied",
    "resolve",
    "reopen",
    "confirm_resolution",
    "cancel",
}


def _shape(event: TimelineEvent) -> tuple[Any, ...]:
    details = tuple(sorted((key, type(value).__name__) for key, value in event.details.items()))
    return (
        event.kind,
        event.source,
        event.target,
        details,
        event.is_public,
        bool(event.reason),
        event.actor.is_agent,
    )


class _Histories:
    """The histories the bulk planner writes, each played through the ticket services."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.carla, self.erin, self.tom = cast.users["carla"], cast.users["erin"], cast.users["tom"]
        self.spec = next(t for t in DEMO_TICKETS if t.category and t.service and t.priority)
        self.staff_intake = {"priority": self.spec.priority, "category": cast.categories[self.spec.category]}

    def open_ticket(self, channel: str) -> Ticket:
        spec, by_customer = self.spec, channel in (Channel.PORTAL, Channel.API)
        return ticket_create(
            actor=self.carla if by_customer else self.erin,
            organisation=self.cast.orgs[0],
            requester=self.carla,
            summary=spec.summary,
            channel=channel,
            description=spec.description,
            symptoms=spec.symptoms,
            replication_steps=spec.replication_steps,
            error_messages=spec.error_messages,
            recent_changes=spec.recent_changes,
            business_impact=spec.business_impact,
            workaround=spec.workaround,
            service=self.cast.services[spec.service],
            **({} if by_customer else self.staff_intake),
        )

    def started(self, channel: str) -> Ticket:
        ticket = self.open_ticket(channel)
        ticket_triage(ticket=ticket, actor=self.erin, **self.staff_intake)
        ticket_start(ticket=ticket, actor=self.erin)
        return ticket

    def resolve(self, ticket: Ticket, fix_kind: str = FixKind.PERMANENT) -> None:
        ticket_resolve(
            ticket=ticket,
            actor=self.erin,
            resolution_summary="Cache cleared.",
            root_cause="Stale cache after deployment.",
            fix_kind=fix_kind,
        )

    def open_with_work(self) -> Ticket:
        """Open: triaged, with a step (the ticket's team) and an internal note."""
        ticket = self.open_ticket(Channel.EMAIL)
        ticket_triage(ticket=ticket, actor=self.erin, **self.staff_intake)
        ticket_add_step(
            ticket=ticket,
            actor=self.erin,
            kind=StepKind.BASIC_CHECK,
            action="Checked.",
            outcome="Service up.",
            is_public=False,
            state=StepState.DONE,
        )
        ticket_comment(ticket=ticket, actor=self.erin, body="Looks like last month's.", is_internal=True)
        return ticket

    def waiting_after_a_finished_wait(self) -> Ticket:
        """In progress, after a finished wait; then waiting on the customer."""
        erin, carla = self.erin, self.carla
        ticket = self.started(Channel.API)
        ticket_add_step(
            ticket=ticket,
            actor=self.tom,
            kind=StepKind.LOG_ANALYSIS,
            action="Read the logs.",
            outcome="Errors found.",
            is_public=True,
            state=StepState.DONE,
        )
        ticket_comment(ticket=ticket, actor=erin, body="We are looking into it.")
        ticket_comment(ticket=ticket, actor=carla, body="It happened again.")
        ticket_await_customer(ticket=ticket, actor=erin, reason="Please send a screenshot.")
        ticket_comment(ticket=ticket, actor=carla, body="Here it is.")  # resumes the ticket
        ticket_await_customer(ticket=ticket, actor=erin, reason="Please confirm the usernames.")
        return ticket

    def reopened_then_closed_by_the_customer(self) -> Ticket:
        """Resolved, reopened by the customer, resolved again; closed by the customer's confirmation."""
        ticket = self.started(Channel.PORTAL)
        self.resolve(ticket)
        ticket_reopen(ticket=ticket, actor=self.carla, reason="The problem came back the next day.")
        self.resolve(ticket, FixKind.WORKAROUND)
        ticket_confirm_resolution(ticket=ticket, actor=self.carla)
        return ticket

    def closed_on_the_customers_behalf(self) -> Ticket:
        ticket = self.started(Channel.PHONE)
        self.resolve(ticket)
        ticket_confirm_resolution(
            ticket=ticket, actor=self.erin, note="Customer confirmed by phone.", channel=Channel.PHONE
        )
        return ticket

    def cancelled(self, new: Ticket) -> list[Ticket]:
        """Cancelled while new, once triaged and while in progress: withdrawn, spam or a duplicate."""
        tickets = []
        for source in ("new", "open", "in_progress"):
            for reason, note, duplicate_of in (
                (CancelReason.WITHDRAWN, "Withdrawn by the customer.", None),
                (CancelReason.SPAM, "Not a support request.", None),
                (CancelReason.DUPLICATE, "Duplicate of an existing ticket.", new),
            ):
                ticket = (
                    self.started(Channel.PHONE)
                    if source == "in_progress"
                    else self.open_ticket(Channel.EMAIL)
                )
                if source == "open":
                    ticket_triage(ticket=ticket, actor=self.erin, **self.staff_intake)
                ticket_cancel(
                    ticket=ticket, actor=self.erin, reason=reason, note=note, duplicate_of=duplicate_of
                )
                tickets.append(ticket)
        return tickets


def _through_the_services(cast: Cast) -> list[Ticket]:
    """The histories the bulk planner writes, played through the ticket services."""
    play = _Histories(cast)
    # New, opened by the customer in the portal and by an engineer on the phone.
    new = play.open_ticket(Channel.PORTAL)
    return [
        new,
        play.open_ticket(Channel.PHONE),
        play.open_with_work(),
        play.waiting_after_a_finished_wait(),
        play.reopened_then_closed_by_the_customer(),
        play.closed_on_the_customers_behalf(),
        *play.cancelled(new),
    ]


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


def _clock_states(ticket: Ticket, kinds: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(Clock.objects.filter(ticket=ticket, kind__in=kinds).values_list("kind", "state"))


def test_bulk_tickets_carry_the_time_frames_the_services_leave() -> None:
    """Each bulk ticket has the SLA and tier clocks a ticket played through the services has in
    the same state (running while worked, paused while waiting, stopped once finished), a first-
    response clock stopped exactly when a first response was given, a tier stint open while the
    ticket is, and the deadline rows of its running clocks, none of them left overdue."""
    cast = ensure_cast()
    load_presets()  # the demo's ladders, as seed_demo loads them
    by_services = _through_the_services(cast)
    kinds = (RESOLUTION, TIER_CLOCK)
    expected: dict[str, set[frozenset[tuple[str, str]]]] = {}
    for played in Ticket.objects.filter(pk__in=[t.pk for t in by_services]):
        expected.setdefault(played.status, set()).add(_clock_states(played, kinds))
    assert any(TIER_CLOCK in dict(s) for states in expected.values() for s in states), "a ladder is climbed"

    bulk_create_tickets(cast, 300, seed=5)
    bulk = list(Ticket.objects.exclude(pk__in=[t.pk for t in by_services]).exclude(status=Status.NEW))
    compared = [t for t in bulk if t.status in expected]
    assert {t.status for t in compared} >= {Status.OPEN, Status.WAITING_ON_CUSTOMER, Status.CLOSED}
    for ticket in compared:
        assert _clock_states(ticket, kinds) in expected[ticket.status], (ticket.status, ticket.pk)
    for ticket in (t for t in bulk if t.triaged_at is not None):
        first = Clock.objects.get(ticket=ticket, kind=FIRST_RESPONSE)
        assert (first.stopped_at == ticket.first_response_at) or ticket.status in (
            Status.CLOSED,
            Status.CANCELLED,
        )
        stint = TierStint.objects.get(ticket=ticket)
        assert (stint.left_at is None) == (ticket.status not in (Status.CLOSED, Status.CANCELLED))
        assert stint.clock is not None and stint.clock.kind == TIER_CLOCK

    running = Clock.objects.filter(ticket__in=bulk, state=ClockState.RUNNING)
    assert running.exists()
    for clock in running:
        rows = {d.kind: d for d in Deadline.objects.filter(content_type__model="clock", object_id=clock.pk)}
        # A run schedules a breach only when the clock has not breached before it (clocks.services).
        if clock.breached_at is not None and clock.breached_at < clock.running_since:
            assert CLOCK_BREACH not in rows
            continue
        assert rows[CLOCK_BREACH].due_at == clock.due_at
        assert (rows[CLOCK_BREACH].state == DeadlineState.FIRED) == (clock.breached_at is not None)
    assert not Deadline.objects.filter(state=DeadlineState.PENDING, due_at__lte=timezone.now()).exists()
    # Months-old tickets on office-hours targets: some time frames were breached, some met.
    assert Clock.objects.filter(ticket__in=bulk, breached_at__isnull=False).exists()
    assert Clock.objects.filter(ticket__in=bulk, state=ClockState.STOPPED, breached_at__isnull=True).exists()
