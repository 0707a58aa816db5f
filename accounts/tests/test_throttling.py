"""DRF throttling: per user, per anonymous address, and a tight scope on the token endpoint."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from tests_support.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Low rates for the test; DRF reads THROTTLE_RATES once, when the throttle class is defined."""
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "3/minute", "token": "2/minute"}
    )


def test_the_settings_name_every_rate() -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    assert set(rates) >= {"anon", "user", "token"}
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ]


def test_it_throttles_a_signed_in_user(low_rates: None, engineer: User) -> None:
    client = APIClient()
    client.force_authenticate(engineer)

    statuses = [client.get("/api/tickets/").status_code for _ in range(4)]
    last = client.get("/api/tickets/")

    assert statuses == [200, 200, 200, 429]
    assert "throttled" in last.json()["detail"]
    assert int(last["Retry-After"]) > 0


def test_each_user_has_a_count_of_their_own(low_rates: None, engineer: User, other_engineer: User) -> None:
    first, second = APIClient(), APIClient()
    first.force_authenticate(engineer)
    second.force_authenticate(other_engineer)
    for _ in range(3):
        first.get("/api/tickets/")

    assert first.get("/api/tickets/").status_code == 429
    assert second.get("/api/tickets/").status_code == 200


def test_it_throttles_an_anonymous_address(low_rates: None, db: None) -> None:
    client = APIClient()

    statuses = [client.get("/api/schema/", REMOTE_ADDR="203.0.113.5").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/schema/", REMOTE_ADDR="203.0.113.6").status_code == 200


def test_the_token_endpoint_has_a_tight_scope_of_its_own(low_rates: None, customer: User) -> None:
    client = APIClient()
    wrong = {"username": "someone", "password": "nope"}

    statuses = [client.post("/api/auth/token/", wrong, format="json").status_code for _ in range(2)]
    right = client.post(
        "/api/auth/token/", {"username": customer.username, "password": PASSWORD}, format="json"
    )

    assert statuses == [400, 400]
    assert right.status_code == 429
    assert set(right.json()) == {"detail"}
