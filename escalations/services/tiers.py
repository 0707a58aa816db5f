"""The ticket's stints on its ladder: placed in the first tier at triage, moved from tier
to tier by a completed hand-off, each stint timed by its tier's time frame (SPEC §3, §4).
A hand-off changes state through escalation_desk.state.change_state, locked by `lock_handoff`."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team, User
from clocks.batch import prefetched
from clocks.models import ClockState
from clocks.services import clock_retarget, clock_start, clock_stop
from escalation_desk.domain import Refused
from escalation_desk.state import change_state
from tickets import sla
from tickets.models import Status, Ticket
from tickets.notices import tell_staff
from tickets.services.lifecycle import ticket_hand_over

from ..batch_reads import TIME_FRAMES
from ..models import Direction, Handoff, Tier, TierKind, TierStint, TierTimeFrame
from ..selectors import current_stint, path_for

TIER_CLOCK = "escalations.tier"

WORKABLE = (Status.OPEN, Status.IN_PROGRESS)


def _time_frame(tier: Tier, priority: str) -> TierTimeFrame | None:
    frames = prefetched(TIME_FRAMES, tier.pk)  # a sweep's batch read its ladder's (batch_reads)
    if frames is not None:
        return frames.get(priority)
    return TierTimeFrame.objects.filter(tier=tier, priority=priority).first()


def _start_stint(ticket: Ticket, tier: Tier, handoff: Handoff | None) -> TierStint:
    stint = TierStint.objects.create(ticket=ticket, tier=tier, handoff=handoff)
    frame = _time_frame(tier, ticket.priority)
    if frame is not None:
        stint.clock = clock_start(
            subject=ticket,
            kind=TIER_CLOCK,
            calendar=sla.calendar_for(ticket),
            target_seconds=frame.minutes * 60,
            warning_ratio=frame.warning_percent / 100,
        )
        stint.save(update_fields=["clock"])
    return stint


def _end_stint(stint: TierStint) -> None:
    stint.left_at = timezone.now()
    stint.save(update_fields=["left_at"])
    if stint.clock_id is not None:
        clock_stop(clock=stint.clock)
    # A pending automatic escalation of this stint is left to find it gone (it checks left_at):
    # cancelling it here would cancel the very row the sweep fires when it is the one moving us.


def place_in_first_tier(ticket: Ticket, actor: User | None) -> TierStint | None:
    """At triage: the ticket enters the first tier of its service's ladder (none: no ladder)."""
    if TierStint.objects.filter(ticket=ticket, left_at__isnull=True).exists():
        return None
    path = path_for(ticket)
    first = path.tiers.select_related("team").order_by("level").first() if path else None
    if first is None:
        return None
    ticket_hand_over(
        ticket=ticket,
        team=first.team,
        actor=actor,
        kind="tier_entered",
        target=first.name,
        assignee=ticket.assignee
        if ticket.assignee_id and ticket.assignee.pk in _member_ids(first.team)
        else None,
        reason=gettext("Placed in %(tier)s, the first tier of the %(ladder)s ladder.")
        % {"tier": first.name, "ladder": path.name},
        details={"tier": first.pk, "tier_name": first.name, "path": path.name},
    )  # ticket_hand_over refreshes ticket
    return _start_stint(ticket, first, None)


def _member_ids(team: Team) -> set[int]:
    return set(team.members.values_list("pk", flat=True)) | set(team.leaders.values_list("pk", flat=True))


def retarget_tier_clock(ticket: Ticket) -> None:
    """After a priority change the current tier's time frame follows the new priority."""
    stint = current_stint(ticket)
    if stint is None or stint.clock_id is None or stint.clock.state == ClockState.STOPPED:
        return
    frame = _time_frame(stint.tier, ticket.priority)
    if frame is not None and frame.minutes * 60 != stint.clock.target_seconds:
        clock_retarget(clock=stint.clock, target_seconds=frame.minutes * 60)


def tier_name(tier: Tier) -> str:
    return tier.name[:40]


def check_workable(ticket: Ticket, what: str) -> None:
    if ticket.status not in WORKABLE:
        raise Refused(
            gettext("%(change)s refused") % {"change": what},
            [
                gettext("a ticket that is open or in progress (this one is %(status)s)")
                % {"status": ticket.get_status_display().lower()}
            ],
        )


def lock_handoff(handoff: Handoff) -> Handoff:
    """Lock the hand-off's row and go on with the caller's instance (the caller sees the change).
    A hand-off changes under its ticket's lock, which the caller holds: the instance is current."""
    list(Handoff.objects.select_for_update().filter(pk=handoff.pk).values_list("pk", flat=True))
    return handoff


def complete_handoff(handoff: Handoff, ticket: Ticket, actor: User | None) -> None:
    """The ticket changes tier and team; the old time frame stops and the new one starts.
    The receiving team hears of it, and so does the engineer whose queue it left."""
    stint = current_stint(ticket)
    previous_assignee = ticket.assignee if ticket.assignee_id else None

    def then(handoff: Handoff) -> None:
        _move_ticket(handoff, ticket, actor, stint)
        _tell_left_queue(handoff, ticket, previous_assignee, actor)

    change_state(
        handoff,
        "complete",
        actor=actor,
        lock=lock_handoff,
        label=gettext("Completing the hand-off"),
        then=then,
    )


