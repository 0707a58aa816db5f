"""Every inbound message with its outcome is visible in Django admin, read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from mail.models import InboundMessage
from mail.services import receive_message
from tests_support.factories import make_agent

from .conftest import message

pytestmark = pytest.mark.django_db


def test_it_lists_inbound_messages_read_only_for_administrators(client: Client, customer: User) -> None:
    receive_message(message(subject="Payroll export fails"), source="pipe")
    receive_message(
        message(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}), source="pipe"
    )
    record = InboundMessage.objects.get(subject="Out of office")
    client.force_login(make_agent("Administrator", username="ada"))
    listing = client.get(reverse("admin:mail_inboundmessage_changelist"))
    assert listing.status_code == 200
    assert b"Payroll export fails" in listing.content and b"Out of office" in listing.content
    page = client.get(reverse("admin:mail_inboundmessage_change", args=[record.pk]))
    assert page.status_code == 200 and b"Auto-Submitted: auto-replied" in page.content
    assert b'name="_save"' not in page.content
    assert client.get(reverse("admin:mail_inboundmessage_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:mail_inboundmessage_delete", args=[record.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert InboundMessage.objects.count() == 2


def test_engineers_do_not_see_the_inbound_log(client: Client, engineer: User) -> None:
    client.force_login(engineer)
    assert client.get(reverse("admin:mail_inboundmessage_changelist")).status_code in (302, 403)
