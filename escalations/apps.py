from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscalationsConfig(AppConfig):
    name = "escalations"
    verbose_name = _("Escalations")

    def ready(self) -> None:
        from . import handlers

        handlers.register()
