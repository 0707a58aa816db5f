"""Shared by the portal tests: reading pages (the console's reader) and intake input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from desk.tests.test_pages import Page, client_as, drive_to, page, snapshot

REQUEST_INPUT = {
    "summary": "Payslips show last month's tax code",
    "description": "Since Monday every payslip uses the old tax code.",
    "symptoms": "The tax code column says 1257L for everyone.",
    "replication_steps": "Open Payroll > Payslips > March.",
    "error_messages": "none",
    "recent_changes": "We installed the April update on Sunday.",
    "business_impact": "Payroll cannot run on Friday.",
    "workaround": "",
}


def milestone() -> date:
    """The critical milestone the tests give: relative to today, so they pass on any day."""
    return timezone.localdate() + timedelta(days=30)


def request_input(**overrides: Any) -> dict[str, Any]:
    return {**REQUEST_INPUT, "critical_milestone": milestone().isoformat(), **overrides}


__all__ = ["Page", "client_as", "drive_to", "milestone", "page", "request_input", "snapshot"]
