from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Customer escalations"

    def ready(self) -> None:
        from . import handlers

        handlers.register()
