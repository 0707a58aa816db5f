"""Demo customer escalations (SPEC §6, seeds 000 and 002): a case at each state of its life.

`stories(cast, now)` returns them as `demo.stories.Story` objects; `seed_demo` plays
them with the lifecycle and ladder stories (`demo.ladders`), in one order. Each story opens
its own ticket, moves it up the service request ladder with the ticket and escalation services,
then runs the customer's escalation only through `cases.services`, each step at its own
instant with time-machine; the deadline sweep runs at every story instant
(`demo.scene.Scene.at`), so the acknowledgement and update clocks did whatever they would have
done meanwhile. This module says which ticket each story plays and where its case must end; what
happens on the ticket and the case is its script, in `demo.case_scripts`.

The stories end where nothing is due right after seeding, whatever the day and hour:

- a request still to acknowledge was filed within the last ~15 minutes, less wall-clock time
  (hence less business time) than the warning point of its acknowledgement time frame (75 % of
  `CASE_ACK_MINUTES`, 45 business minutes);
- on a case with a communication plan every period between two updates, and the time since
  the last one, is under three hours of wall-clock time: under the warning point of the plan's
  four business hours. The warnings come during the demo, as they would;
- each ticket's last tier stint (Tier 2 for a short story, Engineering for the long ones) is
  younger than the 75 % warning point of its P3 time frame (8 and 24 business hours).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import time_machine

from cases.models import CaseStatus, EscalationCase
from tickets.models import Channel, Priority, Ticket

from . import case_scripts as scripts
from .cast import Cast
from .scene import Scene, timed_stories
from .stories import Story


@dataclass(frozen=True)
class CaseStory:
    key: str
    requester: str  # a customer of demo.cast.ORGANISATIONS
    summary: str
    service: str
    category: str
    ends_hours_ago: float  # the story ends this long before the seeding
    length_hours: float  # from the ticket's opening to the story's end
    intake: dict[str, str]
    script: Callable[[Scene], None]
    expected_case: str
    expected_manager: str = "esme"


# --- the stories ------------------------------------------------------------------------------------

CASE_STORIES: list[CaseStory] = [
    CaseStory(
        "case-requested",
        "carla",
        "Customs declarations for Norway are rejected since the tariff update",
        service="ERP",
        category="Software",
        ends_hours_ago=0.05,
        length_hours=3.0,
        intake={
            "description": "Every export declaration for shipments to Norway is rejected by customs.",
            "symptoms": "The customs gateway rejects each declaration within a minute.",
            "replication_steps": "Shipping > Customs > Send declaration for any shipment to Norway.",
            "error_messages": "CUS-114 Commodity code length invalid",
            "recent_changes": "Norway's tariff update on the 1st.",
            "business_impact": "Lorries wait at the border until declarations are keyed by hand.",
            "workaround": "Key the declarations into the customs portal by hand.",
        },
        script=scripts.requested,
        expected_case=CaseStatus.REQUESTED,
        expected_manager="",
    ),
    CaseStory(
        "case-active",
        "priya",
        "Bank rejects the payroll payment file since its ISO 20022 switch",
        service="Payroll",
        category="Software",
        ends_hours_ago=0.5,
        length_hours=7.8,
        intake={
            "description": "The payroll payment file is rejected by the bank's upload.",
            "symptoms": "Upload fails at once with a format error.",
            "replication_steps": "Payroll > Pay run > Export payments > upload to the bank.",
            "error_messages": "Bank: 'File format not supported (BACS18)'",
            "recent_changes": "The bank moved to ISO 20022 on the 1st.",
            "business_impact": "Field engineers will not be paid on Friday.",
            "workaround": "Enter every payment in online banking.",
        },
        script=scripts.active,
        expected_case=CaseStatus.ACTIVE,
    ),
    CaseStory(
        "case-proposed",
        "carla",
        "Proof-of-delivery photos are missing from the customer portal",
        service="Customer portal",
        category="Software",
        ends_hours_ago=0.3,
        length_hours=6.5,
        intake={
            "description": "Delivery photos taken by drivers since Monday do not show in the portal.",
            "symptoms": "The 'Proof of delivery' tab says 'No photos' for this week's deliveries.",
            "replication_steps": "Portal > Deliveries > any delivery since Monday > Proof of delivery.",
            "error_messages": "none",
            "recent_changes": "New version of the drivers' app on Monday.",
            "business_impact": "Customers dispute deliveries we cannot prove.",
            "workaround": "E-mail the photos on request.",
        },
        script=scripts.proposed,
        expected_case=CaseStatus.DE_ESCALATION_PROPOSED,
    ),
    CaseStory(
        "case-de-escalated",
        "felix",
        "Part-time payslips show the full-time holiday allowance",
        service="Payroll",
        category="Software",
        ends_hours_ago=1.0,
        length_hours=8.6,
        intake={
            "description": "November payslips of part-time staff show the full-time holiday allowance.",
            "symptoms": "Holiday allowance 28 days on every part-time payslip.",
            "replication_steps": "Payroll > Payslips > November > any part-time employee.",
            "error_messages": "none",
            "recent_changes": "Payroll 7.3 installed before the November run.",
            "business_impact": "140 staff got wrong payslips.",
            "workaround": "Correct the payslips by hand.",
        },
        script=scripts.de_escalated,
        expected_case=CaseStatus.DE_ESCALATED,
    ),
    CaseStory(
        "case-leadership",
        "grace",
        "Client valuation statements use the previous day's prices",
        service="ERP",
        category="Software",
        ends_hours_ago=0.4,
        length_hours=8.7,
        intake={
            "description": "Some mornings the client valuation statements show yesterday's prices.",
            "symptoms": "Statements dated today, prices of the day before.",
            "replication_steps": "Reports > Client valuations > run for any client after a late price feed.",
            "error_messages": "none",
            "recent_changes": "The price feed provider moved its delivery to 01:30–03:00.",
            "business_impact": "Clients receive wrong valuations; a regulatory risk.",
            "workaround": "Re-run the statements by hand after 09:00.",
        },
        script=scripts.leadership,
        expected_case=CaseStatus.ACTIVE,
    ),
]


def _play(spec: CaseStory, cast: Cast, start: datetime, clock: time_machine.Coordinates) -> Ticket:
    scene = Scene(cast, clock, start)
    requester = cast.users[spec.requester]
    scene.open_ticket(
        opener=requester,
        requester=requester,
        staff_set={"priority": Priority.P3, "category": cast.categories[spec.category]},
        summary=spec.summary,
        channel=Channel.PORTAL,
        service=cast.services[spec.service],
        **spec.intake,
    )
    spec.script(scene)
    scene.at(spec.length_hours)
    case = EscalationCase.objects.select_related("escalation_manager").get(ticket=scene.ticket)
    manager = case.escalation_manager.username if case.escalation_manager else ""
    if (case.status, manager) != (spec.expected_case, spec.expected_manager):  # pragma: no cover
        raise AssertionError(
            f"case story {spec.key} ended {case.status} with {manager or 'no manager'}, "
            f"not {spec.expected_case} with {spec.expected_manager or 'no manager'}"
        )
    return scene.ticket


def stories(cast: Cast, now: datetime) -> list[Story]:
    """The customer escalation stories, for `demo.seeding.seed(extra_stories=...)`."""
    return timed_stories(CASE_STORIES, _play, cast, now)
