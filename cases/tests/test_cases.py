"""Customer escalation cases (SPEC §6, seed 002): requests with their review, the lifecycle
acknowledge → active → de-escalation, and the case closing with its ticket. Every step writes
its timeline event; customer-visible steps are public."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accounts.models import User
from cases.models import (
    ActionItem,
    CaseMeeting,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    CaseUpdate,
    EscalationCase,
    MeetingKind,
)
from cases.services import core as case_core
from cases.services import de_escalation as case_de_escalation
from cases.services import participants as case_participants
from cases.services import plans as case_plans
from cases.services import requests as case_requests
from cases.services import updates as case_updates
from cases.services.core import PlanItem, Review
from clocks.models import Clock, ClockState
from escalation_desk.domain import InvalidInput, Refused
from notifications.models import Notification
from tests_support.factories import OrganisationFactory, make_agent, make_customer
from tickets.models import Ticket
from tickets.services.lifecycle import ticket_cancel, ticket_confirm_resolution, ticket_resolve, ticket_start

from .conftest import World, at, triaged

pytestmark = pytest.mark.django_db

REVIEW = Review(problem_statement_correct=True, business_impact="Salaries cannot be paid on Friday.")


def ask(
    ticket: Ticket,
    actor: User,
    level: str = "team_leader",
    reason: str = "critical_impact",
    review: Review = REVIEW,
    **kwargs: Any,
) -> EscalationCase:
    return case_requests.case_request(
        ticket=ticket, actor=actor, reason=reason, level=level, review=review, **kwargs
    )


def events(ticket: Ticket) -> list[tuple[str, bool]]:
    return [(e.kind, e.is_public) for e in case_core.case_events(ticket)]


def in_app(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind, channel="in_app").values_list("recipient__username", flat=True)
    )


def activate(case: EscalationCase, esme: User, owner: User, **overrides: Any) -> EscalationCase:
    kwargs: dict[str, Any] = {
        "action_plan": [PlanItem(owner, "Reproduce the timeout on the test system", date(2026, 11, 25))],
        "mode": "conference",
        "update_every_minutes": 120,
        "required_attendees": "Carla, Esme, Erin",
        "first_call_at": at(23, 14),
    }
    kwargs.update(overrides)
    return case_plans.case_activate(case=case, actor=esme, **kwargs)


@pytest.fixture
def esme(world: World) -> User:
    return make_agent("Escalation manager", username="esme")


# --- requests -----------------------------------------------------------------------------------


def test_bad_requests_are_refused_with_exactly_what_is_missing_and_leave_nothing(
    world: World, esme: User
) -> None:
    carla, erin = world["carla"], world["erin"]
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        with_workaround = triaged(world, workaround="Export by hand from the reports page")

        def refused(ticket: Ticket, actor: User, **kwargs: Any) -> list[str]:
            with pytest.raises(Refused) as caught:
                ask(ticket, actor, **kwargs)
            assert caught.value.message == "Escalation request refused"
            return caught.value.missing

        assert refused(ticket, carla, reason="", review=Review()) == [
            "the reason for the escalation",
            "whether the problem statement is correct",
            "the business impact",
        ]
        assert refused(ticket, carla, reason="other") == ["what the reason is (you chose “other”)"]
        assert refused(
            ticket, carla, review=Review(problem_statement_correct=False, business_impact="Big")
        ) == ["the corrected problem statement"]
        assert refused(with_workaround, carla) == ["why the workaround is impractical or inappropriate"]
        assert refused(ticket, erin) == ["how the customer asked (phone or e-mail)"]
        assert refused(ticket, erin, channel="portal") == ["how the customer asked (phone or e-mail)"]
        # Everything at once, for staff: the review first, then the channel.
        assert refused(with_workaround, erin, reason="", review=Review(problem_statement_correct=False)) == [
            "the reason for the escalation",
            "the corrected problem statement",
            "the business impact",
            "why the workaround is impractical or inappropriate",
            "how the customer asked (phone or e-mail)",
        ]
        with pytest.raises(InvalidInput) as invalid:
            ask(ticket, carla, level="ceo", reason="angry")
        assert set(invalid.value.errors) == {"level", "reason"}
        with pytest.raises(InvalidInput) as invalid:
            ask(ticket, erin, channel="pigeon")
        assert set(invalid.value.errors) == {"channel"}
    assert not EscalationCase.objects.exists()
    assert not CaseRequest.objects.exists()
    assert events(ticket) == events(with_workaround) == []
    assert not Notification.objects.filter(kind__startswith="escalations.case").exists()

    # The same answers with the missing parts filled in are accepted.
    with time_machine.travel(at(23, 9, 5), tick=False):
        case = ask(
            with_workaround,
            carla,
            review=Review(
                problem_statement_correct=False,
                corrected_problem_statement="Every export fails, not only payroll",
                business_impact="Salaries",
                workaround_impractical_because="600 employees by hand",
                critical_milestone=date(2026, 11, 27),
            ),
        )
    request = case.requests.get()
    assert (
        request.corrected_problem_statement,
        request.workaround_impractical_because,
        request.critical_milestone,
    ) == ("Every export fails, not only payroll", "600 employees by hand", date(2026, 11, 27))


def test_the_same_request_twice_is_one_case_and_one_request(world: World, esme: User) -> None:
    carla = world["carla"]
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        first = ask(ticket, carla)
        before = (events(ticket), Notification.objects.count())
        again = ask(ticket, carla)
        third = ask(ticket, carla)
    assert first.pk == again.pk == third.pk
    assert EscalationCase.objects.count() == 1
    assert CaseRequest.objects.count() == 1
    assert (events(ticket), Notification.objects.count()) == before
    assert events(ticket) == [("case_requested", True), ("case_participant", True)]
    case = EscalationCase.objects.get()
    assert (case.status, case.level, case.reason, case.requested_at) == (
        CaseStatus.REQUESTED,
        "team_leader",
        "critical_impact",
        at(23, 9),
    )
    request = case.requests.get()
    assert (request.requested_by, request.recorded_by, request.channel, request.business_impact) == (
        carla,
        carla,
        "portal",
        "Salaries cannot be paid on Friday.",
    )
    # The escalation managers hear of it once; the team leader of the ticket's team is engaged.
    assert in_app("escalations.case_requested") == ["esme"]
    assert [(p.user.username, p.role) for p in case.participants.all()] == [("tess", "team_leader")]
    assert in_app("escalations.case_engaged") == ["tess"]
    # The acknowledgement clock runs.
    clock = Clock.objects.get(kind=case_core.ACK_CLOCK, object_id=case.pk)
    assert (clock.state, clock.target_seconds) == (ClockState.RUNNING, 3600)


def test_a_second_different_request_adds_to_the_open_case_and_engages_the_manager(
    world: World, esme: User
) -> None:
    carla = world["carla"]
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(world)
        case = ask(ticket, carla, level="team_leader")
        travel.move_to(at(23, 9, 20))
        case_plans.case_acknowledge(case=case, actor=esme)
        travel.move_to(at(23, 9, 40))
        again = ask(ticket, carla, level="team_manager", reason="responsiveness")
        # A lower level later does not lower the case's level.
        travel.move_to(at(23, 9, 50))
        ask(ticket, carla, level="next_tier", reason="responsiveness")
    assert again.pk == case.pk
    case.refresh_from_db()
    assert (case.level, case.reason, case.status) == (
        "team_manager",
        "critical_impact",
        CaseStatus.ACKNOWLEDGED,
    )
    assert list(case.requests.values_list("level", "reason", "requested_at")) == [
        ("team_leader", "critical_impact", at(23, 9)),
        ("team_manager", "responsiveness", at(23, 9, 40)),
        ("next_tier", "responsiveness", at(23, 9, 50)),
    ]
    assert [(p.user.username, p.role) for p in case.participants.all()] == [
        ("tess", "team_leader"),
        ("esme", "escalation_manager"),
        ("manny", "team_manager"),
    ]
    assert [(e.kind, e.target, e.is_public, e.at) for e in case_core.case_events(ticket)] == [
        ("case_requested", "requested", True, at(23, 9)),
        ("case_participant", "team_leader", True, at(23, 9)),
        ("case_participant", "escalation_manager", True, at(23, 9, 20)),
        ("case_acknowledged", "acknowledged", True, at(23, 9, 20)),
        ("case_request_added", "acknowledged", True, at(23, 9, 40)),
        ("case_participant", "team_manager", True, at(23, 9, 40)),
        ("case_request_added", "acknowledged", True, at(23, 9, 50)),
    ]
    added = ticket.events.filter(kind="case_request_added").first()
    assert added.reason == "Dissatisfied with responsiveness: The team manager requested"
    assert added.details["level"] == "team_manager"
    # Esme engaged herself by acknowledging: nobody is notified of their own action.
    assert in_app("escalations.case_engaged") == ["manny", "tess"]
    # Every request reached the escalation managers; only one acknowledgement clock was started.
    assert (
        Notification.objects.filter(
            kind="escalations.case_requested", channel="in_app", recipient=esme
        ).count()
        == 3
    )
    assert Clock.objects.filter(kind=case_core.ACK_CLOCK).count() == 1


def test_who_may_request(world: World, esme: User) -> None:
    carla, erin = world["carla"], world["erin"]
    stranger = make_customer(OrganisationFactory(name="Globex"), username="gary")
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        with pytest.raises(PermissionDenied):
            ask(ticket, stranger)
        assert not EscalationCase.objects.exists()
        # A customer cannot claim to have phoned: their own channel is recorded.
        case = ask(ticket, carla, channel="phone")
        assert case.requests.get().channel == "portal"
        api = ask(ticket, carla, level="team_manager", channel="api")
        assert api.requests.last().channel == "api"
        # Staff record a request made by phone: on the customer's behalf.
        ask(ticket, erin, level="leadership", channel="phone")
    recorded = case.requests.last()
    assert (recorded.requested_by, recorded.recorded_by, recorded.channel) == (carla, erin, "phone")
    assert ticket.events.filter(kind="case_request_added").last().details["on_behalf_of"] == carla.pk


def test_a_closed_or_cancelled_ticket_cannot_be_escalated(world: World, esme: User) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        ticket = triaged(world)
        ticket_cancel(ticket=ticket, actor=world["erin"], reason="withdrawn", note="Not needed")
        with pytest.raises(Refused) as refused:
            ask(ticket, world["carla"])
    assert refused.value.missing == [
        "a request that is still open or just resolved (this one is cancelled); open a new request instead"
    ]
    assert not EscalationCase.objects.exists()


# --- the lifecycle ------------------------------------------------------------------------------


def test_the_lifecycle_acknowledge_activate_update_and_de_escalate_with_the_customer(
    world: World, esme: User
) -> None:
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(world)
        case = ask(ticket, world["carla"])
        only_an_escalation_manager_acknowledges_once(world, esme, case, travel)
        activation_needs_both_plans(world, esme, case, travel)
        updates_restart_the_clock_and_owners_complete_steps(world, esme, case, travel)
        de_escalation_needs_both_confirmations_then_the_customer(world, esme, case, travel)
    the_case_is_de_escalated_with_every_step_on_the_timeline(world, case, ticket)
    each_hears_of_the_steps_meant_for_them(world, esme, case)


def only_an_escalation_manager_acknowledges_once(
    world: World, esme: User, case: EscalationCase, travel: Any
) -> None:
    """Only an escalation manager acknowledges, once; before that, activating and updating are refused."""
    carla, erin = world["carla"], world["erin"]
    with pytest.raises(PermissionDenied):
        case_plans.case_acknowledge(case=case, actor=erin)
    with pytest.raises(PermissionDenied):
        case_plans.case_acknowledge(case=case, actor=carla)
    # Not active yet: activating, updating and proposing are refused.
    with pytest.raises(Refused) as refused:
        activate(case, esme, erin)
    assert refused.value.missing == ["an acknowledged case (this one is requested)"]
    travel.move_to(at(23, 9, 30))
    case_plans.case_acknowledge(case=case, actor=esme)
    with pytest.raises(Refused) as refused:
        case_plans.case_acknowledge(case=case, actor=make_agent("Escalation manager", username="emil"))
    assert refused.value.missing == [
        f"a case waiting to be acknowledged (this one is acknowledged, by {esme})"
    ]
    case.refresh_from_db()
    assert (case.status, case.escalation_manager, case.acknowledged_at) == (
        CaseStatus.ACKNOWLEDGED,
        esme,
        at(23, 9, 30),
    )
    assert Clock.objects.get(kind=case_core.ACK_CLOCK, object_id=case.pk).state == ClockState.STOPPED
    with pytest.raises(Refused) as refused:
        case_updates.case_log_update(case=case, actor=esme, mode="phone", summary="Working on it")
    assert refused.value.missing == ["an active escalation (this one is acknowledged)"]


def activation_needs_both_plans(world: World, esme: User, case: EscalationCase, travel: Any) -> None:
    """Activation needs the action plan and the whole communication plan; it starts the update clock."""
    erin = world["erin"]
    with pytest.raises(Refused) as refused:
        case_plans.case_activate(
            case=case,
            actor=esme,
            action_plan=[PlanItem(erin, "  ", date(2026, 11, 25))],
            mode="",
            update_every_minutes=None,
            required_attendees=" ",
            first_call_at=None,
        )
    assert refused.value.missing == [
        "an action plan: at least one step with its owner and target date",
        "how updates are given (e-mail, phone, conference call)",
        "how often updates are given",
        "the required attendees of the updates",
        "when the first conference call takes place",
    ]
    with pytest.raises(Refused) as refused:
        activate(case, esme, erin, update_every_minutes=0)
    assert refused.value.missing == ["how often updates are given"]
    with pytest.raises(InvalidInput):
        activate(case, esme, erin, mode="smoke signals")
    with pytest.raises(PermissionDenied):
        activate(case, erin, erin)
    assert not ActionItem.objects.exists()
    travel.move_to(at(23, 10))
    activate(
        case,
        esme,
        erin,
        action_plan=[
            PlanItem(erin, "Reproduce the timeout on the test system", date(2026, 11, 25)),
            PlanItem(world["tom"], "Raise the export timeout", date(2026, 11, 26)),
        ],
    )
    case.refresh_from_db()
    assert (
        case.status,
        case.communication_mode,
        case.update_every_minutes,
        case.required_attendees,
        case.activated_at,
    ) == (CaseStatus.ACTIVE, "conference", 120, "Carla, Esme, Erin", at(23, 10))
    assert list(case.action_items.values_list("owner__username", "step", "target_date")) == [
        ("erin", "Reproduce the timeout on the test system", date(2026, 11, 25)),
        ("tom", "Raise the export timeout", date(2026, 11, 26)),
    ]
    call = CaseMeeting.objects.get(case=case)
    assert (call.kind, call.scheduled_for, call.attendees) == (
        MeetingKind.CONFERENCE_CALL,
        at(23, 14),
        "Carla, Esme, Erin",
    )
    update_clock = Clock.objects.get(kind=case_core.UPDATE_CLOCK, object_id=case.pk)
    assert (update_clock.state, update_clock.target_seconds, update_clock.due_at) == (
        ClockState.RUNNING,
        7200,
        at(23, 12),
    )


def updates_restart_the_clock_and_owners_complete_steps(
    world: World, esme: User, case: EscalationCase, travel: Any
) -> None:
    """Updates need the summary and each one restarts the update clock; a step's owner marks it done."""
    erin = world["erin"]
    with pytest.raises(Refused) as refused:
        case_updates.case_log_update(case=case, actor=esme, mode="phone", summary=" ")
    assert refused.value.missing == ["what the customer was told"]
    with pytest.raises(PermissionDenied):
        case_updates.case_log_update(case=case, actor=erin, mode="phone", summary="Working on it")
    travel.move_to(at(23, 11))
    update = case_updates.case_log_update(
        case=case, actor=esme, mode="phone", summary="Reproduced on test", attendees="Carla"
    )
    assert (update.was_late, update.given_at, update.logged_by) == (False, at(23, 11), esme)
    assert Clock.objects.get(
        kind=case_core.UPDATE_CLOCK, object_id=case.pk, state=ClockState.RUNNING
    ).due_at == at(23, 13)
    # The step owner marks their action done.
    item = case.action_items.get(owner=erin)
    with pytest.raises(PermissionDenied):
        case_updates.case_complete_action(item=item, actor=world["tom"])
    case_updates.case_complete_action(item=item, actor=erin)
    item.refresh_from_db()
    assert item.done_at == at(23, 11)


