"""Deployment checks: settings a production site must not run with."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy` fails while the development SECRET_KEY is in use."""
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [Error("SECRET_KEY is the development key.", hint="Set SECRET_KEY in the environment.",
                      id="accounts.E001")]
    return []
