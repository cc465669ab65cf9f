"""`|thousands`: 2000000 → "2,000,000" (counts people read, without django.contrib.humanize)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def thousands(value: int) -> str:
    return f"{int(value):,}"
