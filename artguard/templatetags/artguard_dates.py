"""Timestamps stored as milliseconds since the epoch (DynamoDB `created_at`), shown as people
read dates: `{% load artguard_dates %}{{ value|ms_datetime|date:"Y-m-d H:i" }} UTC`."""
from datetime import datetime, timezone

from django import template

register = template.Library()


@register.filter
def ms_datetime(value):
    """An aware UTC datetime; "" for a missing or unreadable value (nothing to show)."""
    try:
        milliseconds = int(value)
    except (TypeError, ValueError):
        return ""
    if milliseconds <= 0:
        return ""
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)
