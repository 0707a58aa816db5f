"""Password reset for staff (console) and customers (portal): Django's views, the mail through the outbox.

The request page answers the same for a known and an unknown address (no account enumeration).
A known, active user gets one e-mail-only notification of kind `accounts.password_reset`; its
link (uid + token) is made at delivery and never stored on the outbox row, so reading the
outbox does not hand out accounts. Customers' links open the portal, staff's the console
(escalation_desk/links.py). A completed reset lifts the user's login lock-out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import HttpResponse
from django.urls import URLPattern, path, reverse_lazy
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy

from accounts import lockout
from accounts.models import User
from escalation_desk import links
from notifications import registry
from notifications.models import Channel, Notification
from notifications.services import notify

KIND = "accounts.password_reset"
# One reset mail per user per this many seconds, however often the form is sent (no mail bombs).
MAIL_INTERVAL_SECONDS = 5 * 60


def reset_link_context(notification: Notification) -> dict[str, Any]:
    """At delivery: the absolute one-time link for the recipient, in their site."""
    user = notification.recipient
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return {
        "reset_url": links.absolute(links.password_reset_confirm_path(user, uidb64=uidb64, token=token)),
        "valid_minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
    }


def register() -> None:
    registry.register(
        KIND,
        subject=gettext_lazy(
            "{% if audience == 'portal' %}Set a new password for your support account"
            "{% else %}Set a new password for Escalation Desk{% endif %}"
        ),
        description="A password reset link (e-mail only; the link is made at delivery).",
        delivery_context=reset_link_context,
    )


def _same_address(typed: str, stored: str) -> bool:
    """Case-insensitive the Unicode way, as Django's own form compares (no look-alike matches)."""
    return unicodedata.normalize("NFKC", typed).casefold() == unicodedata.normalize("NFKC", stored).casefold()


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending through the outbox instead of straight to SMTP."""

    def get_users(self, email: str) -> Iterator[User]:
        """Active users with this address, those without a password too (see below)."""
        # Django skips users with an unusable password; ours are customers made from an inbound
        # mail (mail/senders.py), whose way into the portal is exactly this reset.
        for user in User._default_manager.filter(email__iexact=email, is_active=True):
            if _same_address(email, user.email):
                yield user

    def save(self, **kwargs: Any) -> None:  # Django passes templates, token generator, request…
        email = self.cleaned_data["email"]
        bucket = int(timezone.now().timestamp()) // MAIL_INTERVAL_SECONDS
        with transaction.atomic():
            for user in self.get_users(email):
                notify(
                    recipients=[user],
                    kind=KIND,
                    context={
                        "audience": "portal" if links.is_customer(user) else "console",
                        "username": user.get_username(),
                        "login_url": links.absolute(links.login_path(user)),
                    },
                    dedup_key=f"password_reset:{user.pk}:{bucket}",
                    # E-mail only: someone who cannot sign in cannot read an in-app notice, and a
                    # reset is not news about their work for the console's inbox.
                    channels=(Channel.EMAIL,),
                )


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's confirm view; a new password also lifts the user's login lock-out."""

    form_class = SetPasswordForm

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        lockout.unlock(usernames=[form.user.get_username()], reason="password reset")
        return response


def reset_urls(site: str) -> list[URLPattern]:
    """The four reset pages of one site ("desk" or "portal"), with that site's templates."""

    def template(name: str) -> str:
        return f"{site}/password_reset{name}.html"

    return [
        path(
            "password-reset/",
            auth_views.PasswordResetView.as_view(
                template_name=template(""),
                form_class=OutboxPasswordResetForm,
                success_url=reverse_lazy(f"{site}:password_reset_done"),
            ),
            name="password_reset",
        ),
        path(
            "password-reset/sent/",
            auth_views.PasswordResetDoneView.as_view(template_name=template("_done")),
            name="password_reset_done",
        ),
        path(
            "password-reset/<uidb64>/<token>/",
            ResetConfirmView.as_view(
                template_name=template("_confirm"),
                success_url=reverse_lazy(f"{site}:password_reset_complete"),
            ),
            name="password_reset_confirm",
        ),
        path(
            "password-reset/done/",
            auth_views.PasswordResetCompleteView.as_view(template_name=template("_complete")),
            name="password_reset_complete",
        ),
    ]
