"""The working calendar (工作日) that every working-day deadline uses (MS-3.1.5 ③ and ④)."""

from __future__ import annotations

import datetime as dt

import pytest

from marketplace.models import CalendarOverride, CalendarYear
from marketplace.services import calendar_year_confirm
from marketplace.timeutils import CHINA_TZ
from marketplace.workcalendar import WorkCalendar, unconfirmed_years

D = dt.date


@pytest.mark.django_db
class TestStatutoryCalendar:
    def test_2026_national_day_holidays_and_make_up_saturday(self):
        cal = WorkCalendar()
        assert not cal.is_workday(D(2026, 10, 1))
        assert not cal.is_workday(D(2026, 10, 7))
        assert cal.is_workday(D(2026, 10, 10))  # Saturday worked in exchange (调休)
        assert not cal.is_workday(D(2026, 10, 11))  # ordinary Sunday

    def test_ms_3_1_5_seven_working_days_across_national_day(self):
        """A deduction on Tue 2026-09-29 is due at the end of Wed 2026-10-14 (MS-3.1.5 ③).

        Working days after it: 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13,
        10-14; the Golden Week 10-01..10-07 does not count.
        """
        moment = dt.datetime(2026, 9, 29, 10, 0, tzinfo=CHINA_TZ)
        deadline = WorkCalendar().deadline_after(moment, 7)
        assert deadline.day == D(2026, 10, 14)
        assert deadline.at == dt.datetime(2026, 10, 14, 23, 59, 59, 999999, tzinfo=CHINA_TZ)
        assert deadline.provisional is False

    def test_ms_3_1_5_day_is_counted_in_china_time(self):
        """17:00 UTC on 09-28 is already 09-29 in Beijing: counting starts from 09-29."""
        moment = dt.datetime(2026, 9, 28, 17, 0, tzinfo=dt.UTC)
        assert WorkCalendar().deadline_after(moment, 7).day == D(2026, 10, 14)

    def test_ms_3_1_5_fifteen_working_days_for_deposit_refund(self):
        """MS-3.1.5 ④: receipt on Mon 2026-09-21 → 15 working days skip Mid-Autumn + Golden Week."""
        moment = dt.datetime(2026, 9, 21, 9, 0, tzinfo=CHINA_TZ)
        # 09-22,23,24 (3), 09-25..27 holiday, 09-28,29,30 (6), 10-01..07 holiday,
        # 10-08,09,10 (9), 10-12..16 (14), 10-19 (15)
        assert WorkCalendar().deadline_after(moment, 15).day == D(2026, 10, 19)

    def test_zero_working_days_is_the_same_day(self):
        assert WorkCalendar().add_working_days(D(2026, 10, 3), 0) == (D(2026, 10, 3), False)

    def test_negative_count_is_refused(self):
        with pytest.raises(ValueError):
            WorkCalendar().add_working_days(D(2026, 10, 3), -1)


@pytest.mark.django_db
class TestOverrides:
    def test_override_holiday_beats_package_data(self):
        CalendarOverride.objects.create(day=D(2026, 10, 12), kind=CalendarOverride.Kind.HOLIDAY)
        cal = WorkCalendar()
        assert not cal.is_workday(D(2026, 10, 12))
        # 7 working days from 09-29 now end one day later.
        moment = dt.datetime(2026, 9, 29, 10, 0, tzinfo=CHINA_TZ)
        assert cal.deadline_after(moment, 7).day == D(2026, 10, 15)

    def test_override_make_up_workday(self):
        CalendarOverride.objects.create(day=D(2026, 10, 11), kind=CalendarOverride.Kind.WORKDAY)
        assert WorkCalendar().is_workday(D(2026, 10, 11))


@pytest.mark.django_db
class TestUncoveredYear:
    def test_ms_3_1_5_deadline_crossing_into_2027_is_provisional(self):
        """chinese-calendar has no 2027 data: weekends and the statutory holidays only, and the
        deadline is provisional."""
        moment = dt.datetime(2026, 12, 28, 10, 0, tzinfo=CHINA_TZ)  # Monday
        deadline = WorkCalendar().deadline_after(moment, 7)
        # 12-29, 12-30, 12-31, (2027-01-01 New Year's Day, a Friday), 01-04..07
        assert deadline.day == D(2027, 1, 7)
        assert deadline.provisional is True

    def test_overrides_and_confirmation_make_2027_final(self, django_user_model):
        reviewer = django_user_model.objects.create_user("cal-reviewer", is_staff=True)
        CalendarOverride.objects.create(day=D(2027, 1, 1), kind=CalendarOverride.Kind.HOLIDAY)
        calendar_year_confirm(year=2027, actor=reviewer, reason="State Council notice 2027")
        moment = dt.datetime(2026, 12, 28, 10, 0, tzinfo=CHINA_TZ)
        deadline = WorkCalendar().deadline_after(moment, 7)
        assert deadline.day == D(2027, 1, 7)
        assert deadline.provisional is False
        year = CalendarYear.objects.get(year=2027)
        assert year.history.first().history_change_reason == "State Council notice 2027"
        assert year.history.first().history_user == reviewer

    def test_unconfirmed_years_lists_next_year_until_confirmed(self, django_user_model):
        assert unconfirmed_years(D(2026, 11, 28)) == [2027]
        reviewer = django_user_model.objects.create_user("cal-reviewer2", is_staff=True)
        calendar_year_confirm(year=2027, actor=reviewer, reason="confirmed")
        assert unconfirmed_years(D(2026, 11, 28)) == []

    def test_a_deadline_wholly_in_a_covered_year_is_not_provisional(self):
        moment = dt.datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ)
        assert WorkCalendar().deadline_after(moment, 7).provisional is False


@pytest.mark.django_db
def test_calendar_loads_overrides_once(django_assert_num_queries):
    cal = WorkCalendar()
    moment = dt.datetime(2026, 9, 29, 10, 0, tzinfo=CHINA_TZ)
    with django_assert_num_queries(2):  # overrides + confirmed years, then cached
        for _ in range(50):
            cal.deadline_after(moment, 7)
