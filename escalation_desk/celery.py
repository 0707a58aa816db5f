"""The Celery application: tasks are discovered in every installed app; logs as Django's."""

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, setup_logging, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_desk.settings")

app = Celery("escalation_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def refuse_development_settings(**kwargs: Any) -> None:
    """A worker or beat with DEBUG off stops on development-only settings (escalation_desk/startup.py).

    SystemExit, not the ImproperlyConfigured itself: Celery logs and swallows a signal handler's
    exceptions, and the process must not go on.
    """
    from django.core.exceptions import ImproperlyConfigured

    from escalation_desk import startup

    try:
        startup.refuse_development_settings()
    except ImproperlyConfigured as exc:
        raise SystemExit(str(exc)) from exc


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (JSON in production), not Celery's format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# The context of each running task, restored when it ends (an eager task runs inside a request).
_bound: dict[str, tuple[Any, Any]] = {}


@task_prerun.connect
def bind_task(task_id: str = "?", task: Any = None, **kwargs: Any) -> None:
    """Every log line of a task names it (task_name, task_id); a ticket is bound where known."""
    from escalation_desk import log_context

    _bound[task_id] = (
        log_context.task_var.set((getattr(task, "name", "?"), task_id)),
        log_context.ticket_var.set(None),
    )


@task_postrun.connect
def unbind_task(task_id: str = "?", **kwargs: Any) -> None:
    from escalation_desk import log_context

    if tokens := _bound.pop(task_id, None):
        try:
            log_context.ticket_var.reset(tokens[1])
            log_context.task_var.reset(tokens[0])
        except ValueError:  # ended in another context than it started: just clear
            log_context.ticket_var.set(None)
            log_context.task_var.set(None)
