"""History tables are append-only in the database (SPEC §10), whoever writes the SQL.

Models list `append_only()` in `Meta.triggers` (django-pgtrigger): on PostgreSQL a row trigger
refuses every UPDATE and DELETE; SQLite (`make run`) installs nothing. TRUNCATE is a statement,
not a row change, so the test runner's flush still empties the tables between tests.
"""

from __future__ import annotations

import pgtrigger


def append_only() -> pgtrigger.Protect:
    """The trigger that refuses to change or delete a row once written."""
    return pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)
