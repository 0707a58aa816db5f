"""The in-app inbox (/desk/inbox/): the user's own notifications, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .models import Notification

PAGE_SIZE = 25


def _mark_read_for(request: HttpRequest, pk: int) -> Notification:
    """Another user's notification is a 404, never a 403: its existence is not revealed."""
    try:
        return services.mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404(gettext("No such notification")) from None


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("notifications:inbox")


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.inbox(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "notifications/inbox.html", {"page": page, "groups": selectors.grouped(page.object_list)}
    )


@require_POST
@login_required
def mark_thread_read(request: HttpRequest) -> HttpResponse:
    """Mark read every entry about one thing (a ticket's group in the inbox)."""
    services.mark_all_read(user=request.user, thread=request.POST.get("thread", ""))
    return _back(request)


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    _mark_read_for(request, pk)
    return _back(request)


@require_POST
@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and go where the notification points (a path on this site only)."""
    notification = _mark_read_for(request, pk)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, {request.get_host()}, request.is_secure()):
        return redirect(link)
    return redirect("notifications:inbox")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    return _back(request)
