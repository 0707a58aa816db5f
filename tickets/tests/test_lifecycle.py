"""The ticket lifecycle of SPEC §2: every transition from every state, its guards and who may take it."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Team, User
from escalation_desk.domain import InvalidInput, Refused
from tests_support.factories import TicketFactory, make_agent
from tickets.models import CloseKind, Comment, Status, Ticket, TimelineEvent
from tickets.services import lifecycle
from tickets.services.conversation import ticket_comment
from tickets.services.lifecycle import (
    TRANSITION_SERVICES,
    ticket_await_customer,
    ticket_cancel,
    ticket_confirm_resolution,
    ticket_reopen,
    ticket_resolve,
    ticket_start,
    ticket_triage,
)
from tickets.services.steps import ticket_add_step

STATES = [s.value for s in Status]

# name -> (source states, target state), as SPEC §2 draws them.
TRANSITIONS: dict[str, tuple[set[str], str]] = {
    "triage": ({"new"}, "open"),
    "start": ({"open"}, "in_progress"),
    "await_customer": ({"in_progress"}, "waiting_on_customer"),
    "customer_replied": ({"waiting_on_customer"}, "in_progress"),
    "resolve": ({"in_progress"}, "resolved"),
    "confirm_resolution": ({"resolved"}, "closed"),
    "reopen": ({"resolved"}, "in_progress"),
    "cancel": ({"new", "open", "in_progress", "waiting_on_customer"}, "cancelled"),
}

# How a refusal for the wrong state names each transition.
LABELS = {
    "triage": "triage",
    "start": "start work",
    "await_customer": "wait on customer",
    "customer_replied": "customer replied",
    "resolve": "resolve",
    "confirm_resolution": "confirm resolution",
    "reopen": "reopen",
    "cancel": "cancel",
}

# Input that satisfies every guard of each service.
VALID_INPUT: dict[str, dict[str, Any]] = {
    "triage": {},
    "start": {},
    "await_customer": {"reason": "Send the export log of last night's run."},
    "customer_replied": {"note": "Customer sent the log by e-mail."},
    "resolve": {
        "resolution_summary": "Raised the export timeout to 2 hours.",
        "root_cause": "The March period has three times the usual rows.",
        "fix_kind": "permanent",
    },
    "confirm_resolution": {"channel": "phone", "note": "Carla confirmed by phone."},
    "reopen": {"reason": "The export still stops at 50 %."},
    "cancel": {"reason": "withdrawn", "note": "Customer fixed it themselves."},
}

# The services that lead from `new` to each state.
PATHS: dict[str, list[str]] = {
    "new": [],
    "open": ["triage"],
    "in_progress": ["triage", "start"],
    "waiting_on_customer": ["triage", "start", "await_customer"],
    "resolved": ["triage", "start", "resolve"],
    "closed": ["triage", "start", "resolve", "confirm_resolution"],
    "cancelled": ["cancel"],
}


def run(name: str, ticket: Ticket, actor: User, **overrides: Any) -> Ticket:
    """Call the service of transition `name` with valid input, overridden by `overrides`."""
    kwargs = {**VALID_INPUT[name], **overrides}
    return TRANSITION_SERVICES[name](ticket=ticket, actor=actor, **kwargs)


def drive_to(ticket: Ticket, state: str, actor: User) -> Ticket:
    """Take a new ticket to `state` through the services, as `actor`."""
    for name in PATHS[state]:
        run(name, ticket, actor)
    ticket.refresh_from_db()
    assert ticket.status == state
    return ticket


def event_ids(ticket: Ticket) -> list[int]:
    return list(TimelineEvent.objects.filter(ticket=ticket).order_by("pk").values_list("pk", flat=True))


def db_status(ticket: Ticket) -> str:
    return Ticket.objects.values_list("status", flat=True).get(pk=ticket.pk)


def assert_untouched(ticket: Ticket, status: str, events: list[int]) -> None:
    assert db_status(ticket) == status
    assert event_ids(ticket) == events


@pytest.fixture
def engineering_engineer(engineering: Team) -> User:
    return make_agent("Engineer", team=engineering, username="enzo")


# --- every transition from every state ----------------------------------------------------


@pytest.mark.parametrize(("name", "state"), list(itertools.product(TRANSITIONS, STATES)))
def test_it_takes_each_transition_only_from_its_source_states(
    ticket: Ticket, engineer: User, name: str, state: str
) -> None:
    drive_to(ticket, state, engineer)
    before = event_ids(ticket)
    sources, target = TRANSITIONS[name]

    if state in sources:
        returned = run(name, ticket, engineer)
        assert db_status(ticket) == target
        assert returned.status == target
        assert ticket.status == target  # the caller's instance follows the saved row
        new = TimelineEvent.objects.filter(ticket=ticket).exclude(pk__in=before)
        assert [(e.kind, e.source, e.target, e.actor) for e in new] == [(name, state, target, engineer)]
    else:
        with pytest.raises(Refused) as refused:
            run(name, ticket, engineer)
        assert refused.value.missing == [f"the ticket to be in a state that allows {LABELS[name]}"]
        assert_untouched(ticket, state, before)


def test_it_walks_the_whole_lifecycle_and_records_each_step(ticket: Ticket, engineer: User) -> None:
    for name in [
        "triage",
        "start",
        "await_customer",
        "customer_replied",
        "resolve",
        "reopen",
        "resolve",
        "confirm_resolution",
    ]:
        run(name, ticket, engineer)
    kinds = list(TimelineEvent.objects.filter(ticket=ticket).values_list("kind", "source", "target"))
    assert kinds == [
        ("triage", "new", "open"),
        ("start", "open", "in_progress"),
        ("await_customer", "in_progress", "waiting_on_customer"),
        ("customer_replied", "waiting_on_customer", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("reopen", "resolved", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("confirm_resolution", "resolved", "closed"),
    ]
    ticket.refresh_from_db()
    assert ticket.reopen_count == 1
    assert ticket.closed_at is not None
    assert ticket.close_kind == CloseKind.CONFIRMED_ON_BEHALF


@pytest.mark.parametrize("name", ["triage", "cancel"])
def test_it_rolls_the_state_back_when_its_event_cannot_be_written(
    ticket: Ticket, engineer: User, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    def broken_record_event(**kwargs: Any) -> TimelineEvent:
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr(lifecycle, "record_event", broken_record_event)
    with pytest.raises(RuntimeError):
        run(name, ticket, engineer)
    assert_untouched(ticket, "new", [])
    ticket.refresh_from_db()
    assert ticket.triaged_at is None and ticket.closed_at is None and ticket.cancel_reason == ""


# --- triage guard ---------------------------------------------------------------------------

INTAKE_LABELS = {
    "summary": "summary",
    "description": "description",
    "symptoms": "symptoms",
    "replication_steps": 'replication steps (or "none")',
    "error_messages": 'error messages (or "none")',
    "recent_changes": 'recent changes to the system (or "none")',
    "business_impact": "business impact",
}


@pytest.mark.parametrize("field", list(INTAKE_LABELS))
@pytest.mark.parametrize("blank", ["", "   \n"])
def test_it_refuses_triage_naming_the_missing_intake_field(
    ticket: Ticket, engineer: User, field: str, blank: str
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(**{field: blank})
    with pytest.raises(Refused) as refused:
        ticket_triage(ticket=ticket, actor=engineer)
    assert refused.value.missing == [INTAKE_LABELS[field]]
    assert_untouched(ticket, "new", [])


def test_it_refuses_triage_without_priority_category_and_affected_service(
    ticket: Ticket, engineer: User
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(priority="", category=None, service=None)
    with pytest.raises(Refused) as refused:
        ticket_triage(ticket=ticket, actor=engineer)
    assert refused.value.missing == ["priority", "category", "affected service"]
    assert_untouched(ticket, "new", [])


def test_it_lists_every_missing_item_of_an_empty_intake(org: Any, customer: User, engineer: User) -> None:
    bare = TicketFactory(
        organisation=org,
        requester=customer,
        summary="x",
        description="",
        symptoms="",
        replication_steps="",
        error_messages="",
        recent_changes="",
        business_impact="",
        priority="",
        category=None,
        service=None,
    )
    with pytest.raises(Refused) as refused:
        ticket_triage(ticket=bare, actor=engineer)
    assert refused.value.missing == [
        label for field, label in INTAKE_LABELS.items() if field != "summary"
    ] + ["priority", "category", "affected service"]


@pytest.mark.parametrize("explicit", ["none", "n/a", "None"])
def test_it_accepts_an_explicit_none_for_replication_errors_and_recent_changes(
    ticket: Ticket, engineer: User, explicit: str
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(
        replication_steps=explicit, error_messages=explicit, recent_changes=explicit
    )
    ticket_triage(ticket=ticket, actor=engineer)
    assert db_status(ticket) == "open"


def test_it_completes_the_intake_during_triage_and_places_the_ticket_with_its_team(
    ticket: Ticket, engineer: User, tier1: Team, category: Any
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(symptoms="", priority="")
    ticket_triage(ticket=ticket, actor=engineer, priority="P1", symptoms="Job fails at 50 %")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.symptoms) == ("open", "P1", "Job fails at 50 %")
    assert ticket.team == tier1
    assert ticket.triaged_at is not None
    event = TimelineEvent.objects.get(ticket=ticket, kind="triage")
    assert event.details["changed"]["symptoms"] == ["", "Job fails at 50 %"]


def test_it_saves_no_intake_change_when_triage_is_still_refused(ticket: Ticket, engineer: User) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(symptoms="", business_impact="")
    with pytest.raises(Refused) as refused:
        ticket_triage(ticket=ticket, actor=engineer, priority="P1", symptoms="Job fails at 50 %")
    assert refused.value.missing == ["business impact"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.symptoms) == ("new", "P2", "")
    assert ticket.triaged_at is None and ticket.team_id is None
    assert event_ids(ticket) == []


def test_it_rejects_an_unknown_priority_at_triage(ticket: Ticket, engineer: User) -> None:
    with pytest.raises(InvalidInput):
        ticket_triage(ticket=ticket, actor=engineer, priority="P9")
    assert_untouched(ticket, "new", [])


# --- start ----------------------------------------------------------------------------------


def test_it_assigns_the_engineer_who_starts(ticket: Ticket, engineer: User) -> None:
    drive_to(ticket, "in_progress", engineer)
    assert ticket.assignee == engineer
    assert ticket.started_at is not None


def test_it_refuses_to_start_for_someone_who_cannot_work_the_ticket(
    ticket: Ticket, engineer: User, team_leader: User, other_engineer: User
) -> None:
    drive_to(ticket, "open", engineer)
    before = event_ids(ticket)
    with pytest.raises(InvalidInput):
        ticket_start(ticket=ticket, actor=team_leader, assignee=other_engineer)
    assert_untouched(ticket, "open", before)
    ticket_start(ticket=ticket, actor=team_leader, assignee=engineer)
    ticket.refresh_from_db()
    assert ticket.assignee == engineer


# --- await_customer guard -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  "])
def test_it_refuses_to_wait_without_saying_what_the_customer_must_provide(
    ticket: Ticket, engineer: User, reason: str
) -> None:
    drive_to(ticket, "in_progress", engineer)
    before = event_ids(ticket)
    with pytest.raises(Refused) as refused:
        ticket_await_customer(ticket=ticket, actor=engineer, reason=reason)
    assert refused.value.missing == ["what the customer needs to provide"]
    assert_untouched(ticket, "in_progress", before)


def test_it_keeps_what_the_customer_must_provide_until_they_reply(ticket: Ticket, engineer: User) -> None:
    drive_to(ticket, "waiting_on_customer", engineer)
    assert ticket.waiting_reason == VALID_INPUT["await_customer"]["reason"]
    event = TimelineEvent.objects.get(ticket=ticket, kind="await_customer")
    assert event.reason == VALID_INPUT["await_customer"]["reason"]
    run("customer_replied", ticket, engineer)
    ticket.refresh_from_db()
    assert ticket.waiting_reason == ""


# --- resolve guard --------------------------------------------------------------------------

RESOLUTION_LABELS = {
    "resolution_summary": "resolution details (what fixed it)",
    "root_cause": "root cause",
    "fix_kind": "whether it is a workaround or a permanent fix",
}
KNOWLEDGE_LABEL = "knowledge-base update, or the reason none is needed (Engineering worked it)"


@pytest.mark.parametrize("field", list(RESOLUTION_LABELS))
def test_it_refuses_to_resolve_naming_the_missing_resolution_item(
    ticket: Ticket, engineer: User, field: str
) -> None:
    drive_to(ticket, "in_progress", engineer)
    before = event_ids(ticket)
    with pytest.raises(Refused) as refused:
        run("resolve", ticket, engineer, **{field: ""})
    assert refused.value.missing == [RESOLUTION_LABELS[field]]
    assert_untouched(ticket, "in_progress", before)


def test_it_lists_every_missing_resolution_item_and_saves_none_of_the_input(
    ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "in_progress", engineer)
    before = event_ids(ticket)
    with pytest.raises(Refused) as refused:
        ticket_resolve(
            ticket=ticket, actor=engineer, resolution_summary="Restarted it", root_cause=" ", fix_kind=""
        )
    assert refused.value.missing == [RESOLUTION_LABELS["root_cause"], RESOLUTION_LABELS["fix_kind"]]
    assert_untouched(ticket, "in_progress", before)
    ticket.refresh_from_db()
    assert ticket.resolution_summary == "" and ticket.resolved_at is None


def test_it_rejects_an_unknown_kind_of_fix(ticket: Ticket, engineer: User) -> None:
    drive_to(ticket, "in_progress", engineer)
    before = event_ids(ticket)
    with pytest.raises(InvalidInput):
        run("resolve", ticket, engineer, fix_kind="magic")
    assert_untouched(ticket, "in_progress", before)


def test_it_needs_no_knowledge_update_when_only_tier1_worked_the_ticket(
    ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "in_progress", engineer)
    ticket_add_step(
        ticket=ticket, actor=engineer, kind="basic_check", action="Checked the job log", outcome="Timeout"
    )
    run("resolve", ticket, engineer)
    assert db_status(ticket) == "resolved"


@pytest.fixture
def engineering_ticket(ticket: Ticket, engineering: Team, engineering_engineer: User) -> Ticket:
    """The ticket, for a service Engineering receives, worked by Engineering."""
    ticket.service.default_team = engineering
    ticket.service.save()
    return drive_to(ticket, "in_progress", engineering_engineer)


def test_it_refuses_to_resolve_an_engineering_ticket_without_knowledge_update(
    engineering_ticket: Ticket, engineering_engineer: User
) -> None:
    before = event_ids(engineering_ticket)
    with pytest.raises(Refused) as refused:
        run("resolve", engineering_ticket, engineering_engineer)
    assert refused.value.missing == [KNOWLEDGE_LABEL]
    assert_untouched(engineering_ticket, "in_progress", before)


@pytest.mark.parametrize(
    "knowledge",
    [
        {"knowledge_article": "KB-1042 Export timeouts"},
        {"knowledge_none_reason": "Known issue KB-17 covers it"},
    ],
)
def test_it_resolves_an_engineering_ticket_with_an_article_or_a_reason_for_none(
    engineering_ticket: Ticket, engineering_engineer: User, knowledge: dict[str, str]
) -> None:
    run("resolve", engineering_ticket, engineering_engineer, **knowledge)
    engineering_ticket.refresh_from_db()
    assert engineering_ticket.status == "resolved"
    field, value = next(iter(knowledge.items()))
    assert getattr(engineering_ticket, field) == value


def test_it_needs_a_knowledge_update_once_an_engineering_member_recorded_a_step(
    ticket: Ticket, engineer: User, engineering_engineer: User
) -> None:
    drive_to(ticket, "in_progress", engineer)
    ticket_add_step(
        ticket=ticket,
        actor=engineering_engineer,
        kind="root_cause",
        action="Profiled the export query",
        outcome="Missing index on payslips.period",
    )
    before = event_ids(ticket)
    with pytest.raises(Refused) as refused:
        run("resolve", ticket, engineer)
    assert refused.value.missing == [KNOWLEDGE_LABEL]
    assert_untouched(ticket, "in_progress", before)
    run("resolve", ticket, engineer, knowledge_article="KB-1043 Payslip index")
    assert db_status(ticket) == "resolved"


# --- confirmation, reopen -------------------------------------------------------------------


def test_it_closes_when_the_customer_confirms_in_the_portal(
    ticket: Ticket, engineer: User, customer: User
) -> None:
    drive_to(ticket, "resolved", engineer)
    ticket_confirm_resolution(ticket=ticket, actor=customer, note="Works now, thanks")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_kind) == ("closed", CloseKind.CONFIRMED_BY_CUSTOMER)
    event = TimelineEvent.objects.get(ticket=ticket, kind="confirm_resolution")
    assert event.actor == customer
    assert event.details["channel"] == "portal"


def test_it_refuses_a_confirmation_recorded_by_staff_without_the_channel(
    ticket: Ticket, engineer: User
) -> None:
    drive_to(ticket, "resolved", engineer)
    before = event_ids(ticket)
    with pytest.raises(Refused) as refused:
        ticket_confirm_resolution(ticket=ticket, actor=engineer, note="She said OK")
    assert refused.value.missing == ["how the customer confirmed (phone, e-mail…)"]
    assert_untouched(ticket, "resolved", before)
    ticket.refresh_from_db()
    assert ticket.confirmation_note == "" and ticket.close_kind == ""


def test_it_records_the_channel_of_a_confirmation_recorded_by_staff(ticket: Ticket, engineer: User) -> None:
    drive_to(ticket, "resolved", engineer)
    ticket_confirm_resolution(ticket=ticket, actor=engineer, channel="email", note="Mail of 3 May")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_kind) == ("closed", CloseKind.CONFIRMED_ON_BEHALF)
    assert ticket.confirmation_note == "Mail of 3 May"
    assert TimelineEvent.objects.get(ticket=ticket, kind="confirm_resolution").details["channel"] == "email"


@pytest.mark.parametrize("reason", ["", "  "])
def test_it_refuses_to_reopen_without_a_reason(
    ticket: Ticket, engineer: User, customer: User, reason: str
) -> None:
    drive_to(ticket, "resolved", engineer)
    before = event_ids(ticket)
    with pytest.raises(Refused) as refused:
        ticket_reopen(ticket=ticket, actor=customer, reason=reason)
    assert refused.value.missing == ["the reason the resolution is not satisfactory"]
    assert_untouched(ticket, "resolved", before)


def test_it_reopens_with_the_customers_reason(ticket: Ticket, engineer: User, customer: User) -> None:
    drive_to(ticket, "resolved", engineer)
    ticket_reopen(ticket=ticket, actor=customer, reason="Still broken on Mondays")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.reopen_reason) == (
        "in_progress",
        1,
        "Still broken on Mondays",
    )
    assert ticket.resolved_at is None
    event = TimelineEvent.objects.get(ticket=ticket, kind="reopen")
    assert (event.actor, event.reason) == (customer, "Still broken on Mondays")


# --- cancel guard ---------------------------------------------------------------------------


def test_it_refuses_to_cancel_without_a_reason(ticket: Ticket, engineer: User) -> None:
    with pytest.raises(Refused) as refused:
        ticket_cancel(ticket=ticket, actor=engineer, reason="", note="No longer needed")
    assert refused.value.missing == ["cancellation reason (duplicate, spam or withdrawn)"]
    assert_untouched(ticket, "new", [])
    ticket.refresh_from_db()
    assert ticket.cancel_note == ""


def test_it_refuses_an_unknown_cancellation_reason(ticket: Ticket, engineer: User) -> None:
    with pytest.raises(InvalidInput):
        ticket_cancel(ticket=ticket, actor=engineer, reason="bored")
    assert_untouched(ticket, "new", [])


def test_it_refuses_a_duplicate_without_the_ticket_it_duplicates(ticket: Ticket, engineer: User) -> None:
    drive_to(ticket, "open", engineer)
    before = event_ids(ticket)
    with pytest.raises(Refused) as refused:
        ticket_cancel(ticket=ticket, actor=engineer, reason="duplicate")
    assert refused.value.missing == ["the ticket this one duplicates"]
    assert_untouched(ticket, "open", before)
    ticket.refresh_from_db()
    assert ticket.cancel_reason == ""


def test_it_refuses_a_ticket_as_its_own_duplicate(ticket: Ticket, engineer: User) -> None:
    with pytest.raises(Refused) as refused:
        ticket_cancel(ticket=ticket, actor=engineer, reason="duplicate", duplicate_of=ticket)
    assert refused.value.missing == ["a different ticket to duplicate (not itself)"]
    assert_untouched(ticket, "new", [])


def test_it_cancels_a_duplicate_linked_to_the_original(ticket: Ticket, engineer: User) -> None:
    original = TicketFactory(organisation=ticket.organisation, requester=ticket.requester)
    ticket_cancel(ticket=ticket, actor=engineer, reason="duplicate", duplicate_of=original)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.cancel_reason, ticket.duplicate_of) == ("cancelled", "duplicate", original)
    assert ticket.closed_at is not None
    event = TimelineEvent.objects.get(ticket=ticket, kind="cancel")
    assert event.details["duplicate_of"] == original.pk


# --- the status is protected ----------------------------------------------------------------


def test_it_refuses_a_direct_status_assignment(ticket: Ticket) -> None:
    loaded = Ticket.objects.get(pk=ticket.pk)
    with pytest.raises(AttributeError):
        loaded.status = "closed"  # type: ignore[misc]
    assert loaded.status == "new"
    assert db_status(ticket) == "new"


PROJECT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "venv", "node_modules", "migrations", "tests", "static", "templates", "media"}


def _project_sources() -> Iterator[Path]:
    for path in PROJECT.rglob("*.py"):
        relative = path.relative_to(PROJECT)
        if SKIPPED_DIRS.isdisjoint(relative.parts[:-1]) and path.name != "conftest.py":
            yield path


def _mentions_ticket(node: ast.AST) -> bool:
    text = ast.unparse(node).lower()
    return "ticket" in text or text == "locked"


QUERYSET_WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}


def _sets_status(node: ast.AST) -> bool:
    """Whether one statement or call writes a ticket's status field."""
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(
            isinstance(t, ast.Attribute) and t.attr == "status" and _mentions_ticket(t.value) for t in targets
        )
    if not isinstance(node, ast.Call):
        return False
    func, args = node.func, node.args
    if isinstance(func, ast.Name) and func.id == "setattr":
        return len(args) >= 2 and ast.unparse(args[1]) == "'status'" and _mentions_ticket(args[0])
    if isinstance(func, ast.Attribute) and func.attr in QUERYSET_WRITES and _mentions_ticket(func.value):
        written = [k for k in node.keywords if k.arg == "status"]
        written += [
            k
            for k in node.keywords
            if k.arg in {"defaults", "create_defaults"} and "status" in ast.unparse(k.value)
        ]
        return bool(written) or (
            func.attr == "bulk_update" and "status" in " ".join(map(ast.unparse, args[1:]))
        )
    return False


