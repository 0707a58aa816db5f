from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = _("Agent console")

    def ready(self) -> None:
        from escalation_desk import passwords

        passwords.register()  # the password reset mail (console and portal)
