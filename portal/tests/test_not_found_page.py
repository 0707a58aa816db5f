"""The 404 page: a customer sees the portal's look and a way back; staff the console's."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from accounts.models import User


@override_settings(DEBUG=False)
@pytest.mark.django_db
def test_the_not_found_page_speaks_to_who_is_looking(client: Client, customer: User, engineer: User) -> None:
    client.force_login(customer)
    r = client.get("/portal/requests/999999/")
    assert r.status_code == 404
    assert b"Back to your support requests" in r.content and b"Customer support" in r.content
    client.force_login(engineer)
    r = client.get("/desk/tickets/999999/")
    assert r.status_code == 404 and b"Back to your support requests" not in r.content
    client.logout()
    r = client.get("/nowhere/")
    assert r.status_code == 404 and b"Back to your support requests" not in r.content
