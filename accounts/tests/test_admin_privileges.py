"""Role escalation in admin (issue 10 point 2): only superusers grant superuser, staff status,
permissions or the Administrator role; nobody changes their own roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from tests_support.factories import make_agent

pytestmark = pytest.mark.django_db


def change_data(user: User, **overrides: Any) -> dict[str, Any]:
    """What the admin's change form posts for the user, plus the overrides."""
    joined = timezone.localtime(user.date_joined)
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
        "title": "",
        "phone": "",
        "organisation": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def administrator(client: Client) -> User:
    user = make_agent(str(Role.ADMINISTRATOR), username="ada")
    client.force_login(user)
    return user


def test_an_administrator_cannot_make_themselves_superuser_or_change_their_roles(
    client: Client, administrator: User
) -> None:
    leadership = Group.objects.get(name=str(Role.LEADERSHIP))
    url = reverse("admin:accounts_user_change", args=[administrator.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page

    response = client.post(
        url, change_data(administrator, is_superuser="on", is_staff="on", groups=[leadership.pk])
    )

    assert response.status_code == 302, response.content
    administrator.refresh_from_db()
    assert not administrator.is_superuser
    assert set(administrator.groups.values_list("name", flat=True)) == {str(Role.ADMINISTRATOR)}


def test_an_administrator_grants_other_roles_but_never_administrator_or_superuser(
    client: Client, administrator: User
) -> None:
    engineer = make_agent(str(Role.ENGINEER), username="eddie")
    admin_group = Group.objects.get(name=str(Role.ADMINISTRATOR))
    leader_group = Group.objects.get(name=str(Role.TEAM_LEADER))
    url = reverse("admin:accounts_user_change", args=[engineer.pk])
    page = client.get(url).content.decode()
    assert f'value="{leader_group.pk}"' in page and f'value="{admin_group.pk}"' not in page

    refused = client.post(url, change_data(engineer, is_superuser="on", groups=[admin_group.pk]))
    assert refused.status_code == 200  # the Administrator role is not a choice: the form says so
    engineer.refresh_from_db()
    assert not engineer.is_superuser and not engineer.has_role(Role.ADMINISTRATOR)

    response = client.post(url, change_data(engineer, is_superuser="on", groups=[leader_group.pk]))
    assert response.status_code == 302
    engineer.refresh_from_db()
    assert not engineer.is_superuser
    assert set(engineer.groups.values_list("name", flat=True)) == {str(Role.TEAM_LEADER)}


def test_a_superuser_grants_superuser_to_others(client: Client) -> None:
    root = User.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    other = make_agent(str(Role.ENGINEER), username="eddie")

    response = client.post(
        reverse("admin:accounts_user_change", args=[other.pk]),
        change_data(other, is_superuser="on", is_staff="on"),
    )

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.is_superuser
