"""The request page's "Escalation" panel (issue 5, Build point 2) plugs in here.

`escalation_panel(request, ticket, bound)` returns the context the panel's template
(`portal/_escalation_panel.html`) needs: the customer's open escalation case, its forms
(a refused form comes back in `bound` under its name so what was typed is kept), the
communication plan and its updates. It must read everything in a fixed number of queries.
Until the escalation cases land it shows nothing but the contacts above it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tickets.models import Ticket


def escalation_panel(request: HttpRequest, ticket: Ticket, bound: dict[str, Any]) -> dict[str, Any]:
    return {"escalation": None}
