"""Shared personas and factories for every app's tests."""

from __future__ import annotations

import pytest

from tests_support.factories import (
    CategoryFactory,
    OrganisationFactory,
    ServiceFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
    make_agent,
    make_customer,
)

# browser, page and shots: one Chromium for every journey of the run.
pytest_plugins = ["tests_support.browser"]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache, so API throttle counts never carry from test to test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Acme Manufacturing")


@pytest.fixture
def other_org(db):
    return OrganisationFactory(name="Globex Logistics")


@pytest.fixture
def tier1(db):
    return TeamFactory(name="Tier 1")


@pytest.fixture
def tier2(db):
    return TeamFactory(name="Tier 2")


@pytest.fixture
def engineering(db):
    return TeamFactory(name="Engineering", requires_knowledge_update=True)


@pytest.fixture
def customer(org):
    return make_customer(org, username="carla")


@pytest.fixture
def other_customer(other_org):
    return make_customer(other_org, username="gus")


@pytest.fixture
def engineer(tier1):
    return make_agent("Engineer", team=tier1, username="erin")


@pytest.fixture
def other_engineer(tier2):
    """An engineer of another team than the ticket's."""
    return make_agent("Engineer", team=tier2, username="otto")


@pytest.fixture
def team_leader(tier1):
    user = make_agent("Team leader", username="tess")
    tier1.leaders.add(user)
    return user


@pytest.fixture
def team_manager(tier1):
    user = make_agent("Team manager", username="manny")
    tier1.manager = user
    tier1.save()
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def service(tier1):
    return ServiceFactory(name="Payroll", default_team=tier1)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Software")


@pytest.fixture
def ticket(org, customer, engineer, service, category):
    """A new ticket with its intake fully documented, from Acme, for Tier 1's service."""
    return TicketFactory(
        organisation=org, requester=customer, created_by=engineer, service=service, category=category
    )


@pytest.fixture(autouse=True)
def broker_presumed_up():
    """A broker failure in one test does not pause publishing in the next (notifications.services)."""
    from notifications.services import resume_publishing

    resume_publishing()
    yield
    resume_publishing()


# --- what this run has, and CI's rule that nothing may be skipped ---------------------------

from tests_support import environment  # noqa: E402


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [
        f"database: {'PostgreSQL' if environment.uses_postgres() else 'SQLite'}; "
        f"broker: {environment.broker_url() or 'filesystem://'}; "
        f"chromium: {'yes' if environment.has_chromium() else 'no'}; "
        f"imap: {'yes' if environment.has_imap() else 'no'}; CI: {environment.in_ci()}"
    ]
    lines += [f"SKIPPING: {m}" for m in environment.missing_components()]
    return lines


def pytest_configure(config: pytest.Config) -> None:
    if environment.in_ci():
        missing = environment.missing_components()
        if missing:
            pytest.exit(
                "CI requires PostgreSQL, Redis, Chromium and IMAP: " + "; ".join(missing), returncode=3
            )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and environment.in_ci():
        reporter.write_line(f"CI forbids skipped tests; {len(skipped)} were skipped.", red=True)
        session.exitstatus = 1
    elif skipped and reporter:
        reporter.write_line(
            f"{len(skipped)} tests skipped because this machine lacks: "
            + "; ".join(environment.missing_components()),
            yellow=True,
        )


# --- no database session outlives the run (issue 10, point 20) -------------------------------
# PostgreSQL refuses to drop the test database while another session uses it, and pytest-django
# only warns ("database ... is being accessed by other users"). Every connection says which
# thread and test opened it (application_name); any left behind is terminated (so the drop
# succeeds) and fails the run, naming it (STRICT_DB_SESSIONS=0: only named in red at the end).

import os  # noqa: E402
import threading  # noqa: E402

from django.db.backends.signals import connection_created  # noqa: E402


def _name_the_session(sender: object, connection: object, **kwargs: object) -> None:
    """application_name = "<thread> <test>", so a session left behind says who opened it."""
    if connection.vendor != "postgresql":  # type: ignore[attr-defined]
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].rpartition("::")[2]
    name = f"{threading.current_thread().name} {test}"[:63]
    with connection.connection.cursor() as cursor:  # type: ignore[attr-defined]  # raw: not a counted query
        cursor.execute("SELECT set_config('application_name', %s, false)", [name])


connection_created.connect(_name_the_session, dispatch_uid="tests-name-the-session")


def _on_the_server(sql: str, params: list[object]) -> list[tuple]:
    """Run one statement on the server's `postgres` database, outside Django's connections."""
    import psycopg2
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
    )
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        admin.close()


def _other_sessions(database: str) -> list[tuple]:
    """Sessions on `database`: pid, application_name, state, last query."""
    return _on_the_server(
        "SELECT pid, application_name, state, left(query, 120) FROM pg_stat_activity WHERE datname = %s",
        [database],
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: object) -> object:
    """pytest-django's, plus: before the test database is dropped, no other session may hold it."""
    yield
    if not environment.uses_postgres():
        return
    from django.db import connections

    database = connections["default"].settings_dict["NAME"]
    connections.close_all()
    if left := _other_sessions(database):
        # Let the drop succeed all the same, so that the next run starts clean.
        _on_the_server(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database]
        )
        message = (
            f"{len(left)} database session(s) still open on {database} at the end of the run "
            "(a connection nobody closed; terminated so the test database could be dropped):\n"
            + "\n".join(
                f"  pid {pid}: opened by {app or '?'!r}, {state}, last query {query!r}"
                for pid, app, state, query in left
            )
        )
        if _strict_about_sessions():
            pytest.fail(message, pytrace=False)
        _LEFT_BEHIND.append(message)


def _strict_about_sessions() -> bool:
    """A session left behind fails the run unless STRICT_DB_SESSIONS is 0/false/no."""
    return os.environ.get("STRICT_DB_SESSIONS", "1").lower() not in {"0", "false", "no"}


_LEFT_BEHIND: list[str] = []


def pytest_terminal_summary(terminalreporter: object) -> None:
    """Name the sessions left behind in red at the end (only with STRICT_DB_SESSIONS=0)."""
    for message in _LEFT_BEHIND:
        terminalreporter.write_line(message, red=True)  # type: ignore[attr-defined]
