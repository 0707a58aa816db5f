"""A team leader's work in the console and the API: assigning (one ticket, in bulk, by API),
following, the unread customer reply marker, the conversation's reply box, the queue's sorting,
saved views and self-refresh, and My work's team load and "waiting for me"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Team, User
from clocks.models import Clock, ClockState
from desk.models import SavedView
from desk.tests.test_pages import page, route_to
from escalations.models import EscalationPath, Tier, TierKind, TierStint
from notifications.models import Notification
from tests_support.factories import (
    OrganisationFactory,
    TicketFactory,
    make_agent,
    make_customer,
    office_calendar,
)
from tickets.models import Comment, Status, Ticket, TimelineEvent, Watcher
from tickets.services.conversation import ticket_comment
from tickets.services.steps import ticket_add_step
from tickets.services.watchers import ticket_add_cc

# --- personas and data ------------------------------------------------------------------------


@pytest.fixture
def other_leader(tier2: Team) -> User:
    """The team leader of another team than the ticket's (Tier 2): sees every ticket, assigns none of
    Tier 1's."""
    user = make_agent("Team leader", username="lena")
    tier2.leaders.add(user)
    return user


@pytest.fixture
def colleague(tier1: Team) -> User:
    return make_agent("Engineer", team=tier1, username="colin")


@pytest.fixture
def open_ticket(tier1_ticket: Ticket, engineer: User) -> Ticket:
    """Tier 1's triaged ticket, assigned to erin."""
    Ticket.objects.filter(pk=tier1_ticket.pk).update(status=Status.IN_PROGRESS, assignee=engineer)
    return Ticket.objects.get(pk=tier1_ticket.pk)


def as_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def as_api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- assigning: who may, everywhere -----------------------------------------------------------

# Who asks → the answer: the team leader of the ticket's team assigns; an engineer of the team and
# the leader of another team see the ticket, so they are refused (403); a customer, even of the
# ticket's organisation, has no such page (404).
ASSIGN_MATRIX = [("team_leader", 302), ("engineer", 403), ("other_leader", 403), ("customer", 404)]


@pytest.mark.parametrize(("persona", "expected"), ASSIGN_MATRIX)
def test_it_lets_only_the_teams_leader_reassign_from_the_ticket_page(
    request: pytest.FixtureRequest, open_ticket: Ticket, colleague: User, persona: str, expected: int
) -> None:
    client = as_client(request.getfixturevalue(persona))

    response = client.post(
        reverse("desk:ticket_assign", args=[open_ticket.pk]), {"assign-assignee": colleague.pk}
    )

    assert response.status_code == expected
    open_ticket.refresh_from_db()
    assert (open_ticket.assignee == colleague) == (expected == 302)
    events = TimelineEvent.objects.filter(ticket=open_ticket, kind="assigned")
    assert events.count() == (1 if expected == 302 else 0)
    if expected == 302:
        assert Notification.objects.filter(recipient=colleague, kind="ticket.assigned").exists()


@pytest.mark.parametrize(("persona", "expected"), ASSIGN_MATRIX)
def test_it_lets_only_the_teams_leader_reassign_in_bulk(
    request: pytest.FixtureRequest,
    open_ticket: Ticket,
    org: Any,
    customer: User,
    tier1: Team,
    service: Any,
    colleague: User,
    persona: str,
    expected: int,
) -> None:
    second = route_to(
        TicketFactory(organisation=org, requester=customer, created_by=customer, service=service), tier1
    )
    client = as_client(request.getfixturevalue(persona))

    response = client.post(
        reverse("desk:queue_assign"),
        {"ticket": [open_ticket.pk, second.pk], "assignee": colleague.pk, "next_query": "sort=-priority"},
    )

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == reverse("desk:queue") + "?sort=-priority"
    assigned = Ticket.objects.filter(pk__in=[open_ticket.pk, second.pk], assignee=colleague).count()
    assert assigned == (2 if expected == 302 else 0)


