"""Demo escalation stories: tickets visibly at each rung of the ladders (seeds 000, 001, 003).

`stories(cast, now)` returns them as `demo.stories.Story` objects; `seed_demo`
plays them with the lifecycle stories, after `load_presets()`, so triage puts each ticket in
the first tier of its service's ladder. Every move goes through the services (tickets,
escalations, approvals), each at its own date with time-machine, and the deadline sweep runs
at every story instant (`demo.scene.Scene.at`), so whatever a time frame would have done
meanwhile is in the story where it fell due. This module says which ticket each story plays and
where it must end; what happens on the ticket is its script, in `demo.ladder_scripts`.

Each story keeps every stint shorter (in wall-clock time, hence in business time) than its
tier's time frame, and ends on a rung that stays put when the sweep runs after seeding: a stint
younger than its time frame, a hand-off waiting for approval (an automatic escalation is then
skipped), a vendor tier that only notifies, the IT manager's decision point, or a resolved ticket
(every ticket clock pauses). Later, time frames keep running like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import time_machine

from escalations import selectors
from escalations.models import Handoff, HandoffStatus
from tickets.models import Channel, Priority, Status, Ticket

from . import ladder_scripts as scripts
from .cast import Cast
from .scene import Scene, timed_stories
from .stories import Story


@dataclass(frozen=True)
class EscalationStory:
    key: str
    org: int  # index in demo.cast.ORGANISATIONS
    requester: str
    channel: str
    summary: str
    service: str
    category: str
    priority: str
    ends_hours_ago: float  # the story ends this long before the seeding
    length_hours: float  # from the ticket's opening to the story's end
    intake: dict[str, str]
    script: Callable[[Scene], None]
    expected_tier: str
    expected_status: str
    created_by: str = ""
    expected_handoff: str = ""  # the status of the ticket's last hand-off


# --- the stories ------------------------------------------------------------------------------------

P = Priority

ESCALATION_STORIES: list[EscalationStory] = [
    EscalationStory(
        "esc-tier2",
        3,
        "marco",
        Channel.EMAIL,
        "ERP journal import rejects every line with cost centre 4410",
        service="ERP",
        category="Software",
        priority=P.P3,
        ends_hours_ago=1.5,
        length_hours=3.6,
        intake={
            "description": "Month-end journal import refuses 37 of 412 lines, all on the new cost "
            "centre 4410.",
            "symptoms": "Import log shows GL-207 'cost centre closed' for every line with 4410.",
            "replication_steps": "Finance > Journals > Import > file JE-2026-11.csv",
            "error_messages": "GL-207 Cost centre 4410 is closed for posting",
            "recent_changes": "Cost centre 4410 created last week for the new Leeds office.",
            "business_impact": "Month-end close is blocked until the lines are posted.",
            "workaround": "Post the 37 lines by hand.",
        },
        script=scripts.tier2_with_criterion,
        expected_tier="Tier 2",
        expected_status=Status.IN_PROGRESS,
        created_by="erin",
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-consult",
        0,
        "hugo",
        Channel.PORTAL,
        "Stock valuation report takes 40 minutes instead of 2",
        service="ERP",
        category="Performance",
        priority=P.P3,
        ends_hours_ago=10.0,
        length_hours=9.5,
        intake={
            "description": "The month-end stock valuation for all depots has become very slow.",
            "symptoms": "Report runs 40+ minutes; the finance team waits for it every morning.",
            "replication_steps": "Reports > Stock valuation > All depots > Run",
            "error_messages": "none",
            "recent_changes": "ERP 11.4 with multi-depot stock moves, three weeks ago.",
            "business_impact": "Finance cannot close the day's books before 10:00.",
            "workaround": "Run per depot and add up.",
        },
        script=scripts.engineering_with_consult,
        expected_tier="Engineering",
        expected_status=Status.IN_PROGRESS,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-returned",
        1,
        "felix",
        Channel.PORTAL,
        "Portal invoices show the UK VAT rate for customers in Ireland",
        service="Customer portal",
        category="Software",
        priority=P.P2,
        ends_hours_ago=26.0,
        length_hours=8.5,
        intake={
            "description": "Invoices downloaded from the portal for our Dublin clinics show 20 % VAT.",
            "symptoms": "PDF invoice total differs from the ERP invoice by the VAT difference.",
            "replication_steps": "Portal > Invoices > any invoice of a Dublin clinic > Download PDF",
            "error_messages": "none",
            "recent_changes": "Portal 4.2 released two weeks ago.",
            "business_impact": "Our accounts team cannot book the invoices; Irish VAT returns are due.",
            "workaround": "Ask for the ERP invoice by e-mail.",
        },
        script=scripts.returned_and_resolved,
        expected_tier="Tier 1",
        expected_status=Status.RESOLVED,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-onsite",
        0,
        "carla",
        Channel.PHONE,
        "Depot LHR-2 label printers print blank shipping labels",
        service="ERP",
        category="Hardware",
        priority=P.P2,
        ends_hours_ago=1.0,
        length_hours=6.5,
        intake={
            "description": (
                "Since the print server moved on Saturday, shipping labels from the ERP are blank."
            ),
            "symptoms": "Label comes out blank; the printer shows no error.",
            "replication_steps": "Shipping > Outbound > Print label, any order at LHR-2",
            "error_messages": "none",
            "recent_changes": "Print server moved to the new data centre on Saturday.",
            "business_impact": "About 200 parcels a day are labelled by hand; two mis-deliveries already.",
            "workaround": "Hand-written labels.",
        },
        script=scripts.onsite_waiting_for_approval,
        expected_tier="Engineering",
        expected_status=Status.IN_PROGRESS,
        created_by="erin",
        expected_handoff=HandoffStatus.PENDING_APPROVAL,
    ),
    EscalationStory(
        "esc-microsoft",
        2,
        "priya",
        Channel.PORTAL,
        "Teams invitations reach external partners as winmail.dat",
        service="E-mail & collaboration",
        category="Network",
        priority=P.P2,
        ends_hours_ago=5.0,
        length_hours=20.5,
        intake={
            "description": "Partners cannot accept our meeting invitations: they receive winmail.dat.",
            "symptoms": "External recipients get an attachment winmail.dat and no invitation.",
            "replication_steps": "Schedule a Teams meeting with any external address.",
            "error_messages": "none",
            "recent_changes": "none on our side",
            "business_impact": "Investor and supplier meetings are missed; the board meets partners weekly.",
            "workaround": "Send the invitation as an .ics file.",
        },
        script=scripts.microsoft_l3,
        expected_tier="Microsoft L3",
        expected_status=Status.IN_PROGRESS,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
    EscalationStory(
        "esc-sent-back",
        3,
        "marco",
        Channel.EMAIL,
        "Outlook search finds nothing older than three months",
        service="E-mail & collaboration",
        category="Software",
        priority=P.P3,
        ends_hours_ago=1.0,
        length_hours=4.5,
        intake={
            "description": "Searching in Outlook returns nothing older than about three months.",
            "symptoms": "No results for older mail; the messages are there when browsing the folders.",
            "replication_steps": "Outlook > search 'Q2 forecast' (May 2026 e-mails) on Marco's laptop.",
            "error_messages": "none",
            "recent_changes": "New laptop image rolled out last month.",
            "business_impact": "Compliance requests for old correspondence take hours.",
            "workaround": "Search in Outlook on the web.",
        },
        script=scripts.sent_back,
        expected_tier="L2",
        expected_status=Status.IN_PROGRESS,
        created_by="omar",
        expected_handoff=HandoffStatus.SENT_BACK,
    ),
    EscalationStory(
        "esc-decision",
        1,
        "nadia",
        Channel.PORTAL,
        "Weekly clinic rota export is corrupt since the server upgrade",
        service="Payroll",
        category="Software",
        priority=P.P3,
        ends_hours_ago=2.0,
        length_hours=24.5,
        intake={
            "description": "The rota export that feeds payroll produces files nobody can open.",
            "symptoms": "Excel and the payroll import both report a corrupt file.",
            "replication_steps": "Rota > Export week > open the file.",
            "error_messages": "Payroll import: 'Unexpected character at line 1'",
            "recent_changes": "ERP servers upgraded to Windows Server 2025 on the 12th.",
            "business_impact": "Clinic managers type 300 shifts a week into payroll by hand.",
            "workaround": "Type the rota by hand.",
        },
        script=scripts.it_manager_decision,
        expected_tier="IT Manager decision",
        expected_status=Status.OPEN,
        expected_handoff=HandoffStatus.COMPLETED,
    ),
]


def _play(spec: EscalationStory, cast: Cast, start: datetime, clock: time_machine.Coordinates) -> Ticket:
    scene = Scene(cast, clock, start)
    requester = cast.users[spec.requester]
    scene.open_ticket(
        opener=cast.users[spec.created_by or spec.requester],
        requester=requester,
        staff_set={"priority": spec.priority, "category": cast.categories[spec.category]},
        summary=spec.summary,
        channel=spec.channel,
        service=cast.services[spec.service],
        **spec.intake,
    )
    spec.script(scene)
    scene.at(spec.length_hours)
    ticket = scene.ticket
    ticket.refresh_from_db()
    stint = selectors.current_stint(ticket)
    last = Handoff.objects.filter(ticket=ticket).order_by("-pk").first()
    if (ticket.status, stint.tier.name if stint else None, last.status if last else None) != (
        spec.expected_status,
        spec.expected_tier,
        spec.expected_handoff or None,
    ):  # pragma: no cover - a story or a preset changed
        raise AssertionError(
            f"escalation story {spec.key} ended {ticket.status} in {stint.tier if stint else None} "
            f"(last hand-off {last.status if last else None}), not {spec.expected_status} in "
            f"{spec.expected_tier} ({spec.expected_handoff})"
        )
    return ticket


def stories(cast: Cast, now: datetime) -> list[Story]:
    """The escalation stories, for `demo.seeding.seed(extra_stories=...)`."""
    return timed_stories(ESCALATION_STORIES, _play, cast, now)
