"""The mail intake: one inbound message becomes a ticket, a comment or an escalation request,
or is dropped with the reason — once, however often it arrives (docs/email.md).

`receive_message()` is what the MTA pipe (`manage.py receive_mail`) and the IMAP poller
(`manage.py fetch_mail`, the `mail.fetch` task) call. It records the message
(`InboundMessage`, keyed by its Message-ID or the hash of its bytes) in the same transaction
as the ticket change it causes, so a message seen again after a crash is recognised and only
acknowledged. A failure rolls everything back, leaves a `failed` row counting the attempts and
raises `TemporaryFailure`: the MTA retries (exit 75), the poller leaves the message unseen.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import CaseLevel, CaseReason
from cases.services import core as case_core
from cases.services import requests as case_requests
from escalation_desk.domain import InvalidInput, Refused
from notifications.threading import threads_named_by
from tickets import notices
from tickets.models import Channel, Ticket
from tickets.services import attachments, conversation, core, intake, watchers

from .loops import automatic_reason
from .models import InboundMessage, Outcome
from .parsing import ParsedMail, latest_reply, parse_message
from .senders import sender_for

logger = logging.getLogger(__name__)

# A message that failed this many times is dropped (and acknowledged) instead of retried forever.
MAX_ATTEMPTS = 5
# "We received your request" goes to one address at most this often: a robot that answers our
# receipts without saying it is one (no Auto-Submitted) cannot start an endless exchange.
RECEIPTS_PER_HOUR = 5
DESCRIPTION_LIMIT = 100_000

_REFERENCE = re.compile(r"\[\s*ED-(\d{6,})\s*\]", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|rif|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
REFUSALS = (Refused, InvalidInput, PermissionDenied)


class TemporaryFailure(Exception):
    """The message could not be handled now; nothing was changed; try it again later."""


@dataclass(frozen=True)
class Received:
    record: InboundMessage
    duplicate: bool = False  # handled before (a re-fetch, the MTA retrying): only acknowledge it


# --- reading the message ----------------------------------------------------------------------


def subject_references(subject: str) -> list[int]:
    """Ticket ids named as [ED-000123] in a subject, in order."""
    return list(dict.fromkeys(int(number) for number in _REFERENCE.findall(subject or "")))


def thread_references(mail: ParsedMail) -> list[int]:
    """Ticket ids whose mails In-Reply-To / References name (verified against our outbox)."""
    found = [notices.ticket_of_thread(t) for t in threads_named_by([mail.in_reply_to, mail.references])]
    return list(dict.fromkeys(pk for pk in found if pk is not None))


def clean_subject(subject: str) -> str:
    """A ticket summary from a subject: no "Re:"/"Fwd:" prefixes, no [ED-…] references."""
    text = _REFERENCE.sub(" ", subject or "")
    text = _REPLY_PREFIX.sub("", text)
    return " ".join(text.split())


def to_escalations(mail: ParsedMail) -> bool:
    address = settings.ESCALATION_MAIL_ADDRESS.strip().lower()
    return bool(address) and address in mail.recipients


def escalation_reason(text: str) -> str:
    """The closest of the portal's reasons to what the customer wrote; "other" when none fits."""
    lowered = text.lower()
    if re.search(r"\b(production|system|service|site)\s+(is\s+)?down\b|\boutage\b", lowered):
        return CaseReason.PRODUCTION_DOWN
    if re.search(r"\bcritical\b.*\bimpact\b|\bbusiness[- ]critical\b", lowered):
        return CaseReason.CRITICAL_IMPACT
    return CaseReason.OTHER


def uploads(mail: ParsedMail) -> tuple[list[SimpleUploadedFile], list[str], list[str]]:
    """The attachments as uploads, and those refused by the upload rules: (kept, names, why)."""
    kept: list[SimpleUploadedFile] = []
    dropped: list[str] = []
    why: list[str] = []
    for part in mail.attachments:
        upload = SimpleUploadedFile(part.name, part.data, content_type=part.content_type)
        try:
            attachments.validate_upload(upload)
        except InvalidInput as refusal:
            dropped.append(part.name)
            why.extend(refusal.errors.get("files", []))
            continue
        kept.append(upload)
    return kept, dropped, why


