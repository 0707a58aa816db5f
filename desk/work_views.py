"""Console views of a team leader's work: assigning (one ticket or in bulk), following a ticket,
and the queue's saved views. Each calls a service; refusals are shown, never swallowed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.input_guard import is_number
from tickets import permissions, selectors
from tickets.models import Ticket
from tickets.services import assignment, watchers

from .models import SavedView
from .views import load_ticket, render_ticket_page, show_service_errors
from .work_forms import AssignForm, BulkAssignForm, SavedViewForm


def staff_or_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Support staff only; to anyone else these actions do not exist (404, not 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.is_staff_reader(request.user):
            raise Http404(_("No such page."))
        return view(request, *args, **kwargs)

    return wrapper


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, Refused):
        return (
            _("%(refusal)s: missing %(missing)s")
            % {"refusal": exc.message, "missing": ", ".join(exc.missing)}
            if exc.missing
            else exc.message
        )
    if isinstance(exc, InvalidInput):
        return " ".join(str(e) for errors in exc.errors.values() for e in errors)
    return str(exc) or _("You may not do this.")


@require_POST
@staff_or_404
def ticket_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """A team leader (or manager) of the ticket's team assigns or reassigns it."""
    ticket = selectors.get_ticket_for(request.user, pk)
    if not permissions.can_assign(ticket, request.user):
        raise PermissionDenied(_("Only a team leader or manager of the ticket's team may assign it."))
    form = AssignForm(request.POST, ticket=ticket, prefix="assign")
    if form.is_valid():
        try:
            assignment.ticket_assign(
                ticket=ticket, actor=request.user, assignee=form.cleaned_data["assignee"]
            )
        except (Refused, InvalidInput) as exc:
            show_service_errors(form, exc)
        else:
            who = form.cleaned_data["assignee"]
            messages.success(
                request,
                _("%(ref)s is assigned to %(who)s.") % {"ref": ticket.reference, "who": who or _("nobody")},
            )
            return redirect("desk:ticket", pk=ticket.pk)
    return render_ticket_page(request, load_ticket(request, pk), bound={"assign": form})


@require_POST
@staff_or_404
def ticket_follow(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    watchers.ticket_follow(ticket=ticket, actor=request.user)
    messages.success(
        request, _("You follow %(ref)s: you will hear of every update.") % {"ref": ticket.reference}
    )
    return redirect("desk:ticket", pk=ticket.pk)


@require_POST
@staff_or_404
def ticket_unfollow(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.get_ticket_for(request.user, pk)
    watchers.ticket_unfollow(ticket=ticket, actor=request.user)
    messages.success(request, _("You no longer follow %(ref)s.") % {"ref": ticket.reference})
    return redirect("desk:ticket", pk=ticket.pk)


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("next_query", "")
    return redirect(reverse("desk:queue") + (f"?{query}" if query else ""))


@require_POST
@staff_or_404
def queue_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked tickets, one service call each; what was refused is listed per ticket.

    Someone who may assign no ticket at all (an engineer), or none of the ticked ones (the
    leader of another team), is refused outright: 403.
    """
    team_ids = permissions.assignable_team_ids(request.user)
    if team_ids is not None and not team_ids:
        raise PermissionDenied(_("Only team leaders and managers may assign tickets."))
    ticked = [int(v) for v in request.POST.getlist("ticket") if is_number(v)]
    visible = list(permissions.visible_tickets(request.user, Ticket.objects.filter(pk__in=ticked)))
    if visible and not any(permissions.can_assign(t, request.user) for t in visible):
        raise PermissionDenied(_("You may not assign any of these tickets: they are not your teams'."))
    form = BulkAssignForm(request.POST, team_ids=team_ids)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request, f"{form.fields[field].label if field in form.fields else field}: {' '.join(errors)}"
            )
        return _back_to_queue(request)
    assignee = form.cleaned_data["assignee"]
    tickets = {t.pk: t for t in visible}
    done: list[str] = []
    refused: list[str] = []
    forbidden = 0
    for pk in form.cleaned_data["ticket"]:
        ticket = tickets.get(pk)
        if ticket is None:
            refused.append(_("ED-%(pk)06d: no such ticket.") % {"pk": pk})
            continue
        try:
            assignment.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee)
        except PermissionDenied as exc:
            forbidden += 1
            refused.append(f"{ticket.reference}: {_refusal_text(exc)}")
        except (Refused, InvalidInput) as exc:
            refused.append(f"{ticket.reference}: {_refusal_text(exc)}")
        else:
            done.append(ticket.reference)
    if forbidden and forbidden == len(form.cleaned_data["ticket"]):  # the check above, under the row lock
        raise PermissionDenied(_("You may not assign any of these tickets: they are not your teams'."))
    if done:
        messages.success(
            request,
            _("Assigned to %(who)s: %(refs)s.") % {"who": assignee or _("nobody"), "refs": ", ".join(done)},
        )
    for line in refused:
        messages.error(request, _("Not assigned — %(why)s") % {"why": line})
    return _back_to_queue(request)


def clean_view_query(raw: str) -> str:
    """A saved view keeps the filters and the sort, never the page it was on."""
    query = QueryDict(raw.lstrip("?"), mutable=True)
    for name in ("page", "csrfmiddlewaretoken"):
        query.pop(name, None)
    return query.urlencode()


@require_POST
@staff_or_404
def saved_view_save(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST, prefix="view")
    if not form.is_valid():
        messages.error(request, _("Give the view a name (at most 80 characters) to save it."))
        return redirect(reverse("desk:queue") + "?" + clean_view_query(request.POST.get("view-query", "")))
    name, query = form.cleaned_data["name"].strip(), clean_view_query(form.cleaned_data["query"])
    try:
        with transaction.atomic():
            SavedView.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
    except IntegrityError:  # the same name saved twice at once: the other one won
        pass
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": name})
    return redirect(reverse("desk:queue") + (f"?{query}" if query else ""))


@require_POST
@staff_or_404
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, user=request.user)  # someone else's view: 404
    view.delete()
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect("desk:queue")
