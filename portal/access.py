"""Who may use the portal: customers of an organisation. Staff go to the console."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext

from tickets import permissions


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in customers only: anonymous visitors sign in here, staff are sent to /desk/."""

    @login_required(login_url="portal:login")
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_staff or permissions.is_staff_reader(user):
            return redirect("desk:my_work")
        if not user.organisation_id:
            raise PermissionDenied(gettext("Your account is not linked to a customer organisation."))
        return view(request, *args, **kwargs)

    return wrapper