def _move_ticket(handoff: Handoff, ticket: Ticket, actor: User | None, stint: TierStint | None) -> None:
    """The completed hand-off's ticket changes team and stint; the receiving team hears of it."""
    escalated = handoff.direction == Direction.ESCALATE
    kind = "escalated" if escalated else "returned"
    ticket_hand_over(
        ticket=ticket,
        team=handoff.to_tier.team,
        actor=actor,
        kind=kind,
        source=tier_name(handoff.from_tier),
        target=tier_name(handoff.to_tier),
        reason=_move_reason(handoff),
        details={
            "handoff": handoff.pk,
            "from_tier": handoff.from_tier_id,
            "to_tier": handoff.to_tier_id,
            "automatic": handoff.automatic,
        },
    )
    if stint is not None:
        _end_stint(stint)
    _start_stint(ticket, handoff.to_tier, handoff)
    receiving = handoff.to_tier.team
    leaders = list(receiving.leaders.all())
    # Nobody chose an automatic hand-off: the leaders, who dispatch what arrives unassigned, hear
    # of it and the members see it in their queue (SPEC §4); a person's hand-off tells the team.
    recipients = leaders if handoff.automatic and leaders else leaders + list(receiving.members.all())
    if handoff.to_tier.kind == TierKind.DECISION:
        recipients += list(User.objects.filter(groups__name="IT manager", is_active=True))
    tell_staff(
        ticket=ticket,
        recipients=recipients,
        actor=actor,
        kind="escalations.handoff_received",
        context={
            "tier": handoff.to_tier.name,
            "from_tier": handoff.from_tier.name,
            "verb": gettext("Escalated") if escalated else gettext("Returned"),
            "automatic": handoff.automatic,
            "findings": handoff.findings,
            "criterion": handoff.criterion_text,
            "message": _received_message(handoff, ticket, actor),
        },
        dedup_key=f"handoff:{handoff.pk}:completed",
    )


def _move_reason(handoff: Handoff) -> str:
    """The timeline's words for a completed hand-off: "Escalated from Tier 1 to Tier 2 (potential
    bug) automatically: the time frame passed.", "Returned from Tier 2 to Tier 1."."""
    tiers = {"from_tier": handoff.from_tier.name, "to_tier": handoff.to_tier.name}
    if handoff.direction == Direction.ESCALATE:
        move = gettext("Escalated from %(from_tier)s to %(to_tier)s") % tiers
    else:
        move = gettext("Returned from %(from_tier)s to %(to_tier)s") % tiers
    if handoff.criterion_text:
        move = gettext("%(move)s (%(criterion)s)") % {"move": move, "criterion": handoff.criterion_text}
    if handoff.automatic:
        return gettext("%(move)s automatically: the time frame passed.") % {"move": move}
    return gettext("%(move)s.") % {"move": move}


def _received_message(handoff: Handoff, ticket: Ticket, actor: User | None) -> str:
    """The receiving team's notice: what reached their tier, from where, and how."""
    words = {
        "reference": ticket.reference,
        "summary": ticket.summary,
        "tier": handoff.to_tier.name,
        "from_tier": handoff.from_tier.name,
        "actor": actor,
    }
    escalated = handoff.direction == Direction.ESCALATE
    if handoff.automatic:
        message = (
            gettext(
                "%(reference)s %(summary)s was escalated to %(tier)s from %(from_tier)s automatically "
                "(the time frame passed)."
            )
            if escalated
            else gettext(
                "%(reference)s %(summary)s was returned to %(tier)s from %(from_tier)s automatically "
                "(the time frame passed)."
            )
        )
    elif actor:
        message = (
            gettext("%(reference)s %(summary)s was escalated to %(tier)s from %(from_tier)s by %(actor)s.")
            if escalated
            else gettext(
                "%(reference)s %(summary)s was returned to %(tier)s from %(from_tier)s by %(actor)s."
            )
        )
    else:
        message = (
            gettext("%(reference)s %(summary)s was escalated to %(tier)s from %(from_tier)s.")
            if escalated
            else gettext("%(reference)s %(summary)s was returned to %(tier)s from %(from_tier)s.")
        )
    return message % words


def _tell_left_queue(handoff: Handoff, ticket: Ticket, previous: User | None, actor: User | None) -> None:
    """The engineer whose queue the ticket left hears where it went, unless they moved it
    themselves or asked for it (they hear of the decision on their request)."""
    if previous is None or ticket.assignee_id == previous.pk:
        return
    if handoff.requested_by_id == previous.pk:
        return
    team = handoff.to_tier.team
    tell_staff(
        ticket=ticket,
        recipients=[previous],
        actor=actor,
        kind="ticket.left_queue",
        context={
            "team_name": team.name,
            "tier": handoff.to_tier.name,
            "from_tier": handoff.from_tier.name,
            "automatic": handoff.automatic,
            "message": _left_queue_message(handoff, ticket, actor),
        },
        dedup_key=f"handoff:{handoff.pk}:left:{previous.pk}",
    )


def _left_queue_message(handoff: Handoff, ticket: Ticket, actor: User | None) -> str:
    """Where the ticket went from the engineer's queue, and how."""
    words = {
        "reference": ticket.reference,
        "summary": ticket.summary,
        "team": handoff.to_tier.team.name,
        "tier": handoff.to_tier.name,
        "from_tier": handoff.from_tier.name,
        "actor": actor,
    }
    if handoff.automatic:
        message = gettext(
            "%(reference)s %(summary)s moved from you to %(team)s (%(tier)s) automatically: the "
            "%(from_tier)s time frame passed. It is no longer in your queue."
        )
    elif actor:
        message = gettext(
            "%(reference)s %(summary)s moved from you to %(team)s (%(tier)s) by %(actor)s. It is no longer "
            "in your queue."
        )
    else:
        message = gettext(
            "%(reference)s %(summary)s moved from you to %(team)s (%(tier)s) . It is no longer in your queue."
        )
    return message % words
