"""Statutory public holidays whose dates follow from the law alone (全国年节及纪念日放假办法).

Used only for years the working calendar does not cover yet (no official data in
`chinese-calendar`, no reviewer confirmation): the provisional estimate skips these days
instead of counting them as working days (MS-3.1.5 ③ and ④ count working days). The State
Council's yearly notice adds the bridging days and make-up weekends (调休); reviewers enter
those as overrides when they confirm the year, which this estimate cannot know.

The days, per the 2025 revision of the regulation: New Year's Day (1 day), Spring Festival
(the eve and the first three days of the first lunar month), Qingming (the day of the solar
term), Labour Day (1-2 May), Dragon Boat (5th day of the 5th lunar month), Mid-Autumn (15th
day of the 8th lunar month), National Day (1-3 October). Lunar dates come from `lunardate`,
the solar term from `chinese-calendar`'s own solar-term table.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
from django.utils.translation import gettext_lazy as _
from lunardate import LunarDate


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).to_solar_date()


def _qingming(year: int) -> dt.date:
    for day, name in chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 7)):
        if name == "清明":
            return day
    return dt.date(year, 4, 5)  # the table ends at 2100; 4 or 5 April in every year it covers


@lru_cache(maxsize=32)
def statutory_holiday_names(year: int) -> dict[dt.date, str]:
    """The statutory holiday dates of `year` with the holiday's key (see HOLIDAY_LABELS)."""
    new_year = _lunar(year, 1, 1)
    days = {
        dt.date(year, 1, 1): "new_year",
        # 除夕, the last day of the lunar year. The lunar new year falls between 21 January and
        # 20 February, so its eve never leaves the solar year.
        new_year - dt.timedelta(days=1): "spring_festival",
        new_year: "spring_festival",
        new_year + dt.timedelta(days=1): "spring_festival",
        new_year + dt.timedelta(days=2): "spring_festival",
        _qingming(year): "qingming",
        dt.date(year, 5, 1): "labour_day",
        dt.date(year, 5, 2): "labour_day",
        _lunar(year, 5, 5): "dragon_boat",
        _lunar(year, 8, 15): "mid_autumn",
        dt.date(year, 10, 1): "national_day",
        dt.date(year, 10, 2): "national_day",
        dt.date(year, 10, 3): "national_day",
    }
    return dict(sorted(days.items()))


def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The statutory holiday dates of `year` (without bridging days or make-up weekends)."""
    return frozenset(statutory_holiday_names(year))


HOLIDAY_LABELS = {
    "new_year": _("New Year's Day"),
    "spring_festival": _("Spring Festival"),
    "qingming": _("Qingming Festival"),
    "labour_day": _("Labour Day"),
    "dragon_boat": _("Dragon Boat Festival"),
    "mid_autumn": _("Mid-Autumn Festival"),
    "national_day": _("National Day"),
}