def de_escalation_needs_both_confirmations_then_the_customer(
    world: World, esme: User, case: EscalationCase, travel: Any
) -> None:
    """De-escalation needs both confirmations, then the customer's answer (keeping it needs a reason)."""
    carla, erin = world["carla"], world["erin"]
    with pytest.raises(Refused) as refused:
        case_de_escalation.case_propose_de_escalation(
            case=case, actor=esme, action_plan_accepted=False, rca_on_track=False
        )
    assert refused.value.missing == [
        "confirmation that the action plan is acceptable",
        "confirmation that troubleshooting or root cause analysis is on track",
    ]
    with pytest.raises(Refused) as refused:
        case_de_escalation.case_propose_de_escalation(
            case=case, actor=esme, action_plan_accepted=True, rca_on_track=False
        )
    assert refused.value.missing == ["confirmation that troubleshooting or root cause analysis is on track"]
    with pytest.raises(PermissionDenied):
        case_de_escalation.case_propose_de_escalation(
            case=case, actor=erin, action_plan_accepted=True, rca_on_track=True
        )
    with pytest.raises(Refused) as refused:
        case_de_escalation.case_answer_de_escalation(case=case, actor=carla, agree=True)
    assert refused.value.missing == ["a proposal to de-escalate"]
    travel.move_to(at(23, 12))
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=esme, action_plan_accepted=True, rca_on_track=True, note="The fix is on test."
    )
    case.refresh_from_db()
    assert (case.status, case.proposed_at, case.action_plan_accepted, case.rca_on_track) == (
        CaseStatus.DE_ESCALATION_PROPOSED,
        at(23, 12),
        True,
        True,
    )
    # The customer keeps it escalated only with a reason.
    with pytest.raises(Refused) as refused:
        case_de_escalation.case_answer_de_escalation(case=case, actor=carla, agree=False, comment=" ")
    assert refused.value.missing == ["why the request is not back on track"]
    with pytest.raises(PermissionDenied):
        case_de_escalation.case_answer_de_escalation(case=case, actor=erin, agree=True, channel="phone")
    travel.move_to(at(23, 12, 30))
    case_de_escalation.case_answer_de_escalation(
        case=case, actor=carla, agree=False, comment="Not fixed in production yet"
    )
    case.refresh_from_db()
    assert (case.status, case.proposed_at) == (CaseStatus.ACTIVE, None)
    travel.move_to(at(23, 13))
    case_de_escalation.case_propose_de_escalation(
        case=case, actor=esme, action_plan_accepted=True, rca_on_track=True
    )
    travel.move_to(at(23, 13, 30))
    case_de_escalation.case_answer_de_escalation(case=case, actor=carla, agree=True, channel="phone")
    # A second click changes nothing.
    case_de_escalation.case_answer_de_escalation(case=case, actor=carla, agree=True)


