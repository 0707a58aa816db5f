from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClocksConfig(AppConfig):
    name = "clocks"
    verbose_name = _("Clocks and deadlines")

    def ready(self) -> None:
        from . import handlers

        handlers.register_builtin_handlers()
