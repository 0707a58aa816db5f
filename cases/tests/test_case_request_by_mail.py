"""A request that came in by e-mail leaves seed 002's review to the escalation managers."""

from __future__ import annotations

import pytest

from accounts.models import User
from cases.models import CaseRequest
from cases.services import requests as case_requests
from cases.services.core import Review
from escalation_desk.domain import InvalidInput, Refused
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_it_accepts_an_e_mail_request_with_the_review_to_complete(ticket: Ticket, customer: User) -> None:
    case = case_requests.case_request(
        ticket=ticket,
        actor=customer,
        reason="other",
        level="next_tier",
        review=Review(),
        reason_detail="Nobody answers.",
        channel="email",
        review_to_complete=True,
    )
    request = CaseRequest.objects.get(case=case)
    assert (request.channel, request.review_to_complete, request.reason_detail) == (
        "email",
        True,
        "Nobody answers.",
    )


def test_it_still_needs_the_reason_by_e_mail(ticket: Ticket, customer: User) -> None:
    with pytest.raises(Refused) as refusal:
        case_requests.case_request(
            ticket=ticket,
            actor=customer,
            reason="other",
            level="next_tier",
            review=Review(),
            channel="email",
            review_to_complete=True,
        )
    assert refusal.value.missing == ["what the reason is (you chose “other”)"]


def test_only_e_mail_may_leave_the_review_to_complete(ticket: Ticket, customer: User) -> None:
    with pytest.raises(InvalidInput):
        case_requests.case_request(
            ticket=ticket,
            actor=customer,
            reason="production_down",
            level="next_tier",
            review=Review(),
            channel="portal",
            review_to_complete=True,
        )
    with pytest.raises(Refused) as refusal:  # the portal keeps asking for the review
        case_requests.case_request(
            ticket=ticket,
            actor=customer,
            reason="production_down",
            level="next_tier",
            review=Review(),
            channel="portal",
        )
    assert "the business impact" in refusal.value.missing