def the_case_is_de_escalated_with_every_step_on_the_timeline(
    world: World, case: EscalationCase, ticket: Ticket
) -> None:
    """The case ended de-escalated, its clocks stopped, every step on the timeline."""
    carla = world["carla"]
    case.refresh_from_db()
    assert (case.status, case.agreed_at, case.agreed_by, case.agreement_channel) == (
        CaseStatus.DE_ESCALATED,
        at(23, 13, 30),
        carla,
        "portal",
    )
    assert (
        not Clock.objects.filter(object_id=case.pk, kind__in=[case_core.ACK_CLOCK, case_core.UPDATE_CLOCK])
        .exclude(state=ClockState.STOPPED)
        .exists()
    )
    assert [(e.kind, e.is_public, e.at) for e in case_core.case_events(ticket)] == [
        ("case_requested", True, at(23, 9)),
        ("case_participant", True, at(23, 9)),
        ("case_participant", True, at(23, 9, 30)),
        ("case_acknowledged", True, at(23, 9, 30)),
        ("case_active", True, at(23, 10)),
        ("case_update", True, at(23, 11)),
        ("case_action_done", True, at(23, 11)),
        ("case_de_escalation_proposed", True, at(23, 12)),
        ("case_kept_escalated", True, at(23, 12, 30)),
        ("case_de_escalation_proposed", True, at(23, 13)),
        ("case_de_escalated", True, at(23, 13, 30)),
    ]
    kept = ticket.events.get(kind="case_kept_escalated")
    assert (kept.actor, kept.reason, kept.source, kept.target, kept.details["channel"]) == (
        carla,
        "Not fixed in production yet",
        "de_escalation_proposed",
        "active",
        "portal",
    )
    active = ticket.events.get(kind="case_active")
    assert active.reason == (
        "Action plan of 2 step(s); updates by conference call every 2 business hours; "
        "first call Mon 23 Nov 14:00."
    )


