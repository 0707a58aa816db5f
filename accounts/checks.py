"""Deployment checks: settings a production site must not run with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy` fails while the development SECRET_KEY is in use."""
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development key.",
                hint="Set SECRET_KEY in the environment.",
                id="accounts.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def broker_is_shared(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy` fails while the filesystem broker (this machine only) is configured."""
    if settings.CELERY_BROKER_URL.startswith(settings.DEVELOPMENT_ONLY_BROKERS):
        return [
            Error(
                "CELERY_BROKER_URL is the development filesystem:// broker.",
                hint="Set CELERY_BROKER_URL=redis://host:6379/0.",
                id="accounts.E002",
            )
        ]
    return []