def test_it_reports_each_ticket_a_bulk_assignment_refused(
    client: Client,
    team_leader: User,
    open_ticket: Ticket,
    other_org: Any,
    other_customer: User,
    tier2: Team,
    colleague: User,
) -> None:
    """A Tier 2 ticket and a closed Tier 1 ticket ticked beside a good one: one assigned, two refused."""
    theirs = TicketFactory(
        organisation=other_org, requester=other_customer, created_by=other_customer, team=tier2, status="open"
    )
    closed = TicketFactory(
        organisation=open_ticket.organisation,
        requester=open_ticket.requester,
        created_by=open_ticket.requester,
        team=open_ticket.team,
        status="closed",
    )
    client.force_login(team_leader)

    response = client.post(
        reverse("desk:queue_assign"),
        {"ticket": [open_ticket.pk, theirs.pk, closed.pk], "assignee": colleague.pk},
        follow=True,
    )

    assert response.status_code == 200
    texts = [m.message for m in response.context["messages"]]
    assert texts[0] == f"Assigned to {colleague}: {open_ticket.reference}."
    assert any(t.startswith(f"Not assigned — {theirs.reference}: Only a team leader") for t in texts)
    assert any(t.startswith(f"Not assigned — {closed.reference}: Assigning refused") for t in texts)
    assert list(Ticket.objects.filter(assignee=colleague).values_list("pk", flat=True)) == [open_ticket.pk]
    # The refusals are shown on the queue page it returns to.
    assert len(page(response).select("li", cls="error")) == 2


def test_it_refuses_an_assignee_outside_the_team_keeping_the_choice(
    client: Client, team_leader: User, open_ticket: Ticket, other_engineer: User
) -> None:
    client.force_login(team_leader)

    response = client.post(
        reverse("desk:ticket_assign", args=[open_ticket.pk]), {"assign-assignee": other_engineer.pk}
    )

    assert response.status_code == 200
    html = page(response)
    assert html.one(id="assign").attrs.get("open") is not None  # the form stays open with its error
    assert html.errors(html.one(id="assign")) == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    open_ticket.refresh_from_db()
    assert open_ticket.assignee.username == "erin"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("team_leader", 200), ("engineer", 403), ("other_leader", 403), ("customer", 404)],
)
def test_it_lets_only_the_teams_leader_reassign_through_the_api(
    request: pytest.FixtureRequest, open_ticket: Ticket, colleague: User, persona: str, expected: int
) -> None:
    api = as_api(request.getfixturevalue(persona))

    response = api.post(f"/api/tickets/{open_ticket.pk}/assign/", {"assignee": colleague.pk}, format="json")

    assert response.status_code == expected, response.content
    open_ticket.refresh_from_db()
    assert (open_ticket.assignee == colleague) == (expected == 200)
    if expected == 200:
        assert response.json()["assignee"]["id"] == colleague.pk
        assert TimelineEvent.objects.filter(ticket=open_ticket, kind="assigned").count() == 1


def test_it_unassigns_through_the_api_and_rejects_a_stranger(
    team_leader: User, open_ticket: Ticket, other_engineer: User
) -> None:
    api = as_api(team_leader)

    stranger = api.post(
        f"/api/tickets/{open_ticket.pk}/assign/", {"assignee": other_engineer.pk}, format="json"
    )
    missing = api.post(f"/api/tickets/{open_ticket.pk}/assign/", {}, format="json")
    nobody = api.post(f"/api/tickets/{open_ticket.pk}/assign/", {"assignee": None}, format="json")

    assert stranger.status_code == 400 and "assignee" in stranger.json()["errors"]
    assert missing.status_code == 400
    assert nobody.status_code == 200 and nobody.json()["assignee"] is None
    open_ticket.refresh_from_db()
    assert open_ticket.assignee is None


def test_it_shows_the_assign_controls_only_to_those_who_may_assign(
    open_ticket: Ticket, team_leader: User, engineer: User, other_leader: User
) -> None:
    for user, may in ((team_leader, True), (engineer, False), (other_leader, False)):
        client = as_client(user)
        ticket_page = page(client.get(reverse("desk:ticket", args=[open_ticket.pk])))
        queue_page = page(client.get(reverse("desk:queue")))
        assert (ticket_page.by_id("assign") is not None) == may, user
        # The leader of another team may assign their own team's tickets: the bulk form is there,
        # but no ticket of this team can be.
        assert (queue_page.by_id("bulk-assign") is not None) == (user != engineer), user
        assert bool(queue_page.select("input", name="ticket")) == (user != engineer), user
    options = (
        page(as_client(team_leader).get(reverse("desk:ticket", args=[open_ticket.pk])))
        .one("select", name="assign-assignee")
        .select("option")
    )
    assert options[0].text == "Nobody (unassigned)"
    assert "selected" in next(o for o in options if o.attrs["value"] == str(open_ticket.assignee_id)).attrs


