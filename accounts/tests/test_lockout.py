"""Brute force: every login path locks out a username and an IP address after the failure limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import User
from tests_support.factories import PASSWORD, make_agent

pytestmark = pytest.mark.django_db

LIMIT = settings.LOGIN_FAILURE_LIMIT
HOME_IP = "203.0.113.10"


@dataclass(frozen=True)
class LoginPath:
    name: str
    url: str
    success: int  # the status of a successful login
    look: str  # a string only the site's own base template has

    def attempt(self, client: Client, username: str, password: str, ip: str = HOME_IP):
        if self.name == "token":
            return client.post(
                self.url,
                {"username": username, "password": password},
                content_type="application/json",
                REMOTE_ADDR=ip,
            )
        return client.post(self.url, {"username": username, "password": password}, REMOTE_ADDR=ip)


PATHS = [
    LoginPath("desk", "/desk/login/", 302, "Escalation Desk · tiered support escalation, enforced"),
    LoginPath("portal", "/portal/login/", 302, "Customer support"),
    LoginPath("admin", "/admin/login/", 302, "Escalation Desk · tiered support escalation, enforced"),
    LoginPath("token", "/api/auth/token/", 200, ""),
]


@pytest.fixture
def staff() -> User:
    return make_agent("Engineer", username="erin")


def fail(path: LoginPath, client: Client, username: str, times: int = LIMIT, ip: str = HOME_IP) -> list[int]:
    return [path.attempt(client, username, "wrong-password", ip).status_code for _ in range(times)]


def assert_locked_out(path: LoginPath, response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    if path.name == "token":
        assert "Too many failed sign-in attempts" in response.json()["detail"]
        assert not Token.objects.exists()
    else:
        text = response.content.decode()
        assert "Too many failed sign-in attempts. Try again after" in text
        assert path.look in text
        assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_it_refuses_the_right_password_after_too_many_wrong_ones(path: LoginPath, staff: User) -> None:
    client = Client()

    statuses = fail(path, client, "erin")
    right = path.attempt(client, "erin", PASSWORD)

    assert statuses[:-1] == [400 if path.name == "token" else 200] * (LIMIT - 1)
    assert statuses[-1] == 429  # the failure that reaches the limit already answers "too many"
    assert_locked_out(path, right)
    assert AccessAttempt.objects.filter(username="erin").exists()
    assert AccessFailureLog.objects.filter(username="erin", locked_out=True).exists()


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_it_lets_the_right_password_in_below_the_limit(path: LoginPath, staff: User) -> None:
    client = Client()
    fail(path, client, "erin", times=LIMIT - 1)

    assert path.attempt(client, "erin", PASSWORD).status_code == path.success


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_it_locks_the_username_out_from_another_address(path: LoginPath, staff: User) -> None:
    fail(path, Client(), "erin", ip=HOME_IP)

    assert_locked_out(path, path.attempt(Client(), "erin", PASSWORD, ip="198.51.100.7"))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_it_locks_the_address_out_for_another_username(path: LoginPath, staff: User) -> None:
    make_agent("Engineer", username="otto")
    fail(path, Client(), "nobody-by-this-name", ip=HOME_IP)

    assert_locked_out(path, path.attempt(Client(), "otto", PASSWORD, ip=HOME_IP))
    assert path.attempt(Client(), "otto", PASSWORD, ip="198.51.100.7").status_code == path.success


def test_it_counts_failures_on_every_path_together(staff: User) -> None:
    desk, portal, admin, token = PATHS
    fail(desk, Client(), "erin", times=2)
    fail(portal, Client(), "erin", times=1)
    fail(admin, Client(), "erin", times=1)
    fail(token, Client(), "erin", times=LIMIT - 4)

    assert_locked_out(desk, desk.attempt(Client(), "erin", PASSWORD))


def test_it_lets_the_user_in_after_the_cool_off(staff: User) -> None:
    desk = PATHS[0]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(desk, Client(), "erin")
        assert desk.attempt(Client(), "erin", PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES - 1), tick=False):
        assert desk.attempt(Client(), "erin", PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES + 2), tick=False):
        assert desk.attempt(Client(), "erin", PASSWORD).status_code == 302


def test_it_says_how_many_minutes_are_left(staff: User) -> None:
    desk = PATHS[0]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(desk, Client(), "erin")
    with time_machine.travel(start + timedelta(minutes=5, seconds=30), tick=False):
        response = desk.attempt(Client(), "erin", PASSWORD)

    # The cool-off runs from the failure that locked out; trying again meanwhile does not extend it.
    assert f"Try again after {settings.LOGIN_COOLOFF_MINUTES - 5} minutes" in response.content.decode()
    assert response["Retry-After"] == str((settings.LOGIN_COOLOFF_MINUTES - 5) * 60)


def test_an_administrator_unlocks_in_admin(staff: User, admin_user: User) -> None:
    desk = PATHS[0]
    fail(desk, Client(), "erin")
    fail(desk, Client(), "erin", times=1, ip="198.51.100.7")
    assert desk.attempt(Client(), "erin", PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(admin_user)
    listed = admin.get("/admin/axes/accessattempt/")
    one = AccessAttempt.objects.filter(username="erin").first()

    answer = admin.post(
        "/admin/axes/accessattempt/", {"action": "unlock_selected", "_selected_action": [one.pk]}
    )

    assert listed.status_code == 200 and "Unlock" in listed.content.decode()
    assert answer.status_code == 302
    assert not AccessAttempt.objects.filter(username="erin").exists()
    assert desk.attempt(Client(), "erin", PASSWORD).status_code == 302


def test_the_administrator_role_may_unlock(staff: User) -> None:
    desk = PATHS[0]
    fail(desk, Client(), "erin")
    administrator = Client()
    administrator.force_login(make_agent("Administrator", username="ada"))

    administrator.post(
        "/admin/axes/accessattempt/",
        {
            "action": "unlock_selected",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
    )

    assert not AccessAttempt.objects.exists()


def test_an_engineer_cannot_unlock(staff: User) -> None:
    fail(PATHS[0], Client(), "otto-the-unknown")
    engineer = Client()
    engineer.force_login(staff)

    engineer.post(
        "/admin/axes/accessattempt/",
        {
            "action": "unlock_selected",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
        },
    )

    assert AccessAttempt.objects.exists()


def test_it_reads_the_address_behind_trusted_proxies(staff: User, settings) -> None:
    settings.LOGIN_TRUSTED_PROXY_COUNT = 1
    desk = PATHS[0]
    for _ in range(LIMIT):
        Client().post(
            desk.url,
            {"username": f"guess-{_}", "password": "x"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.99",
        )

    # The proxy (10.0.0.1) itself is not locked out: the caller it saw (192.0.2.99) is.
    assert desk.attempt(Client(), "erin", PASSWORD, ip="10.0.0.1").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.99"}
