from django.contrib.auth import views as auth_views
from django.urls import path

from . import escalation_views as esc
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
    path("tickets/<int:pk>/tier/escalate/", esc.ticket_escalate, name="ticket_escalate"),
    path("tickets/<int:pk>/tier/return/", esc.ticket_return, name="ticket_return"),
    path("tickets/<int:pk>/tier/decide/", esc.ticket_decide, name="ticket_decide"),
    path("tickets/<int:pk>/handoffs/<int:handoff_pk>/withdraw/", esc.handoff_withdraw, name="handoff_withdraw"),
    path("tickets/<int:pk>/approvals/<int:approval_pk>/<slug:decision>/", esc.ticket_approval_decide,
         name="ticket_approval_decide"),
    path("tickets/<int:pk>/consults/new/", esc.consult_new, name="consult_new"),
    path("tickets/<int:pk>/consults/<int:consult_pk>/reply/", esc.consult_reply, name="consult_reply"),
    path("tickets/<int:pk>/consults/<int:consult_pk>/withdraw/", esc.consult_withdraw, name="consult_withdraw"),
    path("tickets/<int:pk>/vendor/engage/", esc.vendor_engage, name="vendor_engage"),
    path("tickets/<int:pk>/vendor/<int:engagement_pk>/update/", esc.vendor_update, name="vendor_update"),
    path("tickets/<int:pk>/steps/<int:step_pk>/done/", esc.step_done, name="step_done"),
    path("tickets/<int:pk>/<slug:name>/", views.ticket_transition, name="ticket_transition"),
    path("approvals/", esc.approvals_inbox, name="approvals"),
    path("approvals/<int:approval_pk>/<slug:decision>/", esc.approval_decide, name="approval_decide"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