# --- following -------------------------------------------------------------------------------


def test_it_follows_and_unfollows_from_the_ticket_page_and_lists_who_watches(
    client: Client, other_engineer: User, open_ticket: Ticket, customer: User, org: Any
) -> None:
    cc = make_customer(org, username="cleo")
    ticket_add_cc(ticket=open_ticket, actor=customer, contact=cc)
    client.force_login(other_engineer)
    url = reverse("desk:ticket", args=[open_ticket.pk])
    assert page(client.get(url)).by_id("follow") is not None

    client.post(reverse("desk:ticket_follow", args=[open_ticket.pk]))
    html = page(client.get(url))

    assert html.by_id("unfollow") is not None and html.by_id("follow") is None
    watchers = html.one(id="watchers")
    assert [w.attrs["data-username"] for w in watchers.select(cls="follower")] == ["otto"]
    assert [w.attrs["data-username"] for w in watchers.select(cls="cc")] == ["cleo"]

    client.post(reverse("desk:ticket_unfollow", args=[open_ticket.pk]))
    assert not Watcher.objects.filter(ticket=open_ticket, user=other_engineer).exists()
    assert [e.kind for e in TimelineEvent.objects.filter(ticket=open_ticket, kind__startswith="watcher")] == [
        "watcher_added",
        "watcher_removed",
    ]


def test_it_follows_through_the_api_for_staff_only(
    other_engineer: User, customer: User, open_ticket: Ticket
) -> None:
    staff = as_api(other_engineer)

    assert staff.post(f"/api/tickets/{open_ticket.pk}/follow/").status_code == 200
    assert Watcher.objects.filter(ticket=open_ticket, user=other_engineer).exists()
    assert staff.post(f"/api/tickets/{open_ticket.pk}/unfollow/").status_code == 200
    assert not Watcher.objects.filter(ticket=open_ticket, user=other_engineer).exists()
    assert as_api(customer).post(f"/api/tickets/{open_ticket.pk}/follow/").status_code == 404
    assert not Watcher.objects.filter(ticket=open_ticket, user=customer).exists()


# --- the unread customer reply marker ----------------------------------------------------------


def test_it_marks_a_customer_reply_unread_until_a_staff_member_opens_the_ticket(
    client: Client, team_leader: User, engineer: User, customer: User, open_ticket: Ticket
) -> None:
    ticket_comment(ticket=open_ticket, actor=customer, body="Still failing this morning.")
    client.force_login(team_leader)

    def marked(url: str, **params: str) -> bool:
        row = page(client.get(url, params)).select("tr", data_ticket=str(open_ticket.pk))
        return bool(row and row[0].select("span", cls="unread-reply"))

    assert marked(reverse("desk:queue")) and marked(reverse("desk:queue"), tier="", sort="-status")
    assert as_api(engineer).get("/api/tickets/").json()["results"][0]["unread_customer_reply"] is True
    assert as_api(customer).get("/api/tickets/").json()["results"][0]["unread_customer_reply"] is None
    # Its assignee's My work shows it too.
    erin = as_client(engineer)
    assert page(erin.get(reverse("desk:my_work"))).select("span", cls="unread-reply")

    ticket_page = page(erin.get(reverse("desk:ticket", args=[open_ticket.pk])))

    assert ticket_page.by_id("unread-note") is not None  # the one who opens it sees why
    assert [c.one(cls="body").text for c in ticket_page.select("article", cls="unread")] == [
        "Still failing this morning."
    ]
    open_ticket.refresh_from_db()
    assert open_ticket.unread_customer_reply_at is None
    assert not marked(reverse("desk:queue"))
    assert as_api(engineer).get(f"/api/tickets/{open_ticket.pk}/").json()["unread_customer_reply"] is False


def test_it_keeps_the_marker_when_the_customer_reads_their_own_request(
    customer: User, open_ticket: Ticket
) -> None:
    ticket_comment(ticket=open_ticket, actor=customer, body="Any news?")
    as_api(customer).get(f"/api/tickets/{open_ticket.pk}/")
    open_ticket.refresh_from_db()
    assert open_ticket.unread_customer_reply_at is not None


# --- the conversation ----------------------------------------------------------------------------


