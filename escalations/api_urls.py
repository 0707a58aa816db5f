"""URLs of the ladder's REST API, included at /api/ before tickets.api_urls (SPEC §9).

The ticket-level actions sit under /api/tickets/{id}/; they are matched here first, since the
tickets API answers any other name after a ticket with a 404 listing its transitions.
"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ConsultViewSet, HandoffViewSet, TicketLadderViewSet, TierViewSet, VendorEngagementViewSet

app_name = "escalations_api"

# SimpleRouter: no API root of its own (the tickets router's root stays at /api/).
router = SimpleRouter()
router.register("handoffs", HandoffViewSet, basename="handoff")
router.register("consults", ConsultViewSet, basename="consult")
router.register("vendor-engagements", VendorEngagementViewSet, basename="vendor-engagement")
router.register("tiers", TierViewSet, basename="tier")


def _ticket_action(url: str, method: str, name: str) -> object:
    return path(f"tickets/<int:pk>/{url}/", TicketLadderViewSet.as_view({method: name}), name=f"ticket-{url}")


urlpatterns = [
    _ticket_action("ladder", "get", "ladder"),
    _ticket_action("escalate", "post", "escalate"),
    _ticket_action("return", "post", "return_to_tier"),
    _ticket_action("consult", "post", "consult"),
    _ticket_action("vendor-engagements", "post", "vendor_engagements"),
    _ticket_action("decision", "post", "decision"),
    *router.urls,
]
