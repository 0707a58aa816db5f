"""The authentication backend: Django's ModelBackend, whose per-request read of the signed-in user
also reads their permissions and their teams (one query instead of three).

The permissions (their own and their groups') become the user's `_perm_cache`, as ModelBackend
keeps them, and the teams `User._team_roles` (accounts.models): neither is read again in the
request. Superusers keep ModelBackend's own reading (they have every permission anyway).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import JSONArray

from escalation_desk.folding import Compiled, JsonRows, compiled_on, json_values

from .models import Team, User


def _permissions() -> JsonRows:
    rows = Permission.objects.filter(Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk")))
    row = JSONArray("content_type__app_label", "codename")
    return JsonRows(rows.order_by().annotate(row=row).values("row"))


def _teams() -> JsonRows:
    led = Team.leaders.through.objects.filter(team_id=OuterRef("pk"), user_id=OuterRef(OuterRef("pk")))
    teams = Team.objects.filter(
        Q(pk__in=Team.members.through.objects.filter(user_id=OuterRef(OuterRef("pk"))).values("team_id"))
        | Q(pk__in=Team.leaders.through.objects.filter(user_id=OuterRef(OuterRef("pk"))).values("team_id"))
        | Q(manager_id=OuterRef("pk"))
    )
    return JsonRows(teams.order_by().annotate(row=JSONArray("pk", Exists(led), "manager_id")).values("row"))


_COMPILED: tuple[Compiled, Compiled] = ({}, {})


def with_permissions_and_teams(users: QuerySet[User]) -> QuerySet[User]:
    """The users with their permissions and teams as JSON columns (see remember_permissions_and_teams)."""
    return users.annotate(
        folded_permissions=compiled_on(User, _permissions, _COMPILED[0]),
        folded_teams=compiled_on(User, _teams, _COMPILED[1]),
    )


def remember_permissions_and_teams(user: User) -> None:
    """Keep what with_permissions_and_teams read on the user: has_perm, team_ids and
    led_team_ids run no query."""
    if user.is_active and not user.is_superuser:
        user._perm_cache = {f"{app}.{codename}" for app, codename in json_values(user.folded_permissions)}
    user.__dict__["_team_roles"] = {
        pk: bool(is_led) or manager_id == user.pk for pk, is_led, manager_id in json_values(user.folded_teams)
    }


class UserBackend(ModelBackend):
    """ModelBackend, reading the signed-in user's permissions and teams with the user."""

    def get_user(self, user_id: Any) -> User | None:
        user = with_permissions_and_teams(User._default_manager.filter(pk=user_id)).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_permissions_and_teams(user)
        return user