def test_it_renders_the_reply_box_first_with_reply_to_customer_selected(
    staff_client: Client, open_ticket: Ticket
) -> None:
    ticket_comment(ticket=open_ticket, actor=open_ticket.requester, body="Hello?")

    html = page(staff_client.get(reverse("desk:ticket", args=[open_ticket.pk])))

    conversation = html.one(id="comments")
    first = next(n for n in conversation.children if not isinstance(n, str) and n.tag not in ("h2",))
    assert first.attrs.get("id") == "comment-form"
    radios = first.select("input", type="radio")
    assert [(r.attrs["value"], "checked" in r.attrs) for r in radios] == [("reply", True), ("note", False)]
    labels = [label.text for label in first.select("label", cls="mode")]
    assert labels == ["✉ Reply to customer", "✎ Internal note"]
    # The conversation comes before the troubleshooting log.
    ids = [n.attrs.get("id") for n in html.select() if n.attrs.get("id") in ("comments", "troubleshooting")]
    assert ids == ["comments", "troubleshooting"]


@pytest.mark.parametrize(
    ("mode", "internal", "message"),
    [
        ("reply", False, "Reply sent to the customer."),
        ("note", True, "Internal note added."),
        ("", False, None),
    ],
)
def test_it_posts_a_reply_or_an_internal_note(
    staff_client: Client, open_ticket: Ticket, customer: User, mode: str, internal: bool, message: str | None
) -> None:
    response = staff_client.post(
        reverse("desk:ticket_comment", args=[open_ticket.pk]),
        {"comment-mode": mode, "comment-body": "We are on it."},
        follow=True,
    )

    comment = Comment.objects.get(ticket=open_ticket)
    assert comment.is_internal is internal  # no mode given: the default, a reply
    if message:
        assert [m.message for m in response.context["messages"]] == [message]
    mailed = Notification.objects.filter(recipient=customer, kind="ticket.public_reply").exists()
    assert mailed is not internal


def test_it_keeps_the_mode_and_the_text_when_a_note_is_refused(
    staff_client: Client, open_ticket: Ticket
) -> None:
    response = staff_client.post(
        reverse("desk:ticket_comment", args=[open_ticket.pk]),
        {
            "comment-mode": "note",
            "comment-body": "Log from the DB host.",
            "comment-files": SimpleUploadedFile("payload.bat", b"@echo off"),
        },
    )

    assert response.status_code == 200
    html = page(response)
    form = html.one(id="comment-form")
    assert any('".bat" are not accepted' in e for e in html.errors(form))
    assert html.value("comment-body") == "Log from the DB host."
    assert [r.attrs["value"] for r in form.select("input", type="radio") if "checked" in r.attrs] == ["note"]
    assert not Comment.objects.filter(ticket=open_ticket).exists()


def test_it_offers_no_internal_note_to_who_may_not_write_one(open_ticket: Ticket, customer: User) -> None:
    """Only staff reach the console; the reply box hides the note mode for who cannot see internal content."""
    from desk.forms import CommentForm

    form = CommentForm({"comment-body": "x", "comment-mode": "note"}, prefix="comment")
    assert form.is_valid() and form.cleaned_data["is_internal"] is True
    assert as_client(customer).get(reverse("desk:ticket", args=[open_ticket.pk])).status_code == 403


def test_it_collapses_the_intake_once_triaged(
    staff_client: Client, ticket: Ticket, open_ticket: Ticket
) -> None:
    new = TicketFactory(
        organisation=ticket.organisation, requester=ticket.requester, created_by=ticket.requester
    )

    new_page = page(staff_client.get(reverse("desk:ticket", args=[new.pk])))
    triaged_page = page(staff_client.get(reverse("desk:ticket", args=[open_ticket.pk])))

    assert new_page.one(id="intake").tag == "details" and "open" in new_page.one(id="intake").attrs
    assert "open" not in triaged_page.one(id="intake").attrs
    assert open_ticket.business_impact in triaged_page.one(id="intake").text  # collapsed, not gone


def test_it_lists_to_do_steps_once(
    staff_client: Client, open_ticket: Ticket, team_leader: User, engineer: User
) -> None:
    ticket_add_step(
        ticket=open_ticket, actor=engineer, kind="log_analysis", action="Read the log", outcome="Timeout"
    )
    ticket_add_step(
        ticket=open_ticket, actor=team_leader, kind="suggested", action="Check the DB locks", state="to_do"
    )

    html = page(staff_client.get(reverse("desk:ticket", args=[open_ticket.pk])))

    assert html.html.count("Check the DB locks") == 1
    assert [li.one(cls="action").text for li in html.one(id="troubleshooting").select("li", cls="step")] == [
        "Read the log"
    ]
    assert len(html.one(id="to-do").select("li", cls="step")) == 1