def _body(mail: ParsedMail, *, reply: bool) -> str:
    text = latest_reply(mail.text) if reply else mail.text.strip()
    if not text:
        text = mail.text.strip()
    if not text:
        text = (
            _("(The e-mail had attachments and no text.)")
            if mail.attachments
            else _("(The e-mail had no text.)")
        )
    return text[:DESCRIPTION_LIMIT]


# --- claiming: each message once ------------------------------------------------------------


NEW, RETRY, HANDLED = "new", "retry", "handled"


def _claim(mail: ParsedMail, raw: bytes, source: str) -> tuple[InboundMessage, str]:
    """The message's row, locked: new, a retry of failed attempts, or handled before."""
    existing = InboundMessage.objects.select_for_update().filter(key=mail.key).first()
    if existing is None:
        try:
            with transaction.atomic():
                return InboundMessage.objects.create(
                    key=mail.key, source=source[:200], outcome=Outcome.FAILED, size=len(raw)
                ), NEW
        except IntegrityError:  # another worker handled it meanwhile (its commit released us)
            existing = InboundMessage.objects.select_for_update().get(key=mail.key)
    return existing, RETRY if existing.outcome == Outcome.FAILED else HANDLED


def _describe(record: InboundMessage, mail: ParsedMail, raw: bytes, source: str) -> None:
    record.message_id = mail.message_id[:500]
    record.source = source[:200]
    record.sender = mail.sender[:254]
    record.subject = mail.subject[:500]
    record.recipients = ", ".join(mail.recipients)
    record.size = len(raw)
    record.defects = mail.defects[:50]
    record.received_at = timezone.now()


def _record_failure(mail: ParsedMail, raw: bytes, source: str, error: BaseException) -> InboundMessage:
    message = f"{type(error).__name__}: {error}"[:2000]
    with transaction.atomic():
        record = InboundMessage.objects.select_for_update().filter(key=mail.key).first()
        if record is None:
            record = InboundMessage(key=mail.key, attempts=0)
        elif record.outcome != Outcome.FAILED:  # pragma: no cover - handled by a concurrent worker
            return record
        _describe(record, mail, raw, source)
        record.outcome = Outcome.FAILED
        record.attempts += 1
        record.reason = message
        record.save()
    return record


def receive_message(raw: bytes, *, source: str) -> Received:
    """Handle one RFC 822 message once; raise TemporaryFailure when it must be tried again."""
    mail = parse_message(raw)
    try:
        with transaction.atomic():
            record, state = _claim(mail, raw, source)
            if state == HANDLED:
                logger.info(
                    "Inbound mail %s from %s was handled before (%s): acknowledged only",
                    mail.message_id or mail.key,
                    mail.sender,
                    record.get_outcome_display(),
                )
                return Received(record, duplicate=True)
            _describe(record, mail, raw, source)
            if state == RETRY and record.attempts >= MAX_ATTEMPTS:
                _drop(
                    record,
                    _("gave up after %(attempts)s failed attempts; the last: %(reason)s")
                    % {"attempts": record.attempts, "reason": record.reason},
                )
            else:
                if state == RETRY:
                    record.attempts += 1
                _handle(mail, record)
            record.save()
    except Exception as exc:
        logger.exception(
            "Inbound mail %s from %s failed; it will be retried", mail.message_id or mail.key, mail.sender
        )
        try:
            _record_failure(mail, raw, source, exc)
        except Exception:  # the database itself is away: the retry will find out again
            logger.exception(
                "The failure of inbound mail %s could not be recorded", mail.message_id or mail.key
            )
        raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
    if record.outcome == Outcome.DROPPED:
        logger.warning(
            "Inbound mail %s from %s dropped: %s", mail.message_id or mail.key, mail.sender, record.reason
        )
    else:
        logger.info(
            "Inbound mail %s from %s: %s %s",
            mail.message_id or mail.key,
            mail.sender,
            record.get_outcome_display().lower(),
            record.reason,
        )
    return Received(record)


# --- deciding what it is --------------------------------------------------------------------


def _drop(record: InboundMessage, reason: str) -> None:
    record.outcome = Outcome.DROPPED
    record.reason = reason
    record.ticket = record.comment = record.case = record.created_customer = None
    record.receipt_sent = False


