"""The customer portal (/portal/): plain function views over the tickets' selectors and services.

Every request is looked up through the organisation-checking getters, so another
organisation's request, file or any URL naming it answers 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from cases.models import EscalationCase
from cases.services import core as case_core
from cases.services import de_escalation as case_de_escalation
from cases.services import requests as case_requests
from escalation_desk.domain import InvalidInput, Refused
from escalation_desk.forms import add_service_errors
from escalations.selectors import current_stint
from tickets import file_types
from tickets import selectors as ticket_selectors
from tickets.models import Channel, Status, Ticket
from tickets.services.conversation import ticket_comment
from tickets.services.core import FINAL_STATES
from tickets.services.intake import ticket_create
from tickets.services.lifecycle import ticket_confirm_resolution, ticket_reopen
from tickets.services.watchers import ticket_add_cc, ticket_remove_cc

from . import selectors, wording
from .access import customer_required
from .escalation_panel import escalation_panel
from .forms import (
    ConfirmForm,
    CopyInForm,
    EscalationAgreeForm,
    EscalationKeepForm,
    EscalationRequestForm,
    MessageForm,
    ReopenForm,
    RequestFilterForm,
    RequestForm,
)

PAGE_SIZE = 20


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("portal:home")


@require_GET
@vary_on_headers("HX-Request")
@customer_required
def home(request: HttpRequest) -> HttpResponse:
    """The organisation's requests: open ones first by default, with filters and search."""
    form = RequestFilterForm(request.GET or None)
    filters = selectors.RequestFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.RequestFilters(show=data["show"] or "open", status=data["status"], q=data["q"])
    tickets = selectors.customer_requests(user=request.user, filters=filters)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    for ticket in page.object_list:
        stints = ticket.current_stints
        ticket.where = wording.tier_words(stints[0].tier if stints else None, ticket)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "filters": filters}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "portal/_request_results.html", context)
    context["counts"] = selectors.request_counts(user=request.user)
    return render(request, "portal/home.html", context)


@require_http_methods(["GET", "POST"])
@customer_required
def request_new(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            ticket = ticket_create(
                actor=user,
                organisation=user.organisation,
                requester=user,
                channel=Channel.PORTAL,
                files=form.cleaned_data["files"],
                **form.intake(),
            )
        except (InvalidInput, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("Thank you. Your request %(reference)s has been sent to our support team.")
                % {"reference": ticket.reference},
            )
            return redirect("portal:request", pk=ticket.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "portal/request_new.html", {"form": form}, status=status)


def _form_errors(form: Any, exc: Exception) -> None:
    """A service's refusal, shown on the form in the customer's words."""
    add_service_errors(form, exc, missing_prefix="Needed", fallback="This is not possible on this request.")


def _request_page(
    request: HttpRequest, ticket: Ticket, *, bound: dict[str, Any] | None = None
) -> HttpResponse:
    """The request page; `bound` carries a refused form so what the customer typed is kept."""
    bound = bound or {}
    stint = current_stint(ticket)
    resolved = ticket.status == Status.RESOLVED
    context = {
        "ticket": ticket,
        **selectors.ticket_parts(ticket),
        "status_words": wording.status_words(ticket.status),
        "next_step": wording.NEXT_STEP.get(ticket.status, ""),
        "where": wording.tier_words(stint.tier if stint else None, ticket),
        "clocks": wording.customer_clocks(ticket),
        "team_leaders": list(ticket.team.leaders.all()) if ticket.team else [],
        "team_manager": ticket.team.manager if ticket.team else None,
        "can_write": ticket.status not in FINAL_STATES,
        "message_form": bound.get("message") or MessageForm(prefix="message"),
        "may_answer_resolution": resolved
        and ticket_selectors.may_take_transition(ticket, request.user, "confirm_resolution"),
        "confirm_form": bound.get("confirm") or ConfirmForm(prefix="confirm"),
        "reopen_form": bound.get("reopen") or ReopenForm(prefix="reopen"),
        "open_form": next(iter(bound), None),
        **escalation_panel(request, ticket, bound),
        **_copy_in_panel(ticket, bound),
    }
    return render(request, "portal/request.html", context, status=400 if bound else 200)


def _copy_in_panel(ticket: Ticket, bound: dict[str, Any]) -> dict[str, Any]:
    copied = selectors.copied_in(ticket)
    colleagues = selectors.colleagues_to_copy_in(ticket, copied)
    return {
        "copied_in": copied,
        "copy_in_form": bound.get("copy_in") or CopyInForm(prefix="copy_in", colleagues=colleagues),
    }


@require_GET
@customer_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, selectors.get_request_for(request.user, pk))


