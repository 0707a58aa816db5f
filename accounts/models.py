"""People, the customer organisations they belong to, and the support teams."""

from __future__ import annotations

import functools

from django.contrib.auth.models import AbstractUser
from django.db import connections, models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# How User reads its permissions and team roles in one query: a permission is a row (app label,
# codename); a team is (LED or MEMBER, its id), markers no app label can equal.
LED = "#led"
MEMBER = "#member"


class Organisation(models.Model):
    """A customer organisation; its users only ever see its own tickets."""

    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(max_length=200, blank=True, help_text=_("E-mail domain, e.g. acme.example"))
    phone = models.CharField(max_length=50, blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """The roles of SPEC §1; each is a Django group carrying its permissions."""

    CUSTOMER = "Customer"
    ENGINEER = "Engineer"
    SME = "Subject matter expert"
    TEAM_LEADER = "Team leader"
    TEAM_MANAGER = "Team manager"
    ESCALATION_MANAGER = "Escalation manager"
    LEADERSHIP = "Leadership"
    IT_MANAGER = "IT manager"
    ADMINISTRATOR = "Administrator"


class User(AbstractUser):
    """Staff and customers share one auth system; customers belong to one organisation."""

    email = models.EmailField("e-mail address", blank=True)
    title = models.CharField(max_length=120, blank=True, help_text=_("Job title"))
    phone = models.CharField(max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("Set for customers only: the organisation whose tickets they see."),
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def has_perm(self, perm: str, obj: object = None) -> bool:
        """As Django's, with the user's own and their groups' permissions read in one query
        (ModelBackend reads them in two) and kept on the user for the request, as it does; the
        same query brings the user's team roles (team_ids), which most checks ask next."""
        if obj is None and self._reads_own_permissions() and not hasattr(self, "_perm_cache"):
            self.__dict__.setdefault("_team_roles", self._permissions_and_team_roles())
        return super().has_perm(perm, obj)

    def _reads_own_permissions(self) -> bool:
        """Active users who are not superusers: Django answers the others without a query."""
        return self.is_active and not self.is_superuser

    def _permissions_and_team_roles(self) -> dict[int, bool]:
        """One query for both (issue 12: a create through the API no longer reads the teams on
        their own, and no page builds two ORM queries for them): the permission names go to
        _perm_cache, the team roles are returned."""
        with connections[self._state.db or "default"].cursor() as cursor:
            cursor.execute(permissions_and_teams_sql(), [self.pk] * 7)
            rows = cursor.fetchall()
        perms: set[str] = set()
        roles: dict[int, bool] = {}
        for first, second in rows:
            if first in (LED, MEMBER):
                roles[int(second)] = roles.get(int(second), False) or first == LED
            else:
                perms.add(f"{first}.{second}")
        self._perm_cache = perms
        return roles

    @property
    def is_customer(self) -> bool:
        return self.organisation_id is not None and not self.is_staff

    @property
    def is_agent(self) -> bool:
        """Support staff: engineers, leaders, managers, escalation managers, admins."""
        return self.is_active and self.is_staff

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: Role | str) -> bool:
        return self.is_superuser or str(role) in self.role_names

    @cached_property
    def _team_roles(self) -> dict[int, bool]:
        """Each team the user belongs to as member, team leader or team manager, and whether
        they lead or manage it (read with the permissions: one query), read by team_ids and
        led_team_ids alike."""
        known = self.__dict__.get("_perm_cache")
        roles = self._permissions_and_team_roles()
        if known is not None:
            self._perm_cache = known
        elif not self._reads_own_permissions():
            del self._perm_cache  # Django's backend reads a superuser's (all) its own way
        return roles

    @cached_property
    def team_ids(self) -> frozenset[int]:
        """Teams the user belongs to as member, team leader or team manager."""
        return frozenset(self._team_roles)

    @cached_property
    def led_team_ids(self) -> frozenset[int]:
        return frozenset(pk for pk, led in self._team_roles.items() if led)

    @property
    def contact_line(self) -> str:
        parts = [str(self)]
        if self.title:
            parts.append(self.title)
        if self.email:
            parts.append(self.email)
        if self.phone:
            parts.append(self.phone)
        return " · ".join(parts)


class Team(models.Model):
    """A support team staffing a tier (Tier 1, Tier 2, Engineering…) or another function."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True, help_text=_("Team mailbox"))
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    leaders = models.ManyToManyField(User, related_name="led_teams", blank=True, help_text=_("Team leaders"))
    manager = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
        help_text=_("Team manager (manages the team leaders)"),
    )
    requires_knowledge_update = models.BooleanField(
        default=False,
        help_text=_(
            "Tickets this team worked need a knowledge-base update (or a reason for "
            "none) before they can be resolved, as Engineering's do (seed 003)."
        ),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@functools.cache
def permissions_and_teams_sql() -> str:
    """The user's permissions (own and their groups') and teams (member, leader, manager) as one
    statement, written once from the tables' names: building the two as ORM queries cost more
    than running them (issue 12). Its parameter is the user's id, seven times."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    own = User.user_permissions.through._meta.db_table
    in_groups = User.groups.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    members = Team.members.through._meta.db_table
    leaders = Team.leaders.through._meta.db_table
    team = Team._meta.db_table
    return (
        f"SELECT ct.app_label, p.codename FROM {Permission._meta.db_table} p"
        f" JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id"
        f" WHERE p.id IN (SELECT permission_id FROM {own} WHERE user_id = %s)"
        f" OR p.id IN (SELECT gp.permission_id FROM {group_perms} gp"
        f" JOIN {in_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
        f" UNION SELECT CASE WHEN t.manager_id = %s"
        f" OR EXISTS (SELECT 1 FROM {leaders} l WHERE l.team_id = t.id AND l.user_id = %s)"
        f" THEN '{LED}' ELSE '{MEMBER}' END, CAST(t.id AS TEXT) FROM {team} t"
        f" WHERE t.manager_id = %s OR t.id IN (SELECT team_id FROM {members} WHERE user_id = %s)"
        f" OR t.id IN (SELECT team_id FROM {leaders} WHERE user_id = %s)"
    )