def each_hears_of_the_steps_meant_for_them(world: World, esme: User, case: EscalationCase) -> None:
    """The customer hears of the acknowledgement, plan and proposals, in their own kinds (not of the
    update given by phone, which was given in person, nor of their own answers); staff hear of
    each step, never of their own."""
    carla = world["carla"]
    told = list(
        Notification.objects.filter(channel="in_app", recipient=carla)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert told == [
        "escalations.customer_acknowledged",
        "escalations.customer_plan_agreed",
        "escalations.customer_de_escalation_proposed",
        "escalations.customer_de_escalation_proposed",
    ]
    # Staff hear of each step, never of their own: Esme took every step, Tess (engaged) hears of them.
    assert list(
        Notification.objects.filter(
            channel="in_app", recipient=world["tess"], kind__startswith="escalations.case"
        )
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == [
        "escalations.case_engaged",
        "escalations.case_acknowledged",
        "escalations.case_plan_agreed",
        "escalations.case_update",
        "escalations.case_de_escalation_proposed",
        "escalations.case_answered",
        "escalations.case_de_escalation_proposed",
        "escalations.case_answered",
    ]
    assert (
        not Notification.objects.filter(recipient=esme)
        .exclude(kind__in=["escalations.case_requested", "escalations.case_answered"])
        .exists()
    )
    assert CaseUpdate.objects.filter(case=case).count() == 1


def test_staff_record_the_customers_answer_with_its_channel(world: World, esme: User) -> None:
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(world)
        case = ask(ticket, world["carla"])
        case_plans.case_acknowledge(case=case, actor=esme)
        activate(case, esme, world["erin"])
        case_de_escalation.case_propose_de_escalation(
            case=case, actor=esme, action_plan_accepted=True, rca_on_track=True
        )
        with pytest.raises(Refused) as refused:
            case_de_escalation.case_answer_de_escalation(case=case, actor=esme, agree=True)
        assert refused.value.missing == ["how the customer answered (phone or e-mail)"]
        with pytest.raises(Refused):
            case_de_escalation.case_answer_de_escalation(case=case, actor=esme, agree=True, channel="portal")
        travel.move_to(at(23, 10))
        case_de_escalation.case_answer_de_escalation(
            case=case, actor=esme, agree=True, channel="email", comment="Carla agreed by e-mail"
        )
    case.refresh_from_db()
    assert (case.status, case.agreement_channel, case.agreed_by, case.agreement_comment) == (
        CaseStatus.DE_ESCALATED,
        "email",
        esme,
        "Carla agreed by e-mail",
    )
    event = ticket.events.get(kind="case_de_escalated")
    assert (event.actor, event.details["channel"], event.details["by_customer"], event.is_public) == (
        esme,
        "email",
        False,
        True,
    )
    # The customer is told what staff recorded for them.
    told = Notification.objects.get(
        kind="escalations.customer_answer_recorded", recipient=world["carla"], channel="in_app"
    )
    assert (told.context["agreed"], told.context["channel"], told.context["recorded_by"]) == (
        True,
        "email",
        str(esme),
    )
    assert not Notification.objects.filter(kind="escalations.case_answered", recipient=esme).exists()


def test_cancelling_the_ticket_closes_the_case_and_stops_its_clocks(world: World, esme: User) -> None:
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(world)
        requested = ask(ticket, world["carla"])
        other = triaged(world)
        active = ask(other, world["carla"])
        case_plans.case_acknowledge(case=active, actor=esme)
        activate(active, esme, world["erin"])
        travel.move_to(at(23, 9, 15))
        ticket_cancel(ticket=ticket, actor=world["erin"], reason="withdrawn", note="Solved")
        ticket_cancel(ticket=other, actor=world["erin"], reason="duplicate", note="Same", duplicate_of=ticket)
    for case, source in ((requested, "requested"), (active, "active")):
        case.refresh_from_db()
        assert (case.status, case.closed_at, case_core.open_case(case.ticket)) == (
            CaseStatus.CLOSED,
            at(23, 9, 15),
            None,
        )
        assert set(
            Clock.objects.filter(object_id=case.pk, kind__startswith="escalations.case").values_list(
                "state", flat=True
            )
        ) == {ClockState.STOPPED}
        closed = case.ticket.events.get(kind="case_closed")
        assert (closed.source, closed.target, closed.is_public, closed.at) == (
            source,
            "closed",
            True,
            at(23, 9, 15),
        )
        assert case_core.case_events(case.ticket)[-1].kind == "case_closed"
    # Nothing can be done on a closed case.
    with pytest.raises(Refused):
        case_updates.case_log_update(case=active, actor=esme, mode="phone", summary="Too late")
    with pytest.raises(Refused):
        case_participants.case_engage(case=active, actor=esme, user=world["kenji"], role="sme")
    assert not CaseParticipant.objects.filter(user=world["kenji"]).exists()


def test_a_disappointing_resolution_may_be_escalated_and_confirming_it_closes_the_case(
    world: World, esme: User
) -> None:
    carla, erin = world["carla"], world["erin"]
    with time_machine.travel(at(23, 9), tick=False) as travel:
        ticket = triaged(world)
        ticket_start(ticket=ticket, actor=erin)
        ticket_resolve(
            ticket=ticket,
            actor=erin,
            resolution_summary="Restarted the job",
            root_cause="Unknown",
            fix_kind="workaround",
            knowledge_none_reason="One-off",
        )
        case = ask(ticket, carla, reason="resolution", level="team_leader")
        case_plans.case_acknowledge(case=case, actor=esme)
        travel.move_to(at(23, 10))
        ticket_confirm_resolution(ticket=ticket, actor=carla, note="Fine after all")
    case.refresh_from_db()
    assert (case.status, case.closed_at) == (CaseStatus.CLOSED, at(23, 10))
    assert [kind for kind, _ in events(ticket)] == [
        "case_requested",
        "case_participant",
        "case_participant",
        "case_acknowledged",
        "case_closed",
    ]
