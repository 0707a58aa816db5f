"""A user's permissions and team roles are read in one query, whichever is asked first (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from tests_support.factories import TeamFactory, make_agent


@pytest.fixture
def leader_of_two() -> tuple[User, dict[str, int]]:
    """A team leader who is a member of one team, leads another and manages a third."""
    member_of, leads, manages, elsewhere = (
        TeamFactory(name=n) for n in ("Tier 1", "Tier 2", "Tier 3", "Apps")
    )
    user = make_agent("Team leader", team=member_of, username="lena")
    leads.leaders.add(user)
    leads.members.add(user)  # a member too: still one team, led
    manages.manager = user
    manages.save()
    elsewhere.members.add(make_agent("Engineer", username="other"))
    user.user_permissions.add(Permission.objects.get(codename="view_internal"))  # own, beside the group's
    ids = {"member_of": member_of.pk, "leads": leads.pk, "manages": manages.pk}
    return User.objects.get(pk=user.pk), ids


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["permissions", "teams"])
def test_it_reads_permissions_and_teams_in_one_query(
    leader_of_two: tuple[User, dict[str, int]], first: str, django_assert_num_queries: Any
) -> None:
    user, ids = leader_of_two
    with django_assert_num_queries(1):
        if first == "teams":
            team_ids = user.team_ids
        assert user.has_perm("tickets.work_ticket")  # the group's
        assert user.has_perm("tickets.view_internal")  # the user's own
        assert not user.has_perm("tickets.work_any_ticket")
        team_ids = user.team_ids
        led = user.led_team_ids
    assert team_ids == {ids["member_of"], ids["leads"], ids["manages"]}
    assert led == {ids["leads"], ids["manages"]}


@pytest.mark.django_db
def test_it_reads_the_teams_alone_once_the_permissions_are_known(
    leader_of_two: tuple[User, dict[str, int]], django_assert_num_queries: Any
) -> None:
    user, ids = leader_of_two
    user.get_all_permissions()  # Django's backend keeps them on the user: the teams are still to read
    with django_assert_num_queries(1):
        assert user.led_team_ids == {ids["leads"], ids["manages"]}
        assert user.has_perm("tickets.work_ticket")


@pytest.mark.django_db
def test_it_leaves_a_superusers_permissions_to_django() -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    team = TeamFactory(name="Tier 1")
    team.leaders.add(admin)
    admin = User.objects.get(pk=admin.pk)
    assert admin.led_team_ids == {team.pk}
    assert admin.get_all_permissions() == {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
