"""How the app's PostgreSQL connections are set up (escalation_desk/settings.py)."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"
)
@pytest.mark.django_db
def test_connections_run_without_jit_compilation() -> None:
    """JIT compiling a page's short query over 100,000 rows took longer than running it."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