# --- the queue: sorting, saved views, self-refresh --------------------------------------------


@pytest.fixture
def sortable_tickets(
    org: Any, customer: User, engineer: User, colleague: User, team_leader: User, tier1: Team, tier2: Team
) -> list[Ticket]:
    """Open tickets that differ in every column (with blanks where a column may be blank)."""
    globex = OrganisationFactory(name="Globex Logistics")
    path = EscalationPath.objects.create(name="Sorting ladder")
    tiers = [
        Tier.objects.create(path=path, name=name, level=i + 1, team=tier1)
        for i, name in enumerate(["Alpha tier", "Bravo tier"])
    ]
    now = timezone.now()
    rows = [
        # summary, status, priority, organisation, team, assignee, minutes ago, due in minutes, tier
        ("delta export", "new", "", org, None, None, 50, None, None),
        ("alpha export", "open", "P3", globex, tier1, None, 40, 90, 1),
        ("charlie export", "in_progress", "P1", org, tier1, engineer, 30, 30, 0),
        ("bravo export", "waiting_on_customer", "P2", globex, tier2, colleague, 20, 300, None),
        ("echo export", "in_progress", "P4", org, tier1, team_leader, 10, 5, 1),
    ]
    tickets = []
    calendar = office_calendar()
    content_type = ContentType.objects.get_for_model(Ticket)
    for summary, status, priority, organisation, team, assignee, ago, due, tier in rows:
        ticket = TicketFactory(
            organisation=organisation,
            requester=customer if organisation == org else make_customer(organisation),
            created_by=customer,
            summary=summary,
            status=status,
            priority=priority,
            team=team,
            assignee=assignee,
        )
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(minutes=ago))
        if due is not None:
            for kind, extra, state in (
                ("ticket.first_response", 0, ClockState.RUNNING),
                ("ticket.resolution", 600, ClockState.RUNNING),
                ("ticket.old", -1000, ClockState.STOPPED),
            ):
                Clock.objects.create(
                    content_type=content_type,
                    object_id=ticket.pk,
                    kind=kind,
                    calendar=calendar,
                    state=state,
                    started_at=now,
                    target_seconds=3600,
                    due_at=now + timedelta(minutes=due + extra),
                )
        if tier is not None:
            TierStint.objects.create(ticket=ticket, tier=tiers[tier])
        tickets.append(Ticket.objects.get(pk=ticket.pk))
    return tickets


def _status_rank(status: str) -> int:
    return ["new", "open", "in_progress", "waiting_on_customer", "resolved", "closed", "cancelled"].index(
        status
    )


def _due(ticket: Ticket) -> Any:
    due = Clock.objects.filter(object_id=ticket.pk, state=ClockState.RUNNING).order_by("due_at").first()
    return due.due_at if due else None


def _tier(ticket: Ticket) -> str | None:
    stint = TierStint.objects.filter(ticket=ticket, left_at__isnull=True).select_related("tier").first()
    return stint.tier.name if stint else None


SORT_KEYS: dict[str, Callable[[Ticket], Any]] = {
    "ref": lambda t: t.pk,
    "summary": lambda t: t.summary,
    "status": lambda t: _status_rank(t.status),
    "priority": lambda t: t.priority or None,
    "due": _due,
    "organisation": lambda t: t.organisation.name,
    "tier": _tier,
    "team": lambda t: t.team.name if t.team else None,
    "assignee": lambda t: (
        (t.assignee.first_name, t.assignee.last_name, t.assignee.username) if t.assignee else None
    ),
    "opened": lambda t: t.created_at,
}


