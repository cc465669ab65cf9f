"""Writes to platform-wide data."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from marketplace.audit import save_audited
from marketplace.models import CalendarYear


def calendar_year_confirm(*, year: int, actor: Any, reason: str) -> CalendarYear:
    """Mark a year's working calendar as confirmed: its deadlines stop being provisional."""
    with transaction.atomic():
        obj, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
        obj.confirmed_at = timezone.now()
        obj.confirmed_by = actor
        save_audited(obj, actor=actor, reason=reason)
    return obj
