"""ASGI entry point; with DEBUG off, development settings stop it (escalation_desk/startup.py)."""

import os

from django.core.asgi import get_asgi_application

from escalation_desk.startup import refuse_development_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_desk.settings")

refuse_development_settings()
application = get_asgi_application()
