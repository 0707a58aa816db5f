"""Signed-in sessions stay signed in across the change of authentication backend (issue 12):
Django recorded `ModelBackend` in each session, and a session whose backend is no longer listed
in AUTHENTICATION_BACKENDS is signed out. Each live session naming ModelBackend is rewritten to
name `accounts.backends.UserBackend`, which reads the same user (with their permissions and teams)."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import migrations
from django.utils import timezone

OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "accounts.backends.UserBackend"


def rename_backend(apps, schema_editor, old=OLD, new=NEW):
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    live = Session.objects.using(schema_editor.connection.alias).filter(expire_date__gt=timezone.now())
    for session in live.iterator():
        data = store.decode(session.session_data)  # {} when signed with another key: left alone
        if data.get(BACKEND_SESSION_KEY) == old:
            data[BACKEND_SESSION_KEY] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def rename_back(apps, schema_editor):
    rename_backend(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(rename_backend, rename_back)]
