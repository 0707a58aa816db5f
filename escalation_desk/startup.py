"""The processes that run the product refuse development-only settings with DEBUG off (issue 10, point 17).

Web (wsgi, asgi), the Celery worker and beat, and the commands that do the product's work from
cron or the MTA (sweep_deadlines, redrive_notifications, daily_report, fetch_mail, receive_mail)
call `refuse_development_settings()` before they start. Build and administration commands
(`migrate`, `makemigrations`, `check`, `collectstatic`, `createsuperuser`…) still run on a bare
checkout, and `check --deploy` reports the same problems as errors.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refusal_message(refusals: list[str]) -> str:
    return (
        "Escalation Desk will not start with DEBUG off and development settings:\n  - "
        + "\n  - ".join(refusals)
        + "\n(For development set DEBUG=true, as `make run` does.)"
    )


def refuse_development_settings() -> None:
    """Stop this process, naming every problem, when it would run the product on development values."""
    if settings.DEPLOYMENT_REFUSALS:
        raise ImproperlyConfigured(refusal_message(settings.DEPLOYMENT_REFUSALS))
