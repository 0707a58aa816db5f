"""The agent console's pages: what staff see on them, the queue's filters and the happy path.

The helpers at the top (an HTML reader, the console's form input for each transition and a
way to drive a ticket to a state through the services) are shared by the other desk tests.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Team, User
from tests_support.factories import PASSWORD, TicketFactory
from tickets import selectors
from tickets.models import Attachment, CloseKind, Comment, Status, Ticket, TimelineEvent, TroubleshootingStep
from tickets.services.attachments import ticket_attach
from tickets.services.conversation import ticket_comment
from tickets.services.intake import INTAKE_TEXT_FIELDS
from tickets.services.lifecycle import TRANSITION_SERVICES
from tickets.services.steps import ticket_add_step

# --- reading pages ---------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                found.append(child)
                found.extend(child.walk())
        return found

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)

    @property
    def text(self) -> str:
        return " ".join(self.raw_text().split())

    def select(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.select(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag or '*'} class={cls} {attrs}>, found {len(found)}"
        return found[0]


class Page(HTMLParser):
    """A parsed HTML page or fragment with the few look-ups the tests need."""

    def __init__(self, html: str | bytes) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html.decode() if isinstance(html, bytes) else html
        self.root = Node("#root", {}, None)
        self._open = self.root
        self.feed(self.html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs}, self._open)
        self._open.children.append(node)
        if tag not in VOID:
            self._open = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.children.append(Node(tag, {k: v or "" for k, v in attrs}, self._open))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self._open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self._open = node.parent

    def handle_data(self, data: str) -> None:
        self._open.children.append(data)

    def select(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return self.root.select(tag, cls, **attrs)

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        return self.root.one(tag, cls, **attrs)

    def by_id(self, element_id: str) -> Node | None:
        found = self.select(id=element_id)
        return found[0] if found else None

    def transitions(self) -> list[str]:
        """Names of the transition forms offered, in page order."""
        return [
            n.attrs["id"].removeprefix("transition-")
            for n in self.select("details")
            if n.attrs.get("id", "").startswith("transition-")
        ]

    def refusals(self, within: Node | None = None) -> list[str]:
        scope = within or self.root
        return [li.text for box in scope.select(cls="refusal") for li in box.select("li")]

    def errors(self, within: Node | None = None) -> list[str]:
        return [n.text for n in (within or self.root).select(cls="error")]

    def value(self, name: str) -> str | list[str]:
        """What a form field named `name` holds as rendered (select: the selected values)."""
        field = self.one(name=name)
        if field.tag == "textarea":
            return field.raw_text().removeprefix("\n").removeprefix("\r\n")
        if field.tag == "select":
            return [o.attrs.get("value", "") for o in field.select("option") if "selected" in o.attrs]
        if field.attrs.get("type") == "checkbox":
            return "on" if "checked" in field.attrs else ""
        return field.attrs.get("value", "")

    def references(self) -> list[str]:
        """Ticket references listed in the ticket tables, in order."""
        return [td.text for td in self.select("td", cls="ref")]


def page(response: Any) -> Page:
    return Page(response.content)


# --- console input and states ----------------------------------------------------------------

INTAKE_FIELDS = [*INTAKE_TEXT_FIELDS, "critical_milestone", "priority", "category", "service"]

# Console form input (unprefixed) that satisfies every guard of each transition but triage,
# whose input is the ticket's intake (see `transition_input`).
CONSOLE_INPUT: dict[str, dict[str, str]] = {
    "start": {"assignee": ""},
    "await_customer": {"reason": "Send the export log of last night's run."},
    "customer_replied": {"note": "Carla sent the log by e-mail."},
    "resolve": {
        "resolution_summary": "Raised the export timeout to 2 hours.",
        "root_cause": "The March period has three times the usual rows.",
        "fix_kind": "permanent",
    },
    "confirm_resolution": {"channel": "phone", "note": "Carla confirmed by phone."},
    "reopen": {"reason": "The export still stops at 50 %."},
    "cancel": {"reason": "withdrawn", "note": "Customer fixed it themselves.", "duplicate_of": ""},
}

# The state each transition is taken from in these tests, the state it leads to, and the
# transitions (through the services) that bring a new ticket to that source state.
SOURCE = {
    "triage": "new",
    "start": "open",
    "await_customer": "in_progress",
    "customer_replied": "waiting_on_customer",
    "resolve": "in_progress",
    "confirm_resolution": "resolved",
    "reopen": "resolved",
    "cancel": "new",
}
TARGET = {
    "triage": "open",
    "start": "in_progress",
    "await_customer": "waiting_on_customer",
    "customer_replied": "in_progress",
    "resolve": "resolved",
    "confirm_resolution": "closed",
    "reopen": "in_progress",
    "cancel": "cancelled",
}
PATHS: dict[str, list[str]] = {
    "new": [],
    "open": ["triage"],
    "in_progress": ["triage", "start"],
    "waiting_on_customer": ["triage", "start", "await_customer"],
    "resolved": ["triage", "start", "resolve"],
    "closed": ["triage", "start", "resolve", "confirm_resolution"],
    "cancelled": ["cancel"],
}
SERVICE_INPUT: dict[str, dict[str, Any]] = {
    "triage": {},
    "start": {},
    "await_customer": {"reason": CONSOLE_INPUT["await_customer"]["reason"]},
    "customer_replied": {"note": CONSOLE_INPUT["customer_replied"]["note"]},
    "resolve": CONSOLE_INPUT["resolve"],
    "confirm_resolution": {"channel": "phone", "note": "Confirmed."},
    "reopen": {"reason": "Still broken."},
    "cancel": {"reason": "withdrawn", "note": "Not needed."},
}

STAFF = ["engineer", "other_engineer", "team_leader", "team_manager", "admin_user"]
WORKERS = ["engineer", "team_leader", "team_manager", "admin_user"]
CUSTOMERS = ["customer", "other_customer"]
PERSONAS = ["anonymous", *CUSTOMERS, *STAFF]


def intake_input(ticket: Ticket, prefix: str = "") -> dict[str, str]:
    """The ticket's current intake as the console's intake form posts it."""
    p = f"{prefix}-" if prefix else ""
    data = {f"{p}{f}": getattr(ticket, f) for f in INTAKE_TEXT_FIELDS}
    data[f"{p}critical_milestone"] = (
        ticket.critical_milestone.isoformat() if ticket.critical_milestone else ""
    )
    data[f"{p}priority"] = ticket.priority
    data[f"{p}category"] = str(ticket.category_id or "")
    data[f"{p}service"] = str(ticket.service_id or "")
    return data


def transition_input(name: str, ticket: Ticket, **overrides: str) -> dict[str, str]:
    """Prefixed POST data for transition `name` that its guards accept, with overrides."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    if name == "triage":
        data = intake_input(ticket, "triage")
    else:
        data = {f"{name}-{k}": v for k, v in CONSOLE_INPUT[name].items()}
    data.update({f"{name}-{k}": v for k, v in overrides.items()})
    return data


