from django.contrib.auth import views as auth_views
from django.urls import path

from escalation_desk import passwords

from . import views

app_name = "portal"

urlpatterns = [
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="portal:login"), name="logout"),
    *passwords.reset_urls("portal"),
    path("", views.home, name="home"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/messages/", views.request_message, name="request_message"),
    path("requests/<int:pk>/confirm/", views.request_confirm, name="request_confirm"),
    path("requests/<int:pk>/reopen/", views.request_reopen, name="request_reopen"),
    path("requests/<int:pk>/copied-in/", views.request_copy_in, name="request_copy_in"),
    path(
        "requests/<int:pk>/copied-in/<int:user_pk>/remove/", views.request_copy_out, name="request_copy_out"
    ),
    path("requests/<int:pk>/escalation/", views.escalation_request, name="escalation_request"),
    path(
        "requests/<int:pk>/escalation/<int:case_pk>/agree/", views.escalation_agree, name="escalation_agree"
    ),
    path("requests/<int:pk>/escalation/<int:case_pk>/keep/", views.escalation_keep, name="escalation_keep"),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
]
