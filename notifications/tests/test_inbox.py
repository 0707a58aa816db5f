"""The in-app inbox and the header's unread badge: own notifications only, fixed queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from desk.tests.test_pages import page
from notifications import services
from notifications.models import Channel, Notification, State

from .conftest import KIND

pytestmark = pytest.mark.django_db

INBOX_QUERIES = (
    8  # session, user, its permissions (2: header links), unread + pending-approval counts, page count, rows
)


def inbox_items(user: User, n: int, *, read: int = 0) -> list[Notification]:
    """n in-app notifications, newest last, the first `read` of them read."""
    now = timezone.now()
    return Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                channel=Channel.IN_APP,
                kind=KIND,
                subject=f"SLA warning on T-{i}",
                dedup_key=f"ticket:{i}:sla_warning",
                state=State.SENT,
                sent_at=now,
                created_at=now - timedelta(minutes=n - i),
                link=f"/desk/tickets/{i}/",
                read_at=now if i < read else None,
            )
            for i in range(n)
        ]
    )


@pytest.fixture
def erin_client(client: Client, engineer: User) -> Client:
    client.force_login(engineer)
    return client


def test_it_lists_my_notifications_newest_first_with_unread_highlighted(
    erin_client: Client, engineer: User, other_engineer: User
) -> None:
    inbox_items(engineer, 3, read=1)
    inbox_items(other_engineer, 2)

    html = page(erin_client.get(reverse("notifications:inbox")))

    items = html.select("li", cls="notification")
    assert [i.one(cls="subject").text for i in items] == [f"SLA warning on T-{i}" for i in (2, 1, 0)]
    assert ["unread" in i.classes for i in items] == [True, True, False]
    assert html.one("span", cls="unread-count").text == "2"


def test_it_counts_unread_in_the_console_header(erin_client: Client, engineer: User) -> None:
    assert page(erin_client.get(reverse("desk:my_work"))).select("span", cls="unread-count") == []

    inbox_items(engineer, 4, read=1)

    badge = page(erin_client.get(reverse("desk:my_work"))).one("span", cls="unread-count")
    assert badge.text == "3"
    assert badge.parent.attrs["href"] == reverse("notifications:inbox")


def test_it_marks_one_read(erin_client: Client, engineer: User) -> None:
    first, second = inbox_items(engineer, 2)

    response = erin_client.post(reverse("notifications:mark_read", args=[first.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("notifications:inbox")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_it_opens_a_notification_at_its_link_and_marks_it_read(erin_client: Client, engineer: User) -> None:
    [item] = inbox_items(engineer, 1)

    response = erin_client.post(reverse("notifications:open", args=[item.pk]))

    assert response.status_code == 302 and response["Location"] == "/desk/tickets/0/"
    item.refresh_from_db()
    assert item.read_at is not None


def test_it_marks_all_of_mine_read_and_nobody_elses(
    erin_client: Client, engineer: User, other_engineer: User
) -> None:
    inbox_items(engineer, 3)
    inbox_items(other_engineer, 2)

    response = erin_client.post(reverse("notifications:mark_all_read"))

    assert response.status_code == 302
    assert services.mark_all_read(user=engineer) == 0
    assert Notification.objects.filter(recipient=other_engineer, read_at__isnull=True).count() == 2


@pytest.mark.parametrize("name", ["notifications:mark_read", "notifications:open"])
def test_it_answers_404_for_someone_elses_notification(
    erin_client: Client, other_engineer: User, name: str
) -> None:
    [theirs] = inbox_items(other_engineer, 1)

    assert erin_client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert erin_client.post(reverse(name, args=[theirs.pk + 1000])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_does_not_list_email_rows(erin_client: Client, engineer: User) -> None:
    [email] = services.notify(
        recipients=[engineer],
        kind=KIND,
        context={"reference": "T-9"},
        dedup_key="k",
        channels=[Channel.EMAIL],
    )

    assert page(erin_client.get(reverse("notifications:inbox"))).select("li", cls="notification") == []
    assert erin_client.post(reverse("notifications:mark_read", args=[email.pk])).status_code == 404


def test_it_refuses_gets_on_actions_and_anonymous_visitors(client: Client, engineer: User) -> None:
    [item] = inbox_items(engineer, 1)

    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302 and reverse("desk:login") in response["Location"]
    assert client.post(reverse("notifications:mark_read", args=[item.pk])).status_code == 302
    client.force_login(engineer)
    assert client.get(reverse("notifications:mark_read", args=[item.pk])).status_code == 405
    item.refresh_from_db()
    assert item.read_at is None


def test_it_ignores_an_offsite_next(erin_client: Client, engineer: User) -> None:
    [item] = inbox_items(engineer, 1)

    response = erin_client.post(
        reverse("notifications:mark_read", args=[item.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("notifications:inbox")


def test_it_shows_the_inbox_in_a_fixed_number_of_queries(
    erin_client: Client, engineer: User, django_assert_max_num_queries: Any
) -> None:
    url = reverse("notifications:inbox")
    erin_client.get(url)

    inbox_items(engineer, 5, read=2)
    with django_assert_max_num_queries(INBOX_QUERIES) as small_queries:
        small = erin_client.get(url)
    Notification.objects.all().delete()
    inbox_items(engineer, 100, read=50)
    with django_assert_max_num_queries(INBOX_QUERIES) as large_queries:
        large = erin_client.get(url)

    assert len(page(small).select("li", cls="notification")) == 5
    assert len(page(large).select("li", cls="notification")) == 25
    assert page(large).one("span", cls="unread-count").text == "50"
    assert len(small_queries) == len(large_queries)


def test_it_counts_unread_only_for_staff(
    client: Client, customer: User, django_assert_num_queries: Any
) -> None:
    inbox_items(customer, 3)
    client.force_login(customer)
    client.get(reverse("notifications:inbox"))

    with django_assert_num_queries(INBOX_QUERIES - 4):  # no header counts nor staff links for a customer
        response = client.get(reverse("notifications:inbox"))

    assert page(response).select("span", cls="unread-count") == []
    assert len(page(response).select("li", cls="notification")) == 3


def test_it_groups_entries_by_ticket_and_marks_a_group_read(erin_client: Client, engineer: User) -> None:
    now = timezone.now()
    rows = [
        Notification(
            recipient=engineer,
            channel=Channel.IN_APP,
            kind=KIND,
            subject=subject,
            dedup_key=key,
            state=State.SENT,
            sent_at=now,
            created_at=now - timedelta(minutes=age),
            thread=thread,
            context={"reference": reference, "summary": "Payroll export", "message": subject},
            link="/desk/tickets/1/",
        )
        for subject, key, age, thread, reference in [
            ("Carla replied", "a", 1, "ticket-1", "ED-000001"),
            ("Tom replied", "b", 2, "ticket-2", "ED-000002"),
            ("Tess assigned you", "c", 3, "ticket-1", "ED-000001"),
            ("Daily report", "d", 4, "", ""),
        ]
    ]
    Notification.objects.bulk_create(rows)

    html = page(erin_client.get(reverse("notifications:inbox")))
    groups = html.select("div", cls="inbox-group")
    assert [g.attrs.get("data-thread") for g in groups] == ["ticket-1", "ticket-2", None]
    assert [len(g.select("li", cls="notification")) for g in groups] == [2, 1, 1]
    assert "ED-000001 Payroll export" in groups[0].text

    response = erin_client.post(reverse("notifications:mark_thread_read"), {"thread": "ticket-1"})
    assert response.status_code == 302
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("dedup_key", flat=True))
    assert unread == {"b", "d"}
