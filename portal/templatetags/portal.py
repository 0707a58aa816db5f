from django import template

from escalation_desk import formatting
from portal import wording

register = template.Library()


@register.filter
def status_words(value: str) -> str:
    return wording.status_words(value)


@register.filter
def event_words(kind: str) -> str:
    return wording.event_words(kind)


@register.filter
def reason_shown(kind: str) -> bool:
    return kind in wording.EVENT_REASON_SHOWN


register.filter("filesize", formatting.filesize)