@require_POST
@customer_required
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    """A public message, with files; a reply to a request waiting on the customer resumes it."""
    ticket = ticket_selectors.get_ticket_for(request.user, pk)
    form = MessageForm(request.POST, request.FILES, prefix="message")
    if form.is_valid():
        try:
            ticket_comment(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                is_internal=False,
                files=form.cleaned_data["files"],
                channel=Channel.PORTAL,
            )
        except (InvalidInput, Refused, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, gettext("Your message has been sent."))
            return redirect(reverse("portal:request", args=[ticket.pk]) + "#messages")
    return _request_page(request, selectors.get_request_for(request.user, pk), bound={"message": form})


def _resolution_answer_page(request: HttpRequest, pk: int, *, answer: str) -> HttpResponse:
    """Where the resolution mail's links land: the resolution and one button (a GET never
    changes anything, so a mail scanner following the link confirms nothing)."""
    ticket = selectors.get_request_for(request.user, pk)
    may_answer = ticket.status == Status.RESOLVED and ticket_selectors.may_take_transition(
        ticket, request.user, "confirm_resolution"
    )
    return render(
        request,
        "portal/resolution_answer.html",
        {
            "ticket": ticket,
            "answer": answer,
            "may_answer": may_answer,
            "status_words": wording.status_words(ticket.status),
            "confirm_form": ConfirmForm(prefix="confirm"),
            "reopen_form": ReopenForm(prefix="reopen"),
        },
    )


