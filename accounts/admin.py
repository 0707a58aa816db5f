from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Organisation, Team, User


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
        ("Contact and organisation", {"fields": ["email", "first_name", "last_name", "title", "phone", "organisation"]}),
    ]


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