def expected_order(tickets: list[Ticket], key: Callable[[Ticket], Any], descending: bool) -> list[str]:
    """Blanks last either way; ties newest first (as the queue breaks them)."""
    newest_first = sorted(tickets, key=lambda t: (t.created_at, t.pk), reverse=True)
    valued = [t for t in newest_first if key(t) is not None]
    blank = [t for t in newest_first if key(t) is None]
    return [t.reference for t in sorted(valued, key=key, reverse=descending) + blank]


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("column", list(SORT_KEYS))
def test_it_sorts_the_queue_by_every_column_both_ways(
    staff_client: Client, sortable_tickets: list[Ticket], column: str, descending: bool
) -> None:
    sort = f"-{column}" if descending else column

    html = page(staff_client.get(reverse("desk:queue"), {"sort": sort}))

    assert html.references() == expected_order(sortable_tickets, SORT_KEYS[column], descending)
    header = html.one("th", data_sort=column)
    assert header.attrs["aria-sort"] == ("descending" if descending else "ascending")
    # Clicking the sorted column again turns the order round; other columns start ascending.
    link = header.one("a").attrs["href"]
    assert link.endswith(f"sort={column}" if descending else f"sort=-{column}")


def test_it_sorts_the_queue_due_soonest_by_default(
    staff_client: Client, sortable_tickets: list[Ticket]
) -> None:
    html = page(staff_client.get(reverse("desk:queue")))

    assert html.references() == expected_order(sortable_tickets, _due, False)
    assert html.references()[0] == sortable_tickets[4].reference  # its first response is due in 5 minutes
    assert html.one("th", data_sort="due").attrs["aria-sort"] == "ascending"
    # An unknown sort falls back to the same.
    assert (
        page(staff_client.get(reverse("desk:queue"), {"sort": "password"})).references() == html.references()
    )


def test_it_keeps_the_sort_with_the_filters_and_the_pages(
    staff_client: Client, sortable_tickets: list[Ticket]
) -> None:
    html = page(staff_client.get(reverse("desk:queue"), {"sort": "-summary", "priority": ["P1", "P2"]}))

    assert html.references() == [sortable_tickets[2].reference, sortable_tickets[3].reference]
    assert html.one("input", id="queue-sort").attrs["value"] == "-summary"
    assert html.one("input", id="queue-sort").attrs["form"] == "queue-filters"
    priority_link = html.one("th", data_sort="priority").one("a").attrs["href"]
    assert priority_link == "?priority=P1&amp;priority=P2&amp;sort=priority" or (
        priority_link == "?priority=P1&priority=P2&sort=priority"
    )


def test_it_refreshes_the_results_keeping_filters_sort_and_page(
    staff_client: Client, sortable_tickets: list[Ticket]
) -> None:
    html = page(staff_client.get(reverse("desk:queue"), {"sort": "-due", "q": "export", "page": "1"}))

    results = html.one(id="queue-results")
    assert results.attrs["hx-trigger"] == "every 30s [queueMayRefresh()]"
    assert results.attrs["hx-get"] == reverse("desk:queue") + "?sort=-due&q=export&page=1"
    assert results.attrs["hx-target"] == "#results"
    # The partial the poll fetches carries the same trigger, so polling continues after each swap.
    partial = page(
        staff_client.get(
            reverse("desk:queue"), {"sort": "-due", "q": "export"}, headers={"HX-Request": "true"}
        )
    )
    assert partial.one(id="queue-results").attrs["hx-trigger"] == "every 30s [queueMayRefresh()]"
    assert partial.by_id("queue-filters") is None
    assert html.html.count("desk/queue.js") == 1


def test_it_saves_applies_and_deletes_a_view(
    client: Client, team_leader: User, engineer: User, sortable_tickets: list[Ticket]
) -> None:
    client.force_login(team_leader)
    url = reverse("desk:queue")

    saved = client.post(
        reverse("desk:saved_view_save"),
        {"view-name": "Urgent ones", "view-query": "priority=P1&priority=P2&sort=-summary&page=3"},
    )

    assert saved.status_code == 302 and saved["Location"] == url + "?priority=P1&priority=P2&sort=-summary"
    view = SavedView.objects.get(user=team_leader)
    assert (view.name, view.query) == ("Urgent ones", "priority=P1&priority=P2&sort=-summary")
    html = page(client.get(url))
    link = html.one("li", cls="saved-view").one("a", cls="view-apply")
    assert link.text == "Urgent ones"
    applied = page(client.get(link.attrs["href"]))
    assert applied.references() == [sortable_tickets[2].reference, sortable_tickets[3].reference]
    # Saving the same name again replaces its filters.
    client.post(reverse("desk:saved_view_save"), {"view-name": "Urgent ones", "view-query": "priority=P1"})
    assert list(SavedView.objects.filter(user=team_leader).values_list("query", flat=True)) == ["priority=P1"]
    # Another user neither sees nor deletes it.
    other = as_client(engineer)
    assert not page(other.get(url)).select("li", cls="saved-view")
    assert other.post(reverse("desk:saved_view_delete", args=[view.pk])).status_code == 404
    deleted = client.post(reverse("desk:saved_view_delete", args=[view.pk]))
    assert deleted.status_code == 302 and not SavedView.objects.exists()
    assert not page(client.get(url)).select("li", cls="saved-view")


