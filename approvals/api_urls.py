"""URLs of the approvals REST API, included at /api/ (SPEC §9)."""

from rest_framework.routers import SimpleRouter

from .api import ApprovalViewSet

app_name = "approvals_api"

# SimpleRouter: no API root of its own (the tickets router's root stays at /api/).
router = SimpleRouter()
router.register("approvals", ApprovalViewSet, basename="approval")

urlpatterns = router.urls