def drive_to(ticket: Ticket, state: str, actor: User) -> Ticket:
    """Take a new ticket to `state` through the services, as `actor`."""
    for name in PATHS[state]:
        TRANSITION_SERVICES[name](ticket=ticket, actor=actor, **SERVICE_INPUT[name])
    ticket.refresh_from_db()
    assert ticket.status == state
    return ticket


def route_to(ticket: Ticket, team: Team) -> Ticket:
    """Place a new ticket with a team before triage (as the escalation rules may)."""
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    ticket.refresh_from_db()
    return ticket


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """What a refused or denied request must leave as it was, re-read from the database."""
    row = Ticket.objects.get(pk=ticket.pk)
    return {
        "status": row.status,
        "events": TimelineEvent.objects.filter(ticket=ticket).count(),
        "comments": Comment.objects.filter(ticket=ticket).count(),
        "steps": TroubleshootingStep.objects.filter(ticket=ticket).count(),
        "attachments": Attachment.objects.filter(ticket=ticket).count(),
        "intake": {f: getattr(row, f) for f in INTAKE_TEXT_FIELDS},
        "assignee": row.assignee_id,
        "team": row.team_id,
    }


def client_as(persona: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def event_kinds(ticket: Ticket) -> list[str]:
    return list(
        TimelineEvent.objects.filter(ticket=ticket).order_by("at", "pk").values_list("kind", flat=True)
    )


# --- the ticket page ---------------------------------------------------------------------------


def test_it_shows_the_ticket_with_its_intake_and_timeline(staff_client: Client, ticket: Ticket) -> None:
    response = staff_client.get(reverse("desk:ticket", args=[ticket.pk]))

    assert response.status_code == 200
    html = page(response)
    assert html.one(id="ticket-summary").text == ticket.summary
    assert ticket.business_impact in html.one(id="intake").text
    assert [li.attrs["data-kind"] for li in html.one(id="timeline").select("li")] == event_kinds(ticket)


def test_it_shows_internal_comments_to_staff_marked_internal_and_never_to_customers(
    staff_client: Client, ticket: Ticket, engineer: User, customer: User
) -> None:
    ticket_comment(ticket=ticket, actor=customer, body="The export is empty again.")
    ticket_comment(ticket=ticket, actor=engineer, body="Suspect the DB timeout.", is_internal=True)
    customer_client = Client()
    customer_client.force_login(customer)

    html = page(staff_client.get(reverse("desk:ticket", args=[ticket.pk])))
    customer_view = customer_client.get(reverse("desk:ticket", args=[ticket.pk]))

    comments = html.one(id="comments").select("article", cls="comment")
    shown = [(c.one(cls="body").text, "internal" in c.classes, c.one(cls="badge").text) for c in comments]
    assert shown == [  # newest first, under the reply box
        ("Suspect the DB timeout.", True, "internal note"),
        ("The export is empty again.", False, "public"),
    ]
    assert customer_view.status_code == 403
    assert b"Suspect the DB timeout." not in customer_view.content


def test_it_marks_internal_evidence_files_of_a_step_as_internal(
    staff_client: Client, ticket: Ticket, engineer: User
) -> None:
    ticket_add_step(
        ticket=ticket,
        actor=engineer,
        kind="log_analysis",
        action="Read the export log",
        outcome="Timeout after 1800 s",
        files=[SimpleUploadedFile("export.log", b"ERR-504\n")],
    )

    html = page(staff_client.get(reverse("desk:ticket", args=[ticket.pk])))

    step = html.one(id="troubleshooting").one("li", cls="step")
    assert "Read the export log" in step.text
    assert step.one("ul", cls="files").text.endswith("· internal")


@pytest.mark.parametrize("state", [s.value for s in Status])
@pytest.mark.parametrize("persona", STAFF)
def test_it_offers_exactly_the_transitions_the_user_may_take(
    request: pytest.FixtureRequest, tier1_ticket: Ticket, engineer: User, persona: str, state: str
) -> None:
    drive_to(tier1_ticket, state, engineer)
    user = request.getfixturevalue(persona)

    html = page(client_as(persona, request).get(reverse("desk:ticket", args=[tier1_ticket.pk])))

    expected = selectors.available_transitions(Ticket.objects.get(pk=tier1_ticket.pk), user)
    assert html.transitions() == expected
    if persona == "other_engineer":
        assert expected == []
        assert html.by_id("transitions") is None
    elif state in ("closed", "cancelled"):
        assert expected == []
    else:
        assert expected, "a worker of the ticket has something to do in every open state"


def test_it_offers_triage_and_cancel_on_a_new_ticket(staff_client: Client, ticket: Ticket) -> None:
    html = page(staff_client.get(reverse("desk:ticket", args=[ticket.pk])))

    assert html.transitions() == ["triage", "cancel"]
    summaries = [html.one(id=f"transition-{n}").one("summary").text for n in html.transitions()]
    assert summaries == ["Triage", "Cancel"]
    triage_form = html.one(id="transition-triage").one("form")
    assert triage_form.attrs["action"] == f"/desk/tickets/{ticket.pk}/triage/"
    assert html.value("triage-business_impact") == ticket.business_impact


def test_it_lets_any_engineer_triage_a_ticket_no_team_has_yet(
    client: Client, ticket: Ticket, other_engineer: User
) -> None:
    """docs/lifecycle.md: while a new ticket has no team, any engineer may triage it."""
    client.force_login(other_engineer)

    assert page(client.get(reverse("desk:ticket", args=[ticket.pk]))).transitions() == ["triage", "cancel"]


def test_it_shows_the_intake_form_filled_with_the_ticket(staff_client: Client, ticket: Ticket) -> None:
    html = page(staff_client.get(reverse("desk:ticket_intake", args=[ticket.pk])))

    assert html.value("summary") == ticket.summary
    assert html.value("business_impact") == ticket.business_impact
    assert html.value("service") == [str(ticket.service_id)]


def test_it_saves_the_intake_and_records_what_changed(staff_client: Client, ticket: Ticket) -> None:
    data = intake_input(ticket) | {"business_impact": "Salaries of 1,200 people are late."}

    response = staff_client.post(reverse("desk:ticket_intake", args=[ticket.pk]), data)

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.business_impact == "Salaries of 1,200 people are late."
    event = TimelineEvent.objects.get(ticket=ticket, kind="intake_updated")
    assert list(event.details["changed"]) == ["business_impact"]


# --- my work -----------------------------------------------------------------------------------


def test_it_lists_my_tickets_and_my_teams_unassigned_ones_on_my_work(
    staff_client: Client,
    org: Any,
    customer: User,
    engineer: User,
    other_engineer: User,
    tier1: Team,
    tier2: Team,
) -> None:
    def make(summary: str, **kwargs: Any) -> Ticket:
        return TicketFactory(organisation=org, requester=customer, summary=summary, **kwargs)

    mine = make("Mine", team=tier1, assignee=engineer, status="in_progress")
    team_free = make("Tier 1 unassigned", team=tier1, status="open")
    make("Taken by a colleague", team=tier1, assignee=other_engineer, status="in_progress")
    make("Tier 2 unassigned", team=tier2, status="open")
    make("Mine but closed", team=tier1, assignee=engineer, status="closed")

    html = page(staff_client.get(reverse("desk:my_work")))

    cards = html.select("section", cls="card")
    assert [td.text for td in cards[0].select("td", cls="ref")] == [mine.reference]
    assert [td.text for td in cards[1].select("td", cls="ref")] == [team_free.reference]


# --- the queue ---------------------------------------------------------------------------------


@pytest.fixture
def queue_tickets(
    org: Any, other_org: Any, customer: User, other_customer: User, engineer: User, tier1: Team, tier2: Team
) -> dict[str, Ticket]:
    def make(summary: str, **kwargs: Any) -> Ticket:
        kwargs.setdefault("organisation", org)
        kwargs.setdefault("requester", customer if kwargs["organisation"] == org else other_customer)
        return TicketFactory(summary=summary, description=f"{summary} since this morning.", **kwargs)

    return {
        "new_p2": make("Payroll export fails", priority="P2"),
        "new_p1": make("Invoices not sent", priority="P1", organisation=other_org),
        "open_t1": make("VPN drops every hour", priority="P3", status="open", team=tier1),
        "mine": make(
            "Printer queue stuck", priority="P2", status="in_progress", team=tier1, assignee=engineer
        ),
        "open_t2": make("Payroll slow on Mondays", priority="P4", status="open", team=tier2),
        "closed": make("Payroll totals wrong", priority="P2", status="closed", team=tier1, assignee=engineer),
    }


def queue_refs(client: Client, **params: Any) -> list[str]:
    response = client.get(reverse("desk:queue"), params)
    assert response.status_code == 200
    return page(response).references()


def refs(tickets: dict[str, Ticket], *names: str) -> list[str]:
    """References of the named tickets, newest first (the queue's order)."""
    chosen = sorted((tickets[n] for n in names), key=lambda t: (t.created_at, t.pk), reverse=True)
    return [t.reference for t in chosen]


def test_it_lists_open_tickets_of_every_organisation_by_default(
    staff_client: Client, queue_tickets: dict[str, Ticket]
) -> None:
    assert queue_refs(staff_client) == refs(queue_tickets, "new_p2", "new_p1", "open_t1", "mine", "open_t2")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "new"}, ["new_p2", "new_p1"]),
        ({"status": ["open", "closed"]}, ["open_t1", "open_t2", "closed"]),
        ({"status": "closed"}, ["closed"]),
        ({"priority": "P2"}, ["new_p2", "mine"]),
        ({"priority": ["P1", "P4"]}, ["new_p1", "open_t2"]),
        ({"assignee": "me"}, ["mine"]),
        ({"assignee": "none"}, ["new_p2", "new_p1", "open_t1", "open_t2"]),
        ({"q": "payroll"}, ["new_p2", "open_t2"]),
        ({"q": "PAYROLL", "status": "closed"}, ["closed"]),
        ({"q": "Globex"}, ["new_p1"]),
        ({"status": "new", "priority": "P2", "q": "payroll"}, ["new_p2"]),
    ],
)
def test_it_filters_the_queue(
    staff_client: Client, queue_tickets: dict[str, Ticket], params: dict[str, Any], expected: list[str]
) -> None:
    assert queue_refs(staff_client, **params) == refs(queue_tickets, *expected)


