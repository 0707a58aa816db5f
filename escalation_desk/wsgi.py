"""WSGI entry point (gunicorn escalation_desk.wsgi); with DEBUG off, development settings refuse to load."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_desk.settings")

application = get_wsgi_application()
