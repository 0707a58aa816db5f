"""Sessions signed in under Django's ModelBackend stay signed in after the switch to
accounts.backends.UserBackend (the data migration accounts 0002)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests_support.factories import TeamFactory, make_agent

migration = importlib.import_module("accounts.migrations.0002_sessions_keep_signed_in")

pytestmark = pytest.mark.django_db


def _signed_in_under(backend: str) -> Client:
    client = Client()
    client.force_login(make_agent("Engineer", team=TeamFactory(name="Tier 1"), username="erin"))
    store = SessionStore(session_key=client.session.session_key)
    store[BACKEND_SESSION_KEY] = backend
    store.save()
    return client


def _is_signed_in(client: Client) -> bool:
    return client.get(reverse("desk:my_work")).status_code == 200


def test_a_session_of_the_old_backend_is_signed_out_until_the_migration_renames_it() -> None:
    client = _signed_in_under(migration.OLD)
    assert not _is_signed_in(client)  # what a deploy without the migration would do

    migration.rename_backend(apps, SimpleNamespace(connection=connection))

    assert _is_signed_in(client)
    assert client.session[BACKEND_SESSION_KEY] == migration.NEW


def test_it_leaves_other_sessions_alone_and_renames_back() -> None:
    client = _signed_in_under(migration.OLD)
    migration.rename_backend(apps, SimpleNamespace(connection=connection))
    migration.rename_back(apps, SimpleNamespace(connection=connection))
    assert client.session[BACKEND_SESSION_KEY] == migration.OLD
    other = _signed_in_under("axes.backends.AxesStandaloneBackend")
    migration.rename_backend(apps, SimpleNamespace(connection=connection))
    assert other.session[BACKEND_SESSION_KEY] == "axes.backends.AxesStandaloneBackend"
