"""URLs of the customer escalations' REST API, included at /api/ before tickets.api_urls (SPEC §9).

A ticket's escalation sits under /api/tickets/{id}/escalation/; it is matched before the tickets
API, which answers any other name after a ticket with a 404 listing its transitions.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import CaseViewSet, TicketCaseViewSet

app_name = "cases_api"

# SimpleRouter: no API root of its own (the tickets router's root stays at /api/).
router = SimpleRouter()
router.register("escalations", CaseViewSet, basename="escalation")

urlpatterns = [
    path(
        "tickets/<int:pk>/escalation/",
        TicketCaseViewSet.as_view({"get": "escalation"}),
        name="ticket-escalation",
    ),
    path(
        "tickets/<int:pk>/escalation/request/",
        TicketCaseViewSet.as_view({"post": "request_case"}),
        name="ticket-escalation-request",
    ),
    *router.urls,
]
