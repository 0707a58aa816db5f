from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "desk"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="desk/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.my_work, name="my_work"),
    path("queue/", views.queue, name="queue"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/intake/", views.ticket_intake, name="ticket_intake"),
    path("tickets/<int:pk>/comments/", views.ticket_comment, name="ticket_comment"),
    path("tickets/<int:pk>/steps/", views.ticket_step, name="ticket_step"),
    path("tickets/<int:pk>/<slug:name>/", views.ticket_transition, name="ticket_transition"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
