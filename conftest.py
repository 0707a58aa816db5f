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
        organisation=org, requester=customer, created_by=engineer, service=service,
        category=category,
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
            pytest.exit("CI requires PostgreSQL, Redis, Chromium and IMAP: " + "; ".join(missing), returncode=3)


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