def status_assignments(source: str, filename: str = "<source>") -> list[str]:
    """Places in `source` that set a ticket's status other than through a transition."""
    return [
        f"{filename}:{node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(source, filename))
        if _sets_status(node)
    ]


def test_it_finds_direct_status_assignments_when_there_are_some() -> None:
    source = (
        "ticket.status = 'closed'\n"
        "setattr(locked, 'status', 'open')\n"
        "Ticket.objects.filter(pk=1).update(status='resolved')\n"
        "handoff.status = 'done'\n"
        "Ticket.objects.filter(status='new').count()\n"
        "Ticket.objects.bulk_update(tickets, ['status'])\n"
        "tickets.update(priority='P1')\n"
        "TicketFactory.create(status='closed')\n"
    )
    assert [line.split(":")[1] for line in status_assignments(source)] == ["1", "2", "3", "6", "8"]


def test_it_assigns_the_ticket_status_nowhere_but_in_transitions() -> None:
    sources = list(_project_sources())
    assert {PROJECT / "tickets" / "services" / "lifecycle.py", PROJECT / "tickets" / "models.py"} <= set(
        sources
    )
    offenders = [hit for path in sources for hit in status_assignments(path.read_text(), str(path))]
    assert offenders == []


# --- who may take each transition -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "state"), [("triage", "new"), ("start", "open"), ("resolve", "in_progress")]
)
def test_it_refuses_a_customer_working_the_ticket(
    ticket: Ticket, engineer: User, customer: User, name: str, state: str
) -> None:
    drive_to(ticket, state, engineer)
    before = event_ids(ticket)
    with pytest.raises(PermissionDenied):
        run(name, ticket, customer)
    assert_untouched(ticket, state, before)


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("start", "open"),
        ("await_customer", "in_progress"),
        ("resolve", "in_progress"),
        ("cancel", "open"),
        ("customer_replied", "waiting_on_customer"),
        ("confirm_resolution", "resolved"),
        ("reopen", "resolved"),
    ],
)
def test_it_refuses_an_engineer_of_another_team(
    ticket: Ticket, engineer: User, other_engineer: User, name: str, state: str
) -> None:
    drive_to(ticket, state, engineer)
    before = event_ids(ticket)
    with pytest.raises(PermissionDenied):
        run(name, ticket, other_engineer)
    assert_untouched(ticket, state, before)


