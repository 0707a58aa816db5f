"""The stage the ladder and case stories are played on (`demo.ladders`, `demo.cases`).

A `Scene` holds a story's clock, cast and ticket: `at(h)` moves on to `h` hours after the
ticket's opening, firing on the way every deadline that falls due (the deadline sweep runs at
every story instant), and its methods call the ticket and escalation services by username.
`timed_stories` turns story specs into `demo.stories.Story` objects that end a given time before
the seeding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from escalations import selectors
from escalations.models import EscalationCriterion, Handoff, Tier
from escalations.services import handoffs
from tickets import permissions as ticket_permissions
from tickets.models import Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import ticket_start, ticket_triage
from tickets.services.steps import ticket_add_step

from .cast import Cast
from .stories import Story, run_clocks_until


class Scene:
    """A story's stage: the clock, the cast and the ticket; `at(h)` moves on to `h` hours after
    the opening, firing on the way every deadline that falls due, at its own instant."""

    def __init__(self, cast: Cast, clock: time_machine.Coordinates, start: datetime) -> None:
        self.cast = cast
        self.clock = clock
        self.start = start
        self.hours = 0.0
        self.ticket: Ticket | None = None
        # Staff-only intake (priority, category) of a customer's request, given at triage.
        self.at_triage: dict[str, Any] = {}

    def at(self, hours: float) -> Scene:
        if hours < self.hours:  # pragma: no cover - a story written backwards
            raise AssertionError("a demo story cannot go back in time")
        self.hours = hours
        moment = self.start + timedelta(hours=hours)
        run_clocks_until(moment)
        self.clock.move_to(moment)
        return self

    def __getitem__(self, username: str) -> User:
        return self.cast.users[username]

    def tier(self, name: str) -> Tier:
        path = selectors.path_for(self.ticket)
        return path.tiers.get(name=name)

    def criterion(self, tier: str, text: str) -> EscalationCriterion:
        return self.tier(tier).criteria.get(text=text)

    # --- the ticket services, by username -----------------------------------------------------

    def triage(self, by: str) -> None:
        ticket_triage(ticket=self.ticket, actor=self[by], **self.at_triage)
        self.at_triage = {}

    def open_ticket(
        self, *, opener: User, requester: User, staff_set: dict[str, Any], **intake: Any
    ) -> Ticket:
        """Open the story's ticket; a customer's gets the staff-only intake at its triage."""
        if not ticket_permissions.may_set_staff_only_intake(opener):
            self.at_triage, staff_set = staff_set, {}
        self.ticket = ticket_create(
            actor=opener, organisation=requester.organisation, requester=requester, **staff_set, **intake
        )
        return self.ticket

    def start_work(self, by: str) -> None:
        ticket_start(ticket=self.ticket, actor=self[by])

    def step(
        self,
        by: str,
        kind: str,
        action: str,
        outcome: str,
        *,
        public: bool = False,
        log: tuple[str, str] | None = None,
    ) -> None:
        files = [SimpleUploadedFile(log[0], log[1].encode(), content_type="text/plain")] if log else []
        ticket_add_step(
            ticket=self.ticket,
            actor=self[by],
            kind=kind,
            action=action,
            outcome=outcome,
            is_public=public,
            files=files,
        )

    def say(self, by: str, body: str, *, internal: bool = False) -> None:
        ticket_comment(ticket=self.ticket, actor=self[by], body=body, is_internal=internal)

    # --- the escalation services -------------------------------------------------------------

    def escalate(
        self,
        by: str,
        to: str,
        findings: str,
        *,
        criterion: str = "",
        workaround: str = "",
        evidence_note: str = "",
    ) -> Handoff:
        return handoffs.escalate(
            ticket=self.ticket,
            actor=self[by],
            to_tier=self.tier(to),
            criterion=self.criterion(to, criterion) if criterion else None,
            findings=findings,
            workaround=workaround,
            evidence_note=evidence_note,
        )


def timed_stories(
    specs: Iterable[Any], play: Callable[..., Ticket], cast: Cast, now: datetime
) -> list[Story]:
    """Each spec as a `Story` ending `spec.ends_hours_ago` before now and lasting `spec.length_hours`,
    played by `play(spec, cast, start, clock)` (`demo.ladders`' and `demo.cases`' stories)."""
    result = []
    for spec in specs:
        end = now - timedelta(hours=spec.ends_hours_ago)
        start = end - timedelta(hours=spec.length_hours)
        result.append(Story(key=spec.key, start=start, end=end, play=partial(play, spec, cast, start)))
    return result
