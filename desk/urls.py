from django.contrib.auth import views as auth_views
from django.urls import path

from escalation_desk import passwords

from . import case_views as case
from . import escalation_views as esc
from . import views
from . import work_views as work

app_name = "desk"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="desk/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    *passwords.reset_urls("desk"),
    path("", views.my_work, name="my_work"),
    path("queue/", views.queue, name="queue"),
    path("queue/assign/", work.queue_assign, name="queue_assign"),
    path("queue/views/", work.saved_view_save, name="saved_view_save"),
    path("queue/views/<int:pk>/delete/", work.saved_view_delete, name="saved_view_delete"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/timeline/", views.ticket_timeline, name="ticket_timeline"),
    path("tickets/<int:pk>/intake/", views.ticket_intake, name="ticket_intake"),
    path("tickets/<int:pk>/comments/", views.ticket_comment, name="ticket_comment"),
    path("tickets/<int:pk>/steps/", views.ticket_step, name="ticket_step"),
    path("tickets/<int:pk>/steps/<int:step_pk>/visibility/", views.step_visibility, name="step_visibility"),
    path("tickets/<int:pk>/assign/", work.ticket_assign, name="ticket_assign"),
    path("tickets/<int:pk>/follow/", work.ticket_follow, name="ticket_follow"),
    path("tickets/<int:pk>/unfollow/", work.ticket_unfollow, name="ticket_unfollow"),
    path("tickets/<int:pk>/tier/escalate/", esc.ticket_escalate, name="ticket_escalate"),
    path("tickets/<int:pk>/tier/return/", esc.ticket_return, name="ticket_return"),
    path("tickets/<int:pk>/tier/decide/", esc.ticket_decide, name="ticket_decide"),
    path(
        "tickets/<int:pk>/handoffs/<int:handoff_pk>/withdraw/", esc.handoff_withdraw, name="handoff_withdraw"
    ),
    path(
        "tickets/<int:pk>/approvals/<int:approval_pk>/<slug:decision>/",
        esc.ticket_approval_decide,
        name="ticket_approval_decide",
    ),
    path("tickets/<int:pk>/consults/new/", esc.consult_new, name="consult_new"),
    path("tickets/<int:pk>/consults/<int:consult_pk>/reply/", esc.consult_reply, name="consult_reply"),
    path(
        "tickets/<int:pk>/consults/<int:consult_pk>/withdraw/", esc.consult_withdraw, name="consult_withdraw"
    ),
    path("tickets/<int:pk>/vendor/engage/", esc.vendor_engage, name="vendor_engage"),
    path("tickets/<int:pk>/vendor/<int:engagement_pk>/update/", esc.vendor_update, name="vendor_update"),
    path("tickets/<int:pk>/steps/<int:step_pk>/done/", esc.step_done, name="step_done"),
    path("tickets/<int:pk>/case/request/", case.case_request, name="case_request"),
    path("tickets/<int:pk>/case/<int:case_pk>/acknowledge/", case.case_acknowledge, name="case_acknowledge"),
    path("tickets/<int:pk>/case/<int:case_pk>/engage/", case.case_engage, name="case_engage"),
    path("tickets/<int:pk>/case/<int:case_pk>/activate/", case.case_activate, name="case_activate"),
    path("tickets/<int:pk>/case/<int:case_pk>/updates/", case.case_update, name="case_update"),
    path("tickets/<int:pk>/case/<int:case_pk>/meetings/", case.case_meeting, name="case_meeting"),
    path(
        "tickets/<int:pk>/case/<int:case_pk>/meetings/<int:meeting_pk>/outcome/",
        case.case_meeting_outcome,
        name="case_meeting_outcome",
    ),
    path(
        "tickets/<int:pk>/case/<int:case_pk>/actions/<int:item_pk>/done/",
        case.case_action_done,
        name="case_action_done",
    ),
    path("tickets/<int:pk>/case/<int:case_pk>/leadership/", case.case_leadership, name="case_leadership"),
    path("tickets/<int:pk>/case/<int:case_pk>/brief/", case.case_brief, name="case_brief"),
    path("tickets/<int:pk>/case/<int:case_pk>/review/", case.case_review, name="case_review"),
    path("tickets/<int:pk>/case/<int:case_pk>/de-escalate/", case.case_propose, name="case_propose"),
    path("tickets/<int:pk>/case/<int:case_pk>/answer/", case.case_answer, name="case_answer"),
    path("tickets/<int:pk>/<slug:name>/", views.ticket_transition, name="ticket_transition"),
    path("escalations/", case.escalation_board, name="escalation_board"),
    path("escalations/report/", case.escalation_report, name="escalation_report"),
    path("approvals/", esc.approvals_inbox, name="approvals"),
    path("approvals/<int:approval_pk>/<slug:decision>/", esc.approval_decide, name="approval_decide"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
