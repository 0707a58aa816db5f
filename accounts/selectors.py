"""Who a form or the browsable API may offer as a choice: people scoped to the viewer (issue 10).

Every input that names a person reads these, so a choice list never shows a customer another
organisation's people or support staff, and an id outside the scope is refused as invalid.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import User


def is_staff_viewer(viewer: User) -> bool:
    """Active support staff; customers and anonymous callers are not."""
    return bool(getattr(viewer, "is_active", False) and getattr(viewer, "is_staff", False))


def staff_choices(viewer: User) -> QuerySet[User]:
    """Active support staff, offered only to staff: a customer is offered nobody."""
    if not is_staff_viewer(viewer):
        return User.objects.none()
    return User.objects.filter(is_active=True, is_staff=True)


def contact_choices(viewer: User, organisation_id: int | None = None) -> QuerySet[User]:
    """Active customer contacts: a customer only their own organisation's; staff those of
    `organisation_id`, or of every organisation when it is not given."""
    contacts = User.objects.filter(is_active=True, is_staff=False, organisation__isnull=False)
    if not is_staff_viewer(viewer):
        own = getattr(viewer, "organisation_id", None)
        if not own or (organisation_id is not None and organisation_id != own):
            return User.objects.none()
        return contacts.filter(organisation_id=own)
    if organisation_id is not None:
        return contacts.filter(organisation_id=organisation_id)
    return contacts