def _handle(mail: ParsedMail, record: InboundMessage) -> None:
    automatic = automatic_reason(mail)
    if automatic:
        # Never a ticket, never an answer: that is how mail loops start.
        _drop(record, _("not a person's request: %(why)s") % {"why": automatic})
        return
    if not mail.sender:
        _drop(record, _("the message has no readable From address"))
        return
    try:
        with transaction.atomic():
            _act(mail, record)
    except REFUSALS as refusal:
        _drop(record, _("refused: %(refusal)s") % {"refusal": _refusal_text(refusal)})


def _refusal_text(refusal: Exception) -> str:
    if isinstance(refusal, Refused):
        return f"{refusal.message}: {'; '.join(refusal.missing)}" if refusal.missing else refusal.message
    if isinstance(refusal, InvalidInput):
        return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in refusal.errors.items())
    return str(refusal)


def _act(mail: ParsedMail, record: InboundMessage) -> None:
    sender = sender_for(mail.sender, mail.sender_name)
    if sender.user is None:
        _drop(record, sender.refusal)
        return
    customer = sender.user
    notes: list[str] = []
    if sender.created:
        record.created_customer = customer
        notes.append(
            _("created the customer %(username)s in %(organisation)s")
            % {"username": customer.username, "organisation": customer.organisation}
        )
    ticket, how = _named_ticket(mail, customer, notes)
    files, dropped, why = uploads(mail)
    if dropped:
        record.dropped_files = dropped
        notes.append(_("attachments not kept: %(why)s") % {"why": " ".join(why)})
    if ticket is not None and to_escalations(mail):
        _escalate(
            mail,
            record,
            ticket,
            customer,
            files,
            notes=[_("names %(reference)s %(how)s") % {"reference": ticket.reference, "how": how}, *notes],
        )
    elif ticket is not None and ticket.status in core.FINAL_STATES:
        notes.insert(
            0,
            _("%(reference)s is %(status)s: opened a follow-up")
            % {"reference": ticket.reference, "status": ticket.get_status_display().lower()},
        )
        _new_ticket(mail, record, customer, files, dropped, notes=notes, follow_up_of=ticket)
    elif ticket is not None:
        _reply(mail, record, ticket, customer, files, dropped, how=how, notes=notes)
    else:
        if to_escalations(mail):
            notes.insert(
                0,
                _(
                    "sent to the escalations address without naming a ticket of the sender's "
                    "organisation: opened as a new request"
                ),
            )
        _new_ticket(mail, record, customer, files, dropped, notes=notes)


def _named_ticket(mail: ParsedMail, customer: User, notes: list[str]) -> tuple[Ticket | None, str]:
    """The ticket of the sender's organisation the mail names by its subject, else by its
    In-Reply-To/References, and how it named it. Tickets of other organisations are never
    reached: the mail is a new request, and a note says so."""
    by_subject = subject_references(mail.subject)
    by_thread = thread_references(mail)
    named = {t.pk: t for t in Ticket.objects.filter(pk__in=[*by_subject, *by_thread])}
    for pk in [*by_subject, *by_thread]:
        candidate = named.get(pk)
        if candidate is not None and candidate.organisation_id == customer.organisation_id:
            return candidate, (_("by its subject") if pk in by_subject else _("by In-Reply-To/References"))
    foreign = [named[pk].reference for pk in dict.fromkeys([*by_subject, *by_thread]) if pk in named]
    if foreign:
        notes.append(
            _("named %(references)s of another organisation: treated as a new request")
            % {"references": ", ".join(foreign)}
        )
        logger.warning(
            "Inbound mail from %s named %s of another organisation; treated as a new request",
            mail.sender,
            ", ".join(foreign),
        )
    return None, ""


def _reply(
    mail: ParsedMail,
    record: InboundMessage,
    ticket: Ticket,
    customer: User,
    files: list[SimpleUploadedFile],
    dropped: list[str],
    *,
    how: str,
    notes: list[str],
) -> None:
    """The mail is the customer's reply on their open ticket: a comment, its colleagues copied in."""
    comment = conversation.ticket_comment(
        ticket=ticket,
        actor=customer,
        body=_body(mail, reply=True),
        channel=Channel.EMAIL,
        files=files,
        dropped_files=dropped,
    )
    record.outcome, record.ticket, record.comment = Outcome.COMMENT, ticket, comment
    _copy_in(mail, ticket, customer, notes)
    record.reason = "; ".join(
        [_("reply to %(reference)s %(how)s") % {"reference": ticket.reference, "how": how}, *notes]
    )