def test_it_filters_the_queue_by_team(
    staff_client: Client, queue_tickets: dict[str, Ticket], tier1: Team, tier2: Team
) -> None:
    assert queue_refs(staff_client, team=tier1.pk) == refs(queue_tickets, "open_t1", "mine")
    assert queue_refs(staff_client, team=tier2.pk) == refs(queue_tickets, "open_t2")


@pytest.mark.parametrize("spelling", ["{ref}", "{ref_lower}", "ED-{pk}", "  {ref}  "])
def test_it_finds_a_ticket_by_its_reference(
    staff_client: Client, queue_tickets: dict[str, Ticket], spelling: str
) -> None:
    wanted = queue_tickets["open_t1"]
    q = spelling.format(ref=wanted.reference, ref_lower=wanted.reference.lower(), pk=wanted.pk)

    assert queue_refs(staff_client, q=q) == [wanted.reference]


def test_it_keeps_the_chosen_filters_in_the_filter_form(
    staff_client: Client, queue_tickets: dict[str, Ticket]
) -> None:
    html = page(staff_client.get(reverse("desk:queue"), {"status": "new", "priority": "P2", "q": "payroll"}))

    assert html.value("status") == ["new"]
    assert html.value("priority") == ["P2"]
    assert html.value("q") == "payroll"


