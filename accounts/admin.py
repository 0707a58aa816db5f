from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import ManyToManyField, QuerySet
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import lockout
from .models import Organisation, Role, Team, User

# What only a superuser may grant: nobody else can raise anyone (themselves least) to it.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "user_permissions")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "email", "title", "organisation", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "groups", "organisation"]
    search_fields = ["username", "first_name", "last_name", "email", "title", "phone"]
    list_select_related = ["organisation"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Contact and organisation", {"fields": ["title", "phone", "organisation"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (
            "Contact and organisation",
            {"fields": ["email", "first_name", "last_name", "title", "phone", "organisation"]},
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        """Only superusers grant superuser, staff status, permissions or the Administrator role;
        nobody changes their own roles, and only a superuser changes an administrator's."""
        readonly = list(super().get_readonly_fields(request, obj))
        user = request.user
        if not user.is_superuser:
            readonly += [f for f in PRIVILEGE_FIELDS if f not in readonly]
            if obj is not None and (obj.is_superuser or obj.has_role(Role.ADMINISTRATOR)):
                readonly.append("groups")
        if obj is not None and obj.pk == user.pk and "groups" not in readonly:
            readonly += ["groups", "is_superuser", "is_staff", "user_permissions"]
        return list(dict.fromkeys(readonly))

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None and not request.user.is_superuser:
            field.queryset = field.queryset.exclude(name=str(Role.ADMINISTRATOR))
        return field


class CustomerInline(admin.TabularInline):
    model = User
    fields = ["username", "first_name", "last_name", "email", "phone", "title", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "phone", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "domain"]
    inlines = [CustomerInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "email", "requires_knowledge_update"]
    list_filter = ["requires_knowledge_update"]
    search_fields = ["name", "description"]
    filter_horizontal = ["members", "leaders"]
    autocomplete_fields = ["manager"]
    list_select_related = ["manager"]


# --- login lock-outs (django-axes): axes' own admin, plus a plain "Unlock" ---------------------

admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """Failed logins per username and address; Unlock (or delete) lets them sign in again."""

    actions = ["unlock_selected", *AxesAccessAttemptAdmin.actions]

    @admin.action(
        description=_("Unlock: clear the failed logins of the selected rows and of their usernames"),
        permissions=["delete"],
    )
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        # An address's lock-out is lifted by selecting its rows (search by address); a username's
        # rows from every address go together, so a user locked out by name signs in again.
        count = lockout.unlock(
            attempt_ids=queryset.values_list("pk", flat=True),
            usernames=queryset.values_list("username", flat=True),
            reason=f"admin {request.user.get_username()}",
        )
        self.message_user(
            request,
            ngettext(
                "Unlocked: %(count)d failed-login record cleared.",
                "Unlocked: %(count)d failed-login records cleared.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
