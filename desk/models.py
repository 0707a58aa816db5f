"""The console's own rows: what a staff member keeps of their way of working (not domain state)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A named set of queue filters and sort, kept as the query string the queue page reads."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query string"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_once_per_user")]

    def __str__(self) -> str:
        return self.name