@require_http_methods(["GET", "POST"])
@customer_required
def request_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Quality control: the customer confirms the problem is solved; the request closes."""
    if request.method == "GET":
        return _resolution_answer_page(request, pk, answer="confirm")
    ticket = ticket_selectors.get_ticket_for(request.user, pk)
    form = ConfirmForm(request.POST, prefix="confirm")
    if form.is_valid():
        try:
            ticket_confirm_resolution(
                ticket=ticket, actor=request.user, note=form.cleaned_data["note"], channel=Channel.PORTAL
            )
        except (InvalidInput, Refused, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, gettext("Thank you for confirming. Your request is now closed."))
            return redirect("portal:request", pk=ticket.pk)
    return _request_page(request, selectors.get_request_for(request.user, pk), bound={"confirm": form})


@require_http_methods(["GET", "POST"])
@customer_required
def request_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Quality control: not fixed; the request goes back to work with the customer's reason."""
    if request.method == "GET":
        return _resolution_answer_page(request, pk, answer="reopen")
    ticket = ticket_selectors.get_ticket_for(request.user, pk)
    form = ReopenForm(request.POST, prefix="reopen")
    if form.is_valid():
        try:
            ticket_reopen(ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"])
        except (InvalidInput, Refused, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, gettext("Thank you. We have reopened your request and will look at it again.")
            )
            return redirect("portal:request", pk=ticket.pk)
    return _request_page(request, selectors.get_request_for(request.user, pk), bound={"reopen": form})


@require_POST
@customer_required
def request_copy_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a colleague of the organisation in on the request: they hear of every reply."""
    ticket = ticket_selectors.get_ticket_for(request.user, pk)
    copied = selectors.copied_in(ticket)
    form = CopyInForm(
        request.POST, prefix="copy_in", colleagues=selectors.colleagues_to_copy_in(ticket, copied)
    )
    if form.is_valid():
        contact = form.cleaned_data["contact"]
        try:
            ticket_add_cc(ticket=ticket, actor=request.user, contact=contact)
        except (InvalidInput, Refused, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("%(contact)s is copied in and will hear of every reply.") % {"contact": contact},
            )
            return redirect(reverse("portal:request", args=[ticket.pk]) + "#copied-in")
    return _request_page(request, selectors.get_request_for(request.user, pk), bound={"copy_in": form})


@require_POST
@customer_required
def request_copy_out(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    """Stop copying a colleague in (404 for anyone not copied in on this request)."""
    ticket = ticket_selectors.get_ticket_for(request.user, pk)
    contact = next((u for u in selectors.copied_in(ticket) if u.pk == user_pk), None)
    if contact is None:
        raise Http404(gettext("Nobody by that name is copied in."))
    ticket_remove_cc(ticket=ticket, actor=request.user, contact=contact)
    messages.success(request, gettext("%(contact)s is no longer copied in.") % {"contact": contact})
    return redirect(reverse("portal:request", args=[ticket.pk]) + "#copied-in")


@require_GET
@customer_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    return file_types.download_response(selectors.get_public_attachment_for(request.user, pk))


# --- escalation (issue 5, seed 002) -------------------------------------------------------------


@require_POST
@customer_required
def escalation_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Request an escalation with seed 002's review, or ask for more on the open one. The same
    request twice (a double click) is one: the service ignores it and the page shows the case."""
    ticket = ticket_selectors.get_ticket_for(request.user, pk)
    form = EscalationRequestForm(request.POST, prefix="escalation", ticket=ticket)
    if form.is_valid():
        data = form.cleaned_data
        had_case = case_core.open_case(ticket) is not None
        try:
            case_requests.case_request(
                ticket=ticket,
                actor=request.user,
                reason=data["reason"],
                level=data["level"],
                review=form.review(),
                reason_detail=data["reason_detail"],
                channel=Channel.PORTAL,
            )
        except (InvalidInput, Refused, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("Thank you. We have added this to your escalation.")
                if had_case
                else gettext(
                    "Thank you. We have received your escalation; an escalation manager will contact you."
                ),
            )
            return redirect(reverse("portal:request", args=[ticket.pk]) + "#escalation")
    return _request_page(request, selectors.get_request_for(request.user, pk), bound={"escalation": form})


def _answer(request: HttpRequest, pk: int, case_pk: int, *, agree: bool) -> HttpResponse:
    ticket = ticket_selectors.get_ticket_for(request.user, pk)
    case = get_object_or_404(EscalationCase, pk=case_pk, ticket=ticket)
    name = "escalation_agree" if agree else "escalation_keep"
    form = (EscalationAgreeForm if agree else EscalationKeepForm)(request.POST, prefix=name)
    if form.is_valid():
        try:
            case_de_escalation.case_answer_de_escalation(
                case=case,
                actor=request.user,
                agree=agree,
                comment=form.cleaned_data["comment"],
                channel=Channel.PORTAL,
            )
        except (InvalidInput, Refused, PermissionDenied) as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                gettext("Thank you. The escalation is closed; your request carries on with our support team.")
                if agree
                else gettext("Thank you. Your request stays escalated."),
            )
            return redirect(reverse("portal:request", args=[ticket.pk]) + "#escalation")
    return _request_page(request, selectors.get_request_for(request.user, pk), bound={name: form})


@require_http_methods(["GET", "POST"])
@customer_required
def escalation_agree(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    """One click: yes, the escalation may close (an optional comment). The link in the mail
    proposing de-escalation opens (GET) the request at its answer buttons: following a link
    never changes anything, since mail scanners follow links too."""
    if request.method == "GET":
        ticket = ticket_selectors.get_ticket_for(request.user, pk)
        get_object_or_404(EscalationCase, pk=case_pk, ticket=ticket)
        return redirect(reverse("portal:request", args=[ticket.pk]) + "#escalation-agree-form")
    return _answer(request, pk, case_pk, agree=True)


@require_POST
@customer_required
def escalation_keep(request: HttpRequest, pk: int, case_pk: int) -> HttpResponse:
    """No, keep it escalated: the reason is needed."""
    return _answer(request, pk, case_pk, agree=False)
