"""Consults: another internal team asked for input without the ticket changing tier,
its reply timed (SPEC §3). A consult is answered or withdrawn through
escalation_desk.state.change_state."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team, User
from clocks.models import Clock
from clocks.services import clock_start, clocks_of, clocks_stop
from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.state import change_state
from tickets import sla
from tickets.models import Ticket
from tickets.notices import tell_staff
from tickets.services.core import lock_ticket, record_event

from .. import permissions
from ..models import Consult, ConsultStatus
from ..selectors import team_leads

CONSULT_CLOCK = "escalations.consult"


def consult_request(
    *, ticket: Ticket, actor: User, team: Team, question: str, reply_minutes: int | None = None
) -> Consult:
    """Ask another internal team for input without changing tier; their reply has a time frame."""
    minutes = reply_minutes if reply_minutes is not None else settings.CONSULT_REPLY_MINUTES
    errors: dict[str, list[str]] = {}
    if not (question or "").strip():
        errors["question"] = [gettext("Say what you need from the team.")]
    if minutes <= 0:
        errors["reply_minutes"] = [gettext("A reply time frame of at least one minute.")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = lock_ticket(ticket)
        if not locked.is_open:
            raise Refused(gettext("Consult refused"), [gettext("an open ticket")])
        if not permissions.can_consult(locked, actor):
            raise PermissionDenied(gettext("You may not consult on this ticket."))
        if locked.team_id == team.pk:
            raise Refused(
                gettext("Consult refused"),
                [gettext("another team than %(team)s, which already has the ticket") % {"team": team.name}],
            )
        consult = Consult.objects.create(
            ticket=locked, team=team, question=question.strip(), requested_by=actor, reply_minutes=minutes
        )
        clock_start(
            subject=consult,
            kind=CONSULT_CLOCK,
            calendar=sla.calendar_for(locked),
            target_seconds=minutes * 60,
        )
        record_event(
            ticket=locked,
            kind="consult_requested",
            actor=actor,
            target=team.name[:40],
            reason=consult.question,
            details={"consult": consult.pk, "team": team.pk},
        )
        _tell_consulted_team(consult, locked, actor)
    return consult


def _tell_consulted_team(consult: Consult, ticket: Ticket, actor: User) -> None:
    """The consulted team's leaders and members hear the question."""
    team = consult.team
    tell_staff(
        ticket=ticket,
        recipients=list(team.leaders.all()) + list(team.members.all()),
        actor=actor,
        kind="escalations.consult_requested",
        context={
            "team": team.name,
            "requested_by": str(actor),
            "question": consult.question,
            "reply_minutes": consult.reply_minutes,
            "message": gettext("%(actor)s asks %(team)s about %(reference)s: %(question)s")
            % {
                "actor": actor,
                "team": team.name,
                "reference": ticket.reference,
                "question": consult.question,
            },
        },
        dedup_key=f"consult:{consult.pk}:requested",
    )


def _consult_clock(consult: Consult) -> Clock | None:
    return clocks_of(consult, CONSULT_CLOCK).first()


def _consult_lock(*related: str) -> Callable[[Consult], Consult]:
    """Lock the consult's ticket, then the consult's row (with `related`), the order every change takes."""

    def lock(consult: Consult) -> Consult:
        ticket = lock_ticket(consult.ticket)
        locked = Consult.objects.select_for_update().select_related(*related).get(pk=consult.pk)
        locked.ticket = ticket
        return locked

    return lock


