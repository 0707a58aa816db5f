from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from clocks.registry import register_sweep_wrapper
        from notifications.batching import batched_emails

        from . import notices, sla

        sla.register()
        notices.register()
        # One e-mail per person per deadline sweep (clocks imports no app of ours, nor may
        # notifications import clocks: the app that knows both joins them).
        register_sweep_wrapper(batched_emails)
