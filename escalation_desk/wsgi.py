"""WSGI entry point (gunicorn escalation_desk.wsgi); with DEBUG off, development settings stop it."""

import os

from django.core.wsgi import get_wsgi_application

from escalation_desk.startup import refuse_development_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_desk.settings")

refuse_development_settings()
application = get_wsgi_application()