@pytest.mark.parametrize("persona", ["team_leader", "team_manager", "admin_user"])
def test_it_lets_leaders_managers_and_admins_work_the_ticket(
    request: pytest.FixtureRequest, ticket: Ticket, persona: str
) -> None:
    actor = request.getfixturevalue(persona)
    for name in ["triage", "start", "await_customer", "customer_replied", "resolve"]:
        run(name, ticket, actor)
    assert db_status(ticket) == "resolved"
    assert set(TimelineEvent.objects.filter(ticket=ticket).values_list("actor", flat=True)) == {actor.pk}


@pytest.mark.parametrize("name", ["confirm_resolution", "reopen"])
def test_it_lets_the_customer_of_the_organisation_confirm_or_reopen(
    ticket: Ticket, engineer: User, customer: User, name: str
) -> None:
    drive_to(ticket, "resolved", engineer)
    overrides = {"channel": ""} if name == "confirm_resolution" else {}
    run(name, ticket, customer, **overrides)
    assert db_status(ticket) == TRANSITIONS[name][1]
    assert TimelineEvent.objects.filter(ticket=ticket, kind=name, actor=customer).count() == 1


@pytest.mark.parametrize("name", ["confirm_resolution", "reopen"])
def test_it_refuses_a_customer_of_another_organisation(
    ticket: Ticket, engineer: User, other_customer: User, name: str
) -> None:
    drive_to(ticket, "resolved", engineer)
    before = event_ids(ticket)
    with pytest.raises(PermissionDenied):
        run(name, ticket, other_customer)
    assert_untouched(ticket, "resolved", before)


