"""Bounds on the times callers send (MS-2.8, MS-4.2, MS-5.1; issue 9 §1).

A caller's time decides review periods and the SaaS-failure clocks, so it must lie after the
event it follows and not in the future (beyond a small clock skew, `API_CLOCK_SKEW_SECONDS`).
A refund request may also not be dated earlier than `REFUND_REQUEST_MAX_BACKDATE_SECONDS`
before the platform received it, nor before the latest event already recorded on its order:
backdating a refund into a review period that has ended is impossible.

Each refusal is a `ValidationFailed` with `field=` naming the caller's field; the API answers
400 with that field in `details`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import ValidationFailed


def clock_skew() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "API_CLOCK_SKEW_SECONDS", 300)))


def refund_backdate_window() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "REFUND_REQUEST_MAX_BACKDATE_SECONDS", 900)))


def require_aware(moment: dt.datetime, field: str) -> None:
    if timezone.is_naive(moment):
        raise ValidationFailed(
            _("%(field)s must carry a time zone offset."), code="naive_datetime", field=field
        )


def require_not_future(
    moment: dt.datetime, *, field: str, received_at: dt.datetime | None = None
) -> None:
    """Refuse a time later than receipt plus the allowed clock skew."""
    now = received_at or timezone.now()
    if moment > now + clock_skew():
        raise ValidationFailed(
            _("%(field)s lies in the future (more than %(seconds)s seconds ahead of our clock)."),
            code="time_in_future",
            field=field,
            seconds=int(clock_skew().total_seconds()),
        )


def require_not_before(
    moment: dt.datetime, earliest: dt.datetime | None, *, field: str, event: str
) -> None:
    """Refuse a time earlier than the event it follows (`event`: what that event is)."""
    if earliest is not None and moment < earliest:
        raise ValidationFailed(
            _("%(field)s cannot be earlier than the %(event)s (%(earliest)s)."),
            code="time_before_event",
            field=field,
            event=event,
            earliest=timezone.localtime(earliest).isoformat(timespec="seconds"),
        )


def require_recent(moment: dt.datetime, *, field: str, received_at: dt.datetime) -> None:
    """MS-5.1: a refund request is dated at most the backdate window before its receipt."""
    window = refund_backdate_window()
    if moment < received_at - window:
        raise ValidationFailed(
            _("%(field)s cannot be more than %(minutes)s minutes before the request reached us."),
            code="time_too_old",
            field=field,
            minutes=int(window.total_seconds() // 60),
        )
