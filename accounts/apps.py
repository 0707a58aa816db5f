from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts, organisations and teams")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .roles import sync_role_groups

        # After every migrate, so the permissions of apps migrated later exist too.
        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
