"""The generic approval gate (SPEC §5), on a subject the approvals app knows nothing about:
who may decide, what each decision needs, the decision time frame's reminder and overdue
notice at business instants, the subject's check before approving, and cancelling."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accounts.models import Team, User
from approvals import registry
from approvals.models import ApprovalRequest, ApprovalStatus
from approvals.services import (
    DECISION_CLOCK,
    approval_approve,
    approval_cancel,
    approval_file,
    approval_request_changes,
)
from clocks.models import Clock, ClockState
from clocks.sweep import sweep_due_deadlines
from escalation_desk.domain import Refused
from notifications.models import Notification
from tests_support.factories import make_agent, office_calendar

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SUBJECT = "accounts.team"  # any model will do: the app is generic


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in London; 23 November 2026 is a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


class Recorder:
    """Stands in for the subject app: hears decisions and time frames, may refuse an approval."""

    def __init__(self) -> None:
        self.decided: list[tuple[int, str, bool]] = []
        self.time_frame: list[tuple[int, str]] = []
        self.still_missing: list[str] = []

    def on_decided(self, request: ApprovalRequest) -> None:
        # Inside the decision's transaction: the row already has its new status.
        self.decided.append(
            (
                request.pk,
                request.status,
                ApprovalRequest.objects.filter(pk=request.pk, status=request.status).exists(),
            )
        )

    def before_approve(self, request: ApprovalRequest) -> list[str]:
        return list(self.still_missing)

    def on_time_frame(self, request: ApprovalRequest, point: str) -> None:
        self.time_frame.append((request.pk, point))


@pytest.fixture
def subject_app(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setitem(registry._handlers, SUBJECT, recorder.on_decided)
    monkeypatch.setitem(registry._checks, SUBJECT, recorder.before_approve)
    monkeypatch.setitem(registry._time_frame, SUBJECT, recorder.on_time_frame)
    return recorder


@pytest.fixture
def people(db) -> dict[str, User]:
    return {
        "eng": make_agent("Engineer", username="eng"),
        "lead": make_agent("Team leader", username="lead"),
        "boss": make_agent("Team manager", username="boss"),
        "other_lead": make_agent("Team leader", username="other_lead"),
    }


@pytest.fixture
def subject(db) -> Team:
    return Team.objects.create(name="Field service")


def file(subject: Team, people: dict[str, User], **kwargs) -> ApprovalRequest:
    values = {
        "subject": subject,
        "title": "Send an engineer on site",
        "reference": "T-1",
        "link": "/desk/tickets/1/",
        "approvers": [people["lead"], people["boss"]],
        "overdue_recipients": [people["boss"]],
        "requested_by": people["eng"],
        "calendar": office_calendar(),
        "decision_seconds": 240 * 60,
        "package": [{"title": "Why", "items": [{"text": "Remote steps failed"}]}],
    }
    values.update(kwargs)
    return approval_file(**values)


def notified(kind: str, request: ApprovalRequest) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, dedup_key__startswith=f"approval:{request.pk}:").values_list(
            "recipient__username", flat=True
        )
    )


def decision_clock(request: ApprovalRequest) -> Clock:
    return Clock.objects.get(content_type__app_label="approvals", object_id=request.pk, kind=DECISION_CLOCK)


def test_filing_needs_an_eligible_approver_other_than_the_requester(
    subject: Team, people: dict[str, User], subject_app: Recorder
) -> None:
    with pytest.raises(Refused) as refused:
        file(subject, people, approvers=[people["eng"]])
    assert refused.value.missing == ["a team leader or manager (other than the requester) to decide it"]
    people["lead"].is_active = False
    people["lead"].save()
    with pytest.raises(Refused):
        file(subject, people, approvers=[people["lead"], people["eng"]])
    assert not ApprovalRequest.objects.exists()
    assert not Clock.objects.filter(kind=DECISION_CLOCK).exists()

    with time_machine.travel(at(23, 15), tick=False):
        request = file(subject, people, approvers=[people["lead"], people["eng"], people["boss"]])
    assert {u.username for u in request.approvers.all()} == {"boss"}  # the inactive and the requester dropped
    assert (request.status, request.subject, request.requested_at) == (
        ApprovalStatus.PENDING,
        subject,
        at(23, 15),
    )
    assert notified("approvals.requested", request) == {"boss"}


def test_a_follow_up_must_follow_a_request_sent_back_with_changes(
    subject: Team, people: dict[str, User], subject_app: Recorder
) -> None:
    first = file(subject, people)
    with pytest.raises(Refused) as refused:
        file(subject, people, previous=first)
    assert refused.value.missing == ["a previous request that was sent back with changes to make"]
    approval_request_changes(request=first, actor=people["lead"], steps=["Check the cabling"])
    follow_up = file(subject, people, previous=first)
    assert (follow_up.previous, first.follow_up) == (first, follow_up)
    # A request is followed up once: a second follow-up of the same request is refused.
    with pytest.raises(Refused) as refused:
        file(subject, people, previous=first)
    assert refused.value.missing == ["a previous request that has not been followed up already"]
    assert ApprovalRequest.objects.count() == 2


def test_who_may_decide_and_what_each_decision_needs(
    subject: Team, people: dict[str, User], subject_app: Recorder
) -> None:
    request = file(subject, people)
    assert list(ApprovalRequest.objects.decidable_by(people["lead"])) == [request]
    assert list(ApprovalRequest.objects.decidable_by(people["eng"])) == []
    assert list(ApprovalRequest.objects.decidable_by(people["other_lead"])) == []

    with pytest.raises(PermissionDenied, match="your own request"):
        approval_approve(request=request, actor=people["eng"], notes="Mine, approved")
    with pytest.raises(PermissionDenied, match="Only a team leader or manager"):
        approval_approve(request=request, actor=people["other_lead"], notes="Fine")
    with pytest.raises(PermissionDenied):
        approval_request_changes(request=request, actor=people["other_lead"], steps=["More"])
    with pytest.raises(Refused) as refused:
        approval_approve(request=request, actor=people["lead"], notes="   ")
    assert refused.value.missing == ["approval notes (what was reviewed and why it may go ahead)"]
    with pytest.raises(Refused) as refused:
        approval_request_changes(request=request, actor=people["lead"], steps=["", " "], notes="Do more")
    assert refused.value.missing == ["the additional troubleshooting steps to perform"]
    request.refresh_from_db()
    assert (request.status, request.decided_by, subject_app.decided) == (ApprovalStatus.PENDING, None, [])

    with time_machine.travel(at(23, 16), tick=False):
        approval_approve(request=request, actor=people["lead"], notes="  Remote options exhausted.  ")
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decided_at, request.decision_notes) == (
        ApprovalStatus.APPROVED,
        people["lead"],
        at(23, 16),
        "Remote options exhausted.",
    )
    assert subject_app.decided == [(request.pk, ApprovalStatus.APPROVED, True)]
    assert decision_clock(request).state == ClockState.STOPPED

    # Decided once: neither approver can decide it again, either way.
    with pytest.raises(Refused) as refused:
        approval_approve(request=request, actor=people["boss"], notes="Me too")
    assert refused.value.missing == ["a pending request (this one is approved)"]
    with pytest.raises(Refused):
        approval_request_changes(request=request, actor=people["boss"], steps=["More"])
    assert subject_app.decided == [(request.pk, ApprovalStatus.APPROVED, True)]
    assert list(ApprovalRequest.objects.decidable_by(people["boss"])) == []


def test_request_changes_keeps_the_steps_and_notes(
    subject: Team, people: dict[str, User], subject_app: Recorder
) -> None:
    request = file(subject, people)
    approval_request_changes(
        request=request,
        actor=people["boss"],
        notes="Not yet.",
        steps=[" Check the cabling ", "", "Swap the power supply"],
    )
    request.refresh_from_db()
    assert (request.status, request.suggested_steps, request.decision_notes, request.decided_by) == (
        ApprovalStatus.CHANGES_REQUESTED,
        ["Check the cabling", "Swap the power supply"],
        "Not yet.",
        people["boss"],
    )
    assert subject_app.decided == [(request.pk, ApprovalStatus.CHANGES_REQUESTED, True)]


def test_the_subjects_check_can_refuse_an_approval(
    subject: Team, people: dict[str, User], subject_app: Recorder
) -> None:
    request = file(subject, people)
    subject_app.still_missing = ["Tier 2 troubleshooting: steps performed, with their outcome"]
    with pytest.raises(Refused) as refused:
        approval_approve(request=request, actor=people["lead"], notes="")
    assert refused.value.missing == [
        "approval notes (what was reviewed and why it may go ahead)",
        "Tier 2 troubleshooting: steps performed, with their outcome",
    ]
    with pytest.raises(Refused) as refused:
        approval_approve(request=request, actor=people["lead"], notes="Fine by me")
    assert refused.value.missing == ["Tier 2 troubleshooting: steps performed, with their outcome"]
    request.refresh_from_db()
    assert (request.status, subject_app.decided) == (ApprovalStatus.PENDING, [])
    # The check is for approving only: sending back is always possible.
    approval_request_changes(request=request, actor=people["lead"], steps=["Document Tier 2's steps"])
    request.refresh_from_db()
    assert request.status == ApprovalStatus.CHANGES_REQUESTED


def test_reminder_then_overdue_at_business_instants_then_nothing_once_decided(
    subject: Team, people: dict[str, User], subject_app: Recorder
) -> None:
    with time_machine.travel(at(23, 15), tick=False):  # Monday 15:00, 240 business minutes
        request = file(subject, people)
    clock = decision_clock(request)
    # Reminder at 75 % (180 min): two hours on Monday, one on Tuesday → Tuesday 10:00; due Tuesday 11:00.
    assert (clock.warn_at, clock.due_at) == (at(24, 10), at(24, 11))

    with time_machine.travel(at(24, 9, 59), tick=False):
        sweep_due_deadlines()
    assert notified("approvals.reminder", request) == set()
    with time_machine.travel(at(24, 10), tick=False):
        sweep_due_deadlines()
    assert notified("approvals.reminder", request) == {"lead", "boss"}
    assert notified("approvals.overdue", request) == set()
    with time_machine.travel(at(24, 11), tick=False):
        sweep_due_deadlines()
    # Overdue: the team manager (the overdue recipients), not the approvers again.
    assert notified("approvals.overdue", request) == {"boss"}
    assert subject_app.time_frame == [(request.pk, "warning"), (request.pk, "breach")]
    reminder = Notification.objects.filter(kind="approvals.reminder", recipient=people["lead"]).first()
    assert (reminder.created_at, reminder.link) == (at(24, 10), "/desk/tickets/1/")
    with time_machine.travel(at(24, 12), tick=False):
        sweep_due_deadlines()
    assert Notification.objects.filter(kind__in=["approvals.reminder", "approvals.overdue"]).count() == len(
        {
            (n.recipient_id, n.kind, n.channel)
            for n in Notification.objects.filter(kind__in=["approvals.reminder", "approvals.overdue"])
        }
    ), "each notice once per recipient and channel"

    # Without overdue recipients the approvers hear it; a request decided in time hears nothing.
    with time_machine.travel(at(24, 15), tick=False):
        system = file(subject, people, requested_by=None, overdue_recipients=[])
        decided = file(subject, people)
    with time_machine.travel(at(24, 16), tick=False):
        approval_approve(request=decided, actor=people["boss"], notes="Go")
    with time_machine.travel(at(25, 17), tick=False):
        sweep_due_deadlines()
    assert notified("approvals.overdue", system) == {"lead", "boss"}
    assert system in ApprovalRequest.objects.decidable_by(people["lead"])  # filed by nobody: any approver
    assert notified("approvals.reminder", decided) == notified("approvals.overdue", decided) == set()


def test_cancel_a_pending_request(subject: Team, people: dict[str, User], subject_app: Recorder) -> None:
    with time_machine.travel(at(23, 15), tick=False):
        request = file(subject, people)
    with time_machine.travel(at(23, 15, 30), tick=False):
        approval_cancel(request=request, reason="The ticket was cancelled.")
    request.refresh_from_db()
    assert (request.status, request.cancel_reason, request.decided_at, request.decided_by) == (
        ApprovalStatus.CANCELLED,
        "The ticket was cancelled.",
        at(23, 15, 30),
        None,
    )
    assert subject_app.decided == [(request.pk, ApprovalStatus.CANCELLED, True)]
    assert decision_clock(request).state == ClockState.STOPPED
    with pytest.raises(Refused) as refused:
        approval_approve(request=request, actor=people["lead"], notes="Go")
    assert refused.value.missing == ["a pending request (this one is cancelled)"]
    # Cancelling again, or a decided request, changes nothing.
    approval_cancel(request=request, reason="Again")
    request.refresh_from_db()
    assert request.cancel_reason == "The ticket was cancelled."
    decided = file(subject, people)
    approval_approve(request=decided, actor=people["lead"], notes="Go")
    approval_cancel(request=decided, reason="Too late")
    decided.refresh_from_db()
    assert (decided.status, decided.cancel_reason) == (ApprovalStatus.APPROVED, "")
    assert len(subject_app.decided) == 2
    with time_machine.travel(at(30, 12), tick=False):
        sweep_due_deadlines()
    assert notified("approvals.reminder", request) == set()
