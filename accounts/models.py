"""People, the customer organisations they belong to, and the support teams."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Cast
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# How User reads its permissions and team roles in one query: a permission is (app label,
# codename); a team is (LED or MEMBER, its id), markers no app label can equal.
PERMISSION_NAME = ("content_type__app_label", "codename")
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
            if "_team_roles" in self.__dict__:
                self._perm_cache = set(self._permission_rows().values_list(*PERMISSION_NAME).distinct())
            else:
                self.__dict__["_team_roles"] = self._permissions_and_team_roles()
        return super().has_perm(perm, obj)

    def _reads_own_permissions(self) -> bool:
        """Active users who are not superusers: Django answers the others without a query."""
        return self.is_active and not self.is_superuser

    def _permission_rows(self) -> models.QuerySet[Any]:
        from django.contrib.auth.models import Permission

        return Permission.objects.filter(models.Q(user=self) | models.Q(group__user=self))

    def _team_rows(self) -> models.QuerySet[Team]:
        """The teams the user belongs to as member, team leader or team manager, each marked
        whether they lead or manage it."""
        led = Team.leaders.through.objects.filter(team_id=models.OuterRef("pk"), user_id=self.pk)
        return Team.objects.filter(
            models.Q(pk__in=Team.members.through.objects.filter(user_id=self.pk).values("team_id"))
            | models.Q(pk__in=Team.leaders.through.objects.filter(user_id=self.pk).values("team_id"))
            | models.Q(manager_id=self.pk)
        ).annotate(
            role=models.Case(
                models.When(
                    models.Q(models.Exists(led)) | models.Q(manager_id=self.pk), then=models.Value(LED)
                ),
                default=models.Value(MEMBER),
                output_field=models.CharField(),
            ),
            team=Cast("pk", models.CharField()),
        )

    def _permissions_and_team_roles(self) -> dict[int, bool]:
        """One query for both (issue 12: a create through the API no longer reads the teams
        on their own): the permission names in _perm_cache, the team roles returned. A team's
        row is (LED or MEMBER, its id), which no permission's (app label, codename) can be."""
        rows = (
            self._permission_rows()
            .order_by()
            .values_list(*PERMISSION_NAME)
            .union(self._team_rows().order_by().values_list("role", "team"))
        )
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
        they lead or manage it: one query (with the permissions when they are not read yet),
        read by team_ids and led_team_ids alike."""
        if self._reads_own_permissions() and not hasattr(self, "_perm_cache"):
            return self._permissions_and_team_roles()
        return {int(team): role == LED for role, team in self._team_rows().values_list("role", "team")}

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