def test_it_paginates_the_queue_by_25(staff_client: Client, org: Any, customer: User) -> None:
    TicketFactory.create_batch(30, organisation=org, requester=customer)

    first = page(staff_client.get(reverse("desk:queue")))
    second = page(staff_client.get(reverse("desk:queue"), {"page": 2}))

    assert len(first.references()) == 25
    assert len(second.references()) == 5
    assert not set(first.references()) & set(second.references())
    assert "Page 2 of 2" in second.one("nav", cls="pager").text


def test_it_keeps_the_filters_in_the_pager_links(staff_client: Client, org: Any, customer: User) -> None:
    TicketFactory.create_batch(27, organisation=org, requester=customer, priority="P1")
    TicketFactory.create_batch(3, organisation=org, requester=customer, priority="P3")

    html = page(staff_client.get(reverse("desk:queue"), {"priority": "P1"}))

    older = html.one("nav", cls="pager").one("a")
    assert older.attrs["href"] == "?priority=P1&page=2"
    assert len(page(staff_client.get(reverse("desk:queue") + older.attrs["href"])).references()) == 2


def test_it_answers_an_htmx_request_with_the_results_only(
    staff_client: Client, queue_tickets: dict[str, Ticket]
) -> None:
    full = staff_client.get(reverse("desk:queue"), {"status": "new"})
    partial = staff_client.get(reverse("desk:queue"), {"status": "new"}, headers={"HX-Request": "true"})

    assert b"<html" in full.content
    assert b"<html" not in partial.content
    assert b"<form" not in partial.content
    assert page(partial).references() == refs(queue_tickets, "new_p2", "new_p1")