def test_it_refuses_the_customer_cancelling_the_ticket(ticket: Ticket, customer: User) -> None:
    with pytest.raises(PermissionDenied):
        run("cancel", ticket, customer)
    assert_untouched(ticket, "new", [])


# --- comments move a waiting ticket ---------------------------------------------------------


def test_it_resumes_work_when_the_customer_comments_on_a_waiting_ticket(
    ticket: Ticket, engineer: User, customer: User
) -> None:
    drive_to(ticket, "waiting_on_customer", engineer)
    before = event_ids(ticket)
    ticket_comment(ticket=ticket, actor=customer, body="Here is the log you asked for.")
    assert ticket.status == "in_progress"
    assert db_status(ticket) == "in_progress"
    new = list(TimelineEvent.objects.filter(ticket=ticket).exclude(pk__in=before))
    assert [(e.kind, e.actor, e.source, e.target) for e in new] == [
        ("comment", customer, "", ""),
        ("customer_replied", customer, "waiting_on_customer", "in_progress"),
    ]


def test_it_keeps_waiting_when_staff_comment(ticket: Ticket, engineer: User) -> None:
    drive_to(ticket, "waiting_on_customer", engineer)
    ticket_comment(ticket=ticket, actor=engineer, body="Reminder sent by phone.")
    assert db_status(ticket) == "waiting_on_customer"
    assert not TimelineEvent.objects.filter(ticket=ticket, kind="customer_replied").exists()