def _copy_in(mail: ParsedMail, ticket: Ticket, customer: User, notes: list[str]) -> None:
    """Colleagues of the sender's organisation on To/Cc are copied in on the request (CC
    contacts), so they hear of every reply as they would have in a mail thread."""
    addresses = {a.lower() for a in [*mail.to, *mail.cc]} - {customer.email.lower()}
    if not addresses:
        return
    known = list(ticket.watchers.values_list("user_id", flat=True))
    named = Q()
    for address in addresses:
        named |= Q(email__iexact=address)
    colleagues = User.objects.filter(
        named, organisation_id=ticket.organisation_id, is_active=True, is_staff=False
    ).exclude(pk__in=[ticket.requester_id, *known])
    for colleague in colleagues:
        watchers.ticket_add_cc(ticket=ticket, actor=customer, contact=colleague)
        notes.append(_("copied in %(email)s") % {"email": colleague.email})


def _new_ticket(
    mail: ParsedMail,
    record: InboundMessage,
    customer: User,
    files: list[SimpleUploadedFile],
    dropped: list[str],
    *,
    notes: list[str],
    follow_up_of: Ticket | None = None,
) -> None:
    assert customer.organisation is not None
    description = _body(mail, reply=follow_up_of is not None)
    if dropped:
        description += "\n\n" + _("Attachments not kept (size or type not accepted): %(names)s") % {
            "names": ", ".join(dropped)
        }
    ticket = intake.ticket_create(
        actor=customer,
        organisation=customer.organisation,
        requester=customer,
        channel=Channel.EMAIL,
        summary=clean_subject(mail.subject)[:200] or _("E-mail from %(sender)s") % {"sender": mail.sender},
        description=description,
        files=files,
        follow_up_of=follow_up_of,
    )
    record.outcome, record.ticket = Outcome.TICKET, ticket
    _copy_in(mail, ticket, customer, notes)
    record.reason = "; ".join([_("new request"), *notes])
    recent = InboundMessage.objects.filter(
        sender=mail.sender, receipt_sent=True, received_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    if recent >= RECEIPTS_PER_HOUR:
        record.reason += "; " + _(
            "no receipt sent (%(count)s already sent to %(sender)s in the last hour)"
        ) % {"count": recent, "sender": mail.sender}
        return
    notices.tell_customers(
        ticket=ticket,
        kind="ticket.received",
        recipients=[customer],
        actor=None,
        context={
            "message": _("We received your request %(reference)s: %(summary)s")
            % {"reference": ticket.reference, "summary": ticket.summary},
            "dropped_files": dropped,
            "customer_name": customer.get_full_name() or customer.username,
        },
        dedup_key=f"ticket:{ticket.pk}:received",
    )
    record.receipt_sent = True


def _escalate(
    mail: ParsedMail,
    record: InboundMessage,
    ticket: Ticket,
    customer: User,
    files: list[SimpleUploadedFile],
    *,
    notes: list[str],
) -> None:
    # The customer's words are the reason's detail; the subject when the mail had no text.
    detail = (
        latest_reply(mail.text)
        or mail.text.strip()
        or clean_subject(mail.subject)
        or _("(The e-mail had no text.)")
    )[:DESCRIPTION_LIMIT]
    case = case_requests.case_request(
        ticket=ticket,
        actor=customer,
        reason=escalation_reason(f"{mail.subject}\n{detail}"),
        level=CaseLevel.NEXT_TIER,
        review=case_core.Review(),
        reason_detail=detail,
        channel=Channel.EMAIL,
        review_to_complete=True,
    )
    for upload in files:
        attachments.ticket_attach(ticket=ticket, actor=customer, upload=upload)
    record.outcome, record.ticket, record.case = Outcome.ESCALATION, ticket, case
    record.reason = "; ".join(
        [_("escalation request (review to be completed by the escalation managers)"), *notes]
    )