def consult_reply(*, consult: Consult, actor: User, reply: str) -> Consult:
    """The consulted team answers; the asker hears of it and the reply time frame stops."""

    def check_reply(locked: Consult) -> None:
        if not (reply or "").strip():
            raise InvalidInput({"reply": [gettext("The reply is empty.")]})

    def not_possible(locked: Consult) -> Refused:
        return Refused(
            gettext("Reply refused"),
            [
                gettext("an open consult (this one is %(state)s)")
                % {"state": locked.get_state_display().lower()}
            ],
        )

    def record(locked: Consult, source: str) -> None:
        record_event(
            ticket=locked.ticket,
            kind="consult_answered",
            actor=actor,
            source=locked.team.name[:40],
            reason=locked.reply,
            details={"consult": locked.pk},
        )

    def then(locked: Consult) -> None:
        clocks_stop(subject=locked, kind=CONSULT_CLOCK)
        _tell_asker(locked, actor)

    locked = change_state(
        consult,
        "answer",
        actor=actor,
        lock=_consult_lock("team", "requested_by"),
        label=gettext("Reply"),
        not_possible=not_possible,
        allowed=permissions.can_reply_consult,
        denied=gettext("Only the consulted team may reply."),
        prepare=check_reply,
        arguments={"by": actor, "reply": (reply or "").strip()},
        record=record,
        then=then,
    )
    consult.refresh_from_db()
    return locked


def _tell_asker(consult: Consult, actor: User) -> None:
    """Whoever asked hears the consulted team's reply."""
    ticket = consult.ticket
    tell_staff(
        ticket=ticket,
        recipients=[consult.requested_by],
        actor=actor,
        kind="escalations.consult_answered",
        context={
            "team": consult.team.name,
            "replied_by": str(actor),
            "question": consult.question,
            "reply": consult.reply,
            "message": gettext("%(actor)s of %(team)s answered on %(reference)s: %(reply)s")
            % {
                "actor": actor,
                "team": consult.team.name,
                "reference": ticket.reference,
                "reply": consult.reply,
            },
        },
        dedup_key=f"consult:{consult.pk}:answered",
    )


def consult_withdraw(*, consult: Consult, actor: User | None, reason: str = "") -> Consult:
    """Withdraw an open consult (whoever asked, or the ticket's team; no actor: the system)."""

    def record(locked: Consult, source: str) -> None:
        record_event(
            ticket=locked.ticket,
            kind="consult_withdrawn",
            actor=actor,
            source=locked.team.name[:40],
            reason=reason,
            details={"consult": locked.pk},
        )

    locked = change_state(
        consult,
        "withdraw",
        actor=actor,
        lock=_consult_lock("team"),
        label=gettext("Withdrawal"),
        not_possible=lambda _c: Refused(gettext("Withdrawal refused"), [gettext("an open consult")]),
        allowed=lambda c, user: user is None or permissions.can_withdraw_consult(c, user),
        denied=gettext("You may not withdraw this consult."),
        record=record,
        then=lambda c: clocks_stop(subject=c, kind=CONSULT_CLOCK),
    )
    consult.refresh_from_db()
    return locked


def on_consult_clock(clock: Clock, *, warning: bool) -> None:
    consult = (
        Consult.objects.select_related("ticket", "team", "requested_by").filter(pk=clock.object_id).first()
    )
    if consult is None or consult.state != ConsultStatus.OPEN:
        return
    team = consult.team
    recipients = team_leads(team) if warning else [consult.requested_by, *team_leads(team)]
    point = "warning" if warning else "breach"
    message = (
        gettext("%(team)s's reply on %(reference)s is due soon.")
        if warning
        else gettext("%(team)s did not reply on %(reference)s within its time frame.")
    ) % {"team": team.name, "reference": consult.ticket.reference}
    tell_staff(
        ticket=consult.ticket,
        recipients=recipients,
        actor=None,
        kind=f"escalations.consult_{point}",
        context={
            "team": team.name,
            "question": consult.question,
            "message": message,
            "due_at": f"{timezone.localtime(clock.due_at):%a %d %b %Y %H:%M}" if clock.due_at else "",
        },
        dedup_key=f"clock:{clock.pk}:{point}",
    )
    record_event(
        ticket=consult.ticket,
        kind=f"consult_{point}",
        actor=None,
        source=team.name[:40],
        reason=message,
        details={"consult": consult.pk, "notified": [u.username for u in recipients]},
    )
