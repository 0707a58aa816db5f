from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from escalation_desk.api import not_found as api_not_found
from escalation_desk.docs import RedocView, SwaggerView
from escalation_desk.health import health
from escalation_desk.metrics import metrics

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:my_work", permanent=False)),
    # Admin's login page shows "Forgotten your password?" when this name exists: staff reset in the console.
    path(
        "admin/password-reset/",
        RedirectView.as_view(pattern_name="desk:password_reset", permanent=False),
        name="admin_password_reset",
    ),
    path("admin/", admin.site.urls),
    # Operating: load balancers' health check (public, no detail) and Prometheus (token or network).
    path("health/", health, name="health"),
    path("metrics/", metrics, name="metrics"),
    path("desk/inbox/", include("notifications.urls")),
    path("desk/", include("desk.urls")),
    path("portal/", include("portal.urls")),
    # Before the tickets API: it answers any unknown name after /api/tickets/{id}/ with a 404.
    path("api/", include("escalations.api_urls")),
    path("api/", include("cases.api_urls")),
    path("api/", include("approvals.api_urls")),
    path("api/", include("tickets.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Last: whatever else ends in a slash under /api/ is a JSON 404, never Django's HTML page.
    re_path(r"^api/(?:[\s\S]*/)?$", api_not_found),
]

# With DEBUG off, a 404 raised anywhere under /api/ answers JSON too; elsewhere the 404 page.
handler404 = "escalation_desk.api.page_not_found"

admin.site.site_header = "Escalation Desk administration"
admin.site.site_title = "Escalation Desk"
