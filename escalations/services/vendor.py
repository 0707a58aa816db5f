"""Vendor tiers: the vendor's case and the updates received from the vendor (SPEC §3)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from escalation_desk.domain import InvalidInput, Refused
from tickets.models import Ticket
from tickets.services.core import lock_ticket, record_event

from .. import permissions
from ..models import TierKind, TierStint, VendorEngagement, VendorUpdate
from ..selectors import current_stint


def _vendor_stint(ticket: Ticket, what: str) -> TierStint:
    stint = current_stint(ticket)
    if stint is None or stint.tier.kind != TierKind.VENDOR:
        raise Refused(
            gettext("%(change)s refused") % {"change": what},
            [gettext("the ticket to be in a vendor tier (after an approved hand-off)")],
        )
    return stint


def vendor_engage(
    *, ticket: Ticket, actor: User, case_number: str, contact: str, vendor_name: str = ""
) -> VendorEngagement:
    """Record the vendor's case for a ticket in a vendor tier."""
    with transaction.atomic():
        locked = lock_ticket(ticket)
        stint = _vendor_stint(locked, gettext("Recording the vendor case"))
        if not permissions.can_record_vendor(locked, actor):
            raise PermissionDenied(gettext("You may not record vendor work on this ticket."))
        name = (vendor_name or "").strip() or stint.tier.vendor_name
        missing = [
            label
            for value, label in (
                (name, gettext("the vendor's name")),
                (case_number, gettext("the vendor case number")),
                (contact, gettext("the vendor contact")),
            )
            if not (value or "").strip()
        ]
        if missing:
            raise Refused(gettext("Recording the vendor case refused"), missing)
        engagement = VendorEngagement.objects.create(
            ticket=locked,
            tier=stint.tier,
            vendor_name=name.strip(),
            case_number=case_number.strip(),
            contact=contact.strip(),
            engaged_by=actor,
        )
        record_event(
            ticket=locked,
            kind="vendor_engaged",
            actor=actor,
            target=name[:40],
            reason=gettext("%(vendor)s case %(case)s, contact %(contact)s.")
            % {"vendor": name, "case": engagement.case_number, "contact": engagement.contact},
            details={"engagement": engagement.pk},
        )
    return engagement


def vendor_update(
    *, engagement: VendorEngagement, actor: User, summary: str, received_at: datetime | None = None
) -> VendorUpdate:
    """Record an update received from the vendor."""
    if not (summary or "").strip():
        raise InvalidInput({"summary": [gettext("Say what the vendor reported.")]})
    if received_at is not None and received_at > timezone.now():
        raise InvalidInput({"received_at": [gettext("An update cannot be received in the future.")]})
    with transaction.atomic():
        ticket = lock_ticket(engagement.ticket)
        if not ticket.is_open:
            raise Refused(gettext("Vendor update refused"), [gettext("an open ticket")])
        if not permissions.can_record_vendor(ticket, actor):
            raise PermissionDenied(gettext("You may not record vendor work on this ticket."))
        update = VendorUpdate.objects.create(
            engagement=engagement,
            summary=summary.strip(),
            recorded_by=actor,
            received_at=received_at or timezone.now(),
        )
        record_event(
            ticket=ticket,
            kind="vendor_update",
            actor=actor,
            source=engagement.vendor_name[:40],
            reason=update.summary,
            details={"engagement": engagement.pk, "update": update.pk},
        )
    return update
