from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "clocks"
    verbose_name = "Clocks and deadlines"

    def ready(self) -> None:
        from . import handlers

        handlers.register_builtin_handlers()
