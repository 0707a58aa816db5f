"""Portal fixtures: the customer's browser session and a request of theirs in each state."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from escalations.tests.conftest import world  # noqa: F401  (the seeds' staffed ladders)


@pytest.fixture
def carla(client: Client, customer: User) -> Client:
    """The portal as Carla of Acme Manufacturing."""
    client.force_login(customer)
    return client
