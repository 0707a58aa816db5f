from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = "Agent console"

    def ready(self) -> None:
        from escalation_desk import passwords

        passwords.register()  # the password reset mail (console and portal)