def test_it_answers_htmx_history_restoration_with_the_whole_page(
    staff_client: Client, queue_tickets: dict[str, Ticket]
) -> None:
    """After hx-push-url, Back with an empty history cache asks for the page to restore it whole."""
    response = staff_client.get(
        reverse("desk:queue"),
        {"status": "new"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert b"<html" in response.content
    assert page(response).references() == refs(queue_tickets, "new_p2", "new_p1")


def test_it_tells_caches_the_queue_differs_for_htmx_requests(staff_client: Client) -> None:
    response = staff_client.get(reverse("desk:queue"))

    assert "HX-Request" in response.headers.get("Vary", "")


# --- attachments -------------------------------------------------------------------------------


@pytest.fixture
def acme_attachment(ticket: Ticket, customer: User) -> Attachment:
    upload = SimpleUploadedFile("export.log", b"ERR-504 upstream timeout\n", content_type="text/plain")
    return ticket_attach(ticket=ticket, actor=customer, upload=upload)


def download(client: Client, attachment: Attachment) -> Any:
    return client.get(reverse("desk:attachment", args=[attachment.pk]))


@pytest.mark.parametrize("persona", STAFF)
def test_it_lets_staff_download_an_attachment(
    request: pytest.FixtureRequest, acme_attachment: Attachment, persona: str
) -> None:
    response = download(client_as(persona, request), acme_attachment)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"ERR-504 upstream timeout\n"
    assert 'filename="export.log"' in response.headers["Content-Disposition"]


def test_it_hides_an_attachment_of_another_organisation(
    client: Client, acme_attachment: Attachment, other_customer: User
) -> None:
    client.force_login(other_customer)

    assert download(client, acme_attachment).status_code == 404


def test_it_hides_internal_attachments_from_the_customer(
    client: Client, ticket: Ticket, engineer: User, customer: User
) -> None:
    internal = ticket_attach(
        ticket=ticket, actor=engineer, upload=SimpleUploadedFile("notes.txt", b"our notes"), is_internal=True
    )
    client.force_login(customer)

    assert download(client, internal).status_code == 404


def test_it_sends_anonymous_downloads_to_sign_in(client: Client, acme_attachment: Attachment) -> None:
    response = download(client, acme_attachment)

    assert response.status_code == 302
    assert response.url.startswith("/desk/login/")


def test_it_answers_404_for_an_attachment_that_does_not_exist(staff_client: Client) -> None:
    assert staff_client.get(reverse("desk:attachment", args=[999_999])).status_code == 404


# --- the happy path ----------------------------------------------------------------------------


def test_it_takes_a_phone_call_to_a_confirmed_resolution_through_the_console(
    staff_client: Client, engineer: User, customer: User, service: Any, category: Any, tier1: Team
) -> None:
    intake = {
        "requester": customer.pk,
        "channel": "phone",
        "summary": "Payroll export stops half way",
        "description": "The nightly export stops at 50 % and writes an empty file.",
        "symptoms": "Job status 'failed' after 30 minutes.",
        "replication_steps": "Payroll > Export > Nightly, March period.",
        "error_messages": "ERR-504 upstream timeout",
        "recent_changes": "none",
        "business_impact": "Salaries cannot be paid on Friday.",
        "workaround": "",
        "critical_milestone": "",
        "priority": "P2",
        "category": category.pk,
        "service": service.pk,
    }
    response = staff_client.post(reverse("desk:ticket_new"), intake)
    assert response.status_code == 302
    ticket = Ticket.objects.get(summary="Payroll export stops half way")
    assert response.url == reverse("desk:ticket", args=[ticket.pk])
    assert (ticket.requester, ticket.organisation, ticket.created_by, ticket.channel) == (
        customer,
        customer.organisation,
        engineer,
        "phone",
    )

    for name in ["triage", "start", "await_customer", "customer_replied", "resolve", "confirm_resolution"]:
        response = staff_client.post(
            reverse("desk:ticket_transition", args=[ticket.pk, name]), transition_input(name, ticket)
        )
        assert response.status_code == 302, page(response).refusals()
        assert Ticket.objects.get(pk=ticket.pk).status == TARGET[name]

    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.team == tier1
    assert ticket.assignee == engineer
    assert ticket.close_kind == CloseKind.CONFIRMED_ON_BEHALF
    assert ticket.confirmation_note == "Carla confirmed by phone."
    assert event_kinds(ticket) == [
        "created",
        "triage",
        "start",
        "await_customer",
        "customer_replied",
        "resolve",
        "confirm_resolution",
    ]
    assert TimelineEvent.objects.get(ticket=ticket, kind="confirm_resolution").details["channel"] == "phone"

    html = page(staff_client.get(reverse("desk:ticket", args=[ticket.pk])))
    assert html.transitions() == []
    assert "Raised the export timeout" in html.one(id="resolution").text


def test_it_records_who_works_the_ticket_when_starting_it_for_a_colleague(
    client: Client, tier1_ticket: Ticket, engineer: User, team_leader: User
) -> None:
    drive_to(tier1_ticket, "open", engineer)
    client.force_login(team_leader)

    response = client.post(
        reverse("desk:ticket_transition", args=[tier1_ticket.pk, "start"]),
        transition_input("start", tier1_ticket, assignee=str(engineer.pk)),
    )

    assert response.status_code == 302
    tier1_ticket.refresh_from_db()
    assert (tier1_ticket.status, tier1_ticket.assignee) == ("in_progress", engineer)


def test_it_shows_the_duplicate_a_cancelled_ticket_points_to(
    staff_client: Client, ticket: Ticket, org: Any, customer: User
) -> None:
    original = TicketFactory(organisation=org, requester=customer)

    response = staff_client.post(
        reverse("desk:ticket_transition", args=[ticket.pk, "cancel"]),
        transition_input("cancel", ticket, reason="duplicate", duplicate_of=original.reference.lower()),
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.duplicate_of) == ("cancelled", original)
    html = page(staff_client.get(reverse("desk:ticket", args=[ticket.pk])))
    assert f"Duplicate of {original.reference}" in html.root.text
    assert any(a.attrs.get("href") == reverse("desk:ticket", args=[original.pk]) for a in html.select("a"))


def test_it_sends_anonymous_visitors_to_sign_in_and_back(client: Client, ticket: Ticket) -> None:
    url = reverse("desk:ticket", args=[ticket.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/desk/login/?next={url}"


def test_it_signs_in_staff_with_a_password(client: Client, engineer: User) -> None:
    response = client.post(reverse("desk:login"), {"username": engineer.username, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("desk:my_work")
    assert page(client.get(response.url)).one("h1").text == "My work"


def test_it_finds_a_closed_ticket_by_its_reference(
    staff_client: Client, queue_tickets: dict[str, Ticket]
) -> None:
    closed = queue_tickets["closed"]

    assert queue_refs(staff_client, q=closed.reference) == [closed.reference]
    assert queue_refs(staff_client, q="payroll") == refs(queue_tickets, "new_p2", "open_t2")


def test_it_ignores_filters_it_does_not_understand_and_says_so(
    staff_client: Client, queue_tickets: dict[str, Ticket]
) -> None:
    response = staff_client.get(reverse("desk:queue"), {"status": "bogus"})

    assert page(response).references() == refs(
        queue_tickets, "new_p2", "new_p1", "open_t1", "mine", "open_t2"
    )
    assert "These filters were not understood" in response.content.decode()


def test_it_names_the_states_in_plain_words_on_my_work(staff_client: Client) -> None:
    html = staff_client.get(reverse("desk:my_work")).content.decode()

    assert "Waiting on customer" in html and "In progress" in html
