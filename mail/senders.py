"""Who wrote a message: a customer we know by address, or (when allowed) a new one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils.translation import gettext

from accounts.models import Organisation, Role, User
from accounts.roles import sync_role_groups


@dataclass(frozen=True)
class Sender:
    """The person a message is from, or why there is nobody we may act for."""

    user: User | None
    refusal: str = ""
    created: bool = False


def customers_with_address(address: str) -> list[User]:
    return list(
        User.objects.filter(
            email__iexact=address,
            is_active=True,
            is_staff=False,
            organisation__isnull=False,
            organisation__is_active=True,
        )
        .select_related("organisation")
        .order_by("pk")
    )


def known_sender(address: str) -> Sender:
    """The active customer with this address; staff and ambiguous addresses are refused."""
    if not address:
        return Sender(None, gettext("the message has no sender address"))
    customers = customers_with_address(address)
    if len({c.organisation_id for c in customers}) > 1:
        return Sender(
            None,
            gettext("%(address)s is a contact of several organisations: it is not clear whose request it is")
            % {"address": address},
        )
    if customers:
        return Sender(customers[0])
    if User.objects.filter(email__iexact=address, is_active=True, is_staff=True).exists():
        return Sender(
            None,
            gettext("%(address)s is a staff account: staff answer in the console, not by e-mail")
            % {"address": address},
        )
    return Sender(None, "")


def organisation_for_domain(address: str) -> tuple[Organisation | None, str]:
    domain = address.rpartition("@")[2].lower()
    if not domain:
        return None, gettext("%(address)s has no domain") % {"address": address}
    found = list(Organisation.objects.filter(domain__iexact=domain, is_active=True)[:2])
    if not found:
        return None, gettext("no organisation has the e-mail domain %(domain)s") % {"domain": domain}
    if len(found) > 1:
        return None, gettext("several organisations have the e-mail domain %(domain)s") % {"domain": domain}
    return found[0], ""


def _username_for(address: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", address)[:140] or "customer"
    name, serial = base, 1
    while User.objects.filter(username__iexact=name).exists():
        serial += 1
        name = f"{base[:140]}-{serial}"
    return name


def create_customer(*, address: str, display_name: str, organisation: Organisation) -> User:
    """A customer of the organisation for an unknown address (INBOUND_MAIL_UNKNOWN_SENDERS=create).

    They get no password: they sign in to the portal after resetting it, like any invited contact.
    """
    first, _, last = " ".join(display_name.replace('"', "").split()).partition(" ")
    user = User(
        username=_username_for(address),
        email=address,
        organisation=organisation,
        first_name=first[:150],
        last_name=last[:150],
        is_staff=False,
    )
    user.set_unusable_password()
    user.save()
    group = Group.objects.filter(name=str(Role.CUSTOMER)).first()
    if group is None:  # the role groups are made after migrate; make them now if missing
        sync_role_groups()
        group = Group.objects.get(name=str(Role.CUSTOMER))
    user.groups.add(group)
    return user


def sender_for(address: str, display_name: str) -> Sender:
    """The sender as a customer: known, created (when the setting allows), or refused with why."""
    sender = known_sender(address)
    if sender.user is not None or sender.refusal:
        return sender
    if settings.INBOUND_MAIL_UNKNOWN_SENDERS != "create":
        return Sender(
            None,
            gettext("unknown sender %(address)s (INBOUND_MAIL_UNKNOWN_SENDERS=reject)")
            % {"address": address},
        )
    organisation, why = organisation_for_domain(address)
    if organisation is None:
        return Sender(None, gettext("unknown sender %(address)s: %(why)s") % {"address": address, "why": why})
    return Sender(
        create_customer(address=address, display_name=display_name, organisation=organisation), created=True
    )
