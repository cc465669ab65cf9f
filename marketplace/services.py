"""Writes to platform-wide data: the working calendar's confirmed years and overrides.

Every change of the calendar sends `marketplace.signals.calendar_changed` on commit, so the
apps that store deadlines counted in working days recompute the open ones (MS-3.1.5 ③ ④).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.audit import save_audited
from marketplace.exceptions import StateConflict
from marketplace.models import CalendarOverride, CalendarYear
from marketplace.service_helpers import require_reason
from marketplace.signals import calendar_changed


def _announce(years: set[int], *, actor: Any, reason: str) -> None:
    ordered = sorted(years)
    transaction.on_commit(
        lambda: calendar_changed.send(
            sender=CalendarYear, years=ordered, actor=actor, reason=reason
        )
    )


def calendar_year_confirm(*, year: int, actor: Any, reason: str) -> CalendarYear:
    """Mark a year's working calendar as confirmed: its deadlines stop being provisional."""
    reason = require_reason(reason)
    with transaction.atomic():
        obj, _created = CalendarYear.objects.select_for_update().get_or_create(year=year)
        if obj.confirmed_at is not None:
            raise StateConflict(
                _("The calendar of %(year)s is already confirmed."),
                code="calendar_year_confirmed",
                year=year,
            )
        obj.confirmed_at = timezone.now()
        obj.confirmed_by = actor
        save_audited(obj, actor=actor, reason=reason)
        _announce({year}, actor=actor, reason=reason)
    return obj


def calendar_override_save(
    *, override: CalendarOverride, actor: Any, reason: str, previous_day: dt.date | None = None
) -> CalendarOverride:
    """Add or change a reviewer's correction of one day (a holiday or a make-up working day)."""
    reason = require_reason(reason)
    with transaction.atomic():
        save_audited(override, actor=actor, reason=reason)
        years = {override.day.year} | ({previous_day.year} if previous_day else set())
        _announce(years, actor=actor, reason=reason)
    return override


def calendar_override_delete(*, override: CalendarOverride, actor: Any, reason: str) -> None:
    reason = require_reason(reason)
    with transaction.atomic():
        override._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
        override._change_reason = reason  # type: ignore[attr-defined]
        year = override.day.year
        override.delete()
        _announce({year}, actor=actor, reason=reason)
