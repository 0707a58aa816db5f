"""The roles of SPEC §1 exist as groups after migrate, each with its permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.models import Role
from accounts.roles import ROLE_PERMISSIONS, sync_role_groups


def perms_of(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_it_creates_every_role_group_on_migrate() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {str(role) for role in Role}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [str(role) for role in Role])
def test_it_gives_each_group_exactly_the_permissions_of_its_role(role: str) -> None:
    assert perms_of(role) == set(ROLE_PERMISSIONS[role])


@pytest.mark.django_db
def test_it_lets_customers_confirm_but_not_see_internal_notes_or_work_tickets() -> None:
    customer = perms_of("Customer")
    assert {"tickets.confirm_resolution", "tickets.add_ticket", "tickets.add_comment"} <= customer
    assert not customer & {
        "tickets.view_internal",
        "tickets.view_all_tickets",
        "tickets.work_ticket",
        "tickets.work_any_ticket",
        "tickets.add_troubleshootingstep",
        "tickets.change_ticket",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["Engineer", "Team leader", "Team manager"])
def test_it_lets_support_staff_work_their_teams_tickets(role: str) -> None:
    staff = perms_of(role)
    assert {"tickets.work_ticket", "tickets.view_internal", "tickets.add_troubleshootingstep"} <= staff
    assert "tickets.work_any_ticket" not in staff
    assert "tickets.confirm_resolution" not in staff


@pytest.mark.django_db
def test_it_lets_administrators_work_any_ticket() -> None:
    assert "tickets.work_any_ticket" in perms_of("Administrator")


@pytest.mark.django_db
def test_it_never_lets_a_role_rewrite_the_timeline() -> None:
    for role in Role:
        assert not perms_of(str(role)) & {"tickets.change_timelineevent", "tickets.delete_timelineevent"}


@pytest.mark.django_db
def test_it_restores_a_groups_permissions_when_roles_are_synced_again() -> None:
    engineer = Group.objects.get(name="Engineer")
    engineer.permissions.clear()
    Group.objects.filter(name="Leadership").delete()
    sync_role_groups()
    assert perms_of("Engineer") == set(ROLE_PERMISSIONS["Engineer"])
    assert perms_of("Leadership") == set(ROLE_PERMISSIONS["Leadership"])


@pytest.mark.django_db
def test_it_syncs_the_groups_when_migrate_runs() -> None:
    Group.objects.filter(name="Customer").delete()
    call_command("migrate", verbosity=0)
    assert perms_of("Customer") == set(ROLE_PERMISSIONS["Customer"])


@pytest.mark.django_db
def test_it_names_only_permissions_that_exist() -> None:
    """sync_role_groups skips unknown names silently, so a typo would go unnoticed without this."""
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    assert wanted - existing == set()