def test_it_refuses_a_view_without_a_name(client: Client, team_leader: User) -> None:
    client.force_login(team_leader)
    response = client.post(
        reverse("desk:saved_view_save"), {"view-name": " ", "view-query": "sort=team"}, follow=True
    )
    assert not SavedView.objects.exists()
    assert [m.message for m in response.context["messages"]] == [
        "Give the view a name (at most 80 characters) to save it."
    ]


# --- My work for a team leader -----------------------------------------------------------------


def test_it_shows_a_team_leader_the_load_of_their_team(
    client: Client,
    team_leader: User,
    engineer: User,
    colleague: User,
    org: Any,
    customer: User,
    tier1: Team,
    tier2: Team,
) -> None:
    def ticket(status: str, assignee: User | None, team: Team = tier1) -> None:
        TicketFactory(
            organisation=org,
            requester=customer,
            created_by=customer,
            status=status,
            team=team,
            assignee=assignee,
        )

    for status, assignee in [
        ("open", engineer),
        ("in_progress", engineer),
        ("in_progress", engineer),
        ("waiting_on_customer", colleague),
        ("open", None),
        ("new", None),
        ("closed", engineer),
    ]:
        ticket(status, assignee)
    ticket("open", None, tier2)  # another team's: not in the load
    client.force_login(team_leader)

    html = page(client.get(reverse("desk:my_work")))

    load = html.one(id="team-load")
    rows = {
        r.attrs["data-username"]: [td.text for td in r.select("td")][1:]
        for r in load.select("tr", cls="load-row")
    }
    # New, Open, In progress, Waiting on customer, total open
    assert rows["erin"] == ["0", "1", "2", "0", "3"]
    assert rows["colin"] == ["0", "0", "0", "1", "1"]
    assert rows[""] == ["1", "1", "0", "0", "2"]
    assert "Tier 1" in load.one("h2").text
    assert as_client(engineer).get(reverse("desk:my_work")).context["load"] is None
    assert page(as_client(engineer).get(reverse("desk:my_work"))).by_id("team-load") is None


def test_it_shows_what_waits_for_the_users_decision(client: Client, world: Any) -> None:
    """Approvals for the approver, acknowledgements for the escalation manager, decisions for the IT
    manager."""
    from cases.services import core as case_core
    from cases.services import plans as case_plans
    from cases.services import requests as case_requests
    from desk.tests.test_queries import escalated_ticket

    ticket = escalated_ticket(world, "pending")
    esme = make_agent("Escalation manager", username="esme")
    case = case_requests.case_request(
        ticket=ticket,
        actor=world["carla"],
        reason="critical_impact",
        level="next_tier",
        review=case_core.Review(problem_statement_correct=True, business_impact="Big"),
    )
    decision_tier = Tier.objects.filter(kind=TierKind.DECISION).select_related("team").first()
    stuck = TicketFactory(
        organisation=ticket.organisation,
        requester=world["carla"],
        created_by=world["carla"],
        status="in_progress",
        team=decision_tier.team,
    )
    TierStint.objects.create(ticket=stuck, tier=decision_tier)
    it_manager = next(u for u in world.users.values() if u.has_role("IT manager") and not u.is_superuser)

    def waiting(user: User) -> dict[str, list[str]]:
        html = page(as_client(user).get(reverse("desk:my_work")))
        box = html.by_id("waiting-for-me")
        if box is None:
            return {}
        return {ul.attrs["id"]: [li.one("a").text for li in ul.select("li")] for ul in box.select("ul")}

    approvals = waiting(world["ravi"])["waiting-approvals"]
    assert len(approvals) == 1 and ticket.reference in approvals[0]
    assert waiting(esme) == {"waiting-acknowledgements": [f"{ticket.reference} {ticket.summary}"]}
    assert waiting(it_manager) == {"waiting-decisions": [f"{stuck.reference} {stuck.summary}"]}
    assert waiting(world["tom"]) == {}
    case_plans.case_acknowledge(case=case, actor=esme)
    assert waiting(esme) == {}
