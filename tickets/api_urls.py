"""URLs of the REST API, included at /api/ (SPEC §9)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api import token_login

from .api import AttachmentViewSet, TicketViewSet

app_name = "api"

router = DefaultRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("attachments", AttachmentViewSet, basename="attachment")

urlpatterns = [
    path("auth/token/", token_login, name="token"),
    *router.urls,
    # After the router, so only names that are not actions reach it: 404 listing the known ones.
    path(
        "tickets/<str:pk>/<str:transition>/",
        TicketViewSet.as_view({"get": "unknown_transition", "post": "unknown_transition"}),
        name="ticket-unknown-transition",
    ),
]
