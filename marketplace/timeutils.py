"""Time helpers. Rules count days in China time (Asia/Shanghai), whatever the server zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return timezone.now()


def china_date(moment: dt.datetime) -> dt.date:
    """The calendar day in China of an aware moment."""
    if timezone.is_naive(moment):
        raise ValueError("naive datetime: rules need aware times")
    return moment.astimezone(CHINA_TZ).date()


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=CHINA_TZ)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of a China day: deadlines 'by the end of day N' use this."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=CHINA_TZ)


def parse_aware(value: str) -> dt.datetime:
    """Parse an ISO datetime that carries an offset; naive input is refused."""
    moment = dt.datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        raise ValueError("datetime has no time zone offset")
    return moment