@pytest.mark.parametrize("state", ["new", "in_progress"])
def test_it_leaves_the_state_alone_when_the_customer_comments_otherwise(
    ticket: Ticket, engineer: User, customer: User, state: str
) -> None:
    drive_to(ticket, state, engineer)
    ticket_comment(ticket=ticket, actor=customer, body="Any news?")
    assert db_status(ticket) == state


def test_it_refuses_an_internal_comment_from_a_customer(ticket: Ticket, customer: User) -> None:
    with pytest.raises(PermissionDenied):
        ticket_comment(ticket=ticket, actor=customer, body="psst", is_internal=True)
    assert not Comment.objects.exists()
    assert event_ids(ticket) == []


def test_it_refuses_a_comment_from_another_organisation(ticket: Ticket, other_customer: User) -> None:
    with pytest.raises(PermissionDenied):
        ticket_comment(ticket=ticket, actor=other_customer, body="Hello?")
    assert not Comment.objects.exists()


def test_it_lets_staff_add_internal_comments(ticket: Ticket, engineer: User) -> None:
    comment = ticket_comment(ticket=ticket, actor=engineer, body="Looks like KB-17", is_internal=True)
    assert comment.is_internal
    event = TimelineEvent.objects.get(ticket=ticket, kind="comment")
    assert event.is_public is False
