"""Console test fixtures; the browser ones (browser, page, shots) live in tests_support/browser.py."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Team, User
from escalations.tests.conftest import world  # noqa: F401  (the escalations app's staffed world, for desk tests)
from tickets.models import Ticket


@pytest.fixture
def staff_client(client: Client, engineer: User) -> Client:
    """The console as the Tier 1 engineer."""
    client.force_login(engineer)
    return client


@pytest.fixture
def tier1_ticket(ticket: Ticket, tier1: Team) -> Ticket:
    """The new ticket, already placed with Tier 1 (so only Tier 1 and its leads may work it)."""
    from .test_pages import route_to

    return route_to(ticket, tier1)
