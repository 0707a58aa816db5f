"""Thin Celery tasks over the services: delivery of one row, and the periodic re-drive."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="notifications.deliver", ignore_result=True)
def deliver_notification(notification_id: int) -> bool:
    # Retries are the row's own (attempts, next_attempt_at) and the re-drive picks them up:
    # no long countdown tasks on Redis (they are redelivered after the visibility timeout).
    return services.deliver(notification_id=notification_id)


@shared_task(name="notifications.redrive", ignore_result=True)
def redrive_notifications() -> int:
    return services.redrive_undelivered()


@shared_task(name="notifications.deliver_digest", ignore_result=True)
def deliver_digest(notification_ids: list[int]) -> int:
    """One e-mail carrying a person's notices from one deadline sweep (notifications.batching)."""
    from . import batching

    return batching.deliver_digest(notification_ids=notification_ids)
