"""The working-calendar year (MS-3.1.5 ③ and ④): estimate, confirmation by the role that holds
the permission, and the open deadlines that follow it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from compliance.models import (
    AppliedMeasure,
    CauseType,
    RuleEvaluation,
    SweepRule,
    VendorNotification,
)
from compliance.sweep.runner import run_rule_now
from marketplace.holidays import statutory_holidays
from marketplace.models import CalendarOverride, CalendarYear
from marketplace.roles import COMPLIANCE_REVIEWER, FINANCE, ONBOARDING_REVIEWER, SECURITY_REVIEWER
from marketplace.timeutils import CHINA_TZ, end_of_day
from marketplace.workcalendar import WorkCalendar
from tests.factories import VendorFactory
from tests.vendors.factories import role_user
from vendors.models import DepositEntry, TopUpObligation

D = dt.date
pytestmark = pytest.mark.django_db


def china(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA_TZ)


def confirm_url(year: int) -> str:
    return reverse("admin:marketplace_calendaryear_confirm", args=[year])


class TestProvisionalEstimate:
    def test_ms_3_1_5_estimate_skips_statutory_holidays_of_an_unpublished_year(self):
        """MS-3.1.5 ③: 2027 is not in chinese-calendar; the estimate still skips New Year's
        Day and the Spring Festival (eve 02-05 to 02-08, lunar dates) instead of counting them."""
        cal = WorkCalendar()
        assert not cal.is_workday(D(2027, 1, 1))
        assert not cal.is_workday(D(2027, 2, 5))  # 除夕, a Friday
        assert not cal.is_workday(D(2027, 2, 8))  # third day of the lunar year, a Monday
        assert not cal.is_workday(D(2027, 6, 9))  # Dragon Boat, a Wednesday
        assert not cal.is_workday(D(2027, 9, 15))  # Mid-Autumn, a Wednesday
        assert cal.is_workday(D(2027, 2, 9))
        # Mon 02-01 + 7 working days: 02, 03, 04, (05-08 off), 09, 10, 11, 12.
        deadline = cal.deadline_after(china(2027, 2, 1, 10), 7)
        assert deadline.day == D(2027, 2, 12)
        assert deadline.provisional is True

    def test_statutory_holidays_match_the_published_calendar_where_it_exists(self):
        """The computation agrees with chinese-calendar on every statutory day of 2025-2026."""
        import chinese_calendar

        for year in (2025, 2026):
            for day in statutory_holidays(year):
                assert chinese_calendar.is_holiday(day), day


class TestConfirmPage:
    def test_ms_3_1_5_finance_enters_a_holiday_and_confirms_the_year_from_the_banner(
        self, client
    ):
        """The banner links finance (who holds the permission) to the year's confirm page;
        an override is added with a reason; confirming removes the banner."""
        user = role_user(FINANCE)
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English
        home = client.get(reverse("admin:index"))
        assert confirm_url(2027).encode() in home.content

        page = client.get(confirm_url(2027))
        assert page.status_code == 200
        assert "Spring Festival" in page.content.decode()

        add = client.post(
            reverse("admin:marketplace_calendaroverride_add"),
            {"day": "2027-02-09", "kind": "holiday", "note": "notice", "reason": "国办发明电 2027"},
        )
        assert add.status_code == 302, add.content
        override = CalendarOverride.objects.get(day=D(2027, 2, 9))
        assert override.history.first().history_change_reason == "国办发明电 2027"
        assert override.history.first().history_user == user

        done = client.post(confirm_url(2027), {"reason": "State Council notice 2027"}, follow=True)
        assert done.status_code == 200
        year = CalendarYear.objects.get(year=2027)
        assert year.confirmed and year.confirmed_by == user
        assert year.history.first().history_change_reason == "State Council notice 2027"
        text = done.content.decode()
        assert "is confirmed" in text
        assert "not confirmed" not in text  # no stale banner beside the success message
        assert confirm_url(2027) not in text

    def test_confirm_needs_a_reason_and_changes_nothing_without_it(self, client):
        client.force_login(role_user(FINANCE))
        response = client.post(confirm_url(2027), {"reason": "  "})
        assert response.status_code == 200
        assert not CalendarYear.objects.filter(year=2027, confirmed_at__isnull=False).exists()

    def test_an_override_without_a_reason_is_refused(self, client):
        client.force_login(role_user(ONBOARDING_REVIEWER))
        response = client.post(
            reverse("admin:marketplace_calendaroverride_add"),
            {"day": "2027-02-09", "kind": "holiday", "note": ""},
        )
        assert response.status_code == 200
        assert not CalendarOverride.objects.exists()

    @pytest.mark.parametrize("role", [SECURITY_REVIEWER, COMPLIANCE_REVIEWER])
    def test_roles_without_the_permission_cannot_confirm_or_enter_days(self, client, role):
        """The wrong person, over HTTP, on every path that reaches the same effect."""
        client.force_login(role_user(role))
        assert client.get(confirm_url(2027)).status_code == 403
        assert client.post(confirm_url(2027), {"reason": "x"}).status_code == 403
        add = client.post(
            reverse("admin:marketplace_calendaroverride_add"),
            {"day": "2027-02-09", "kind": "holiday", "reason": "x"},
        )
        assert add.status_code == 403
        assert not CalendarOverride.objects.exists()
        assert not CalendarYear.objects.exists()
        # The banner still warns them, without a link they could not use.
        home = client.get(reverse("admin:index")).content.decode()
        assert "2027" in home and confirm_url(2027) not in home

    def test_overrides_are_corrected_not_deleted(self, client):
        override = CalendarOverride.objects.create(day=D(2027, 2, 9), kind="holiday")
        client.force_login(role_user(FINANCE))
        url = reverse("admin:marketplace_calendaroverride_delete", args=[override.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
        assert CalendarOverride.objects.filter(pk=override.pk).exists()

    def test_years_far_away_have_no_confirm_page(self, client):
        client.force_login(role_user(FINANCE))
        assert client.get(confirm_url(2099)).status_code == 404


def open_obligation(opened_at: dt.datetime) -> TopUpObligation:
    """An open top-up obligation whose due time the current calendar computed."""
    vendor = VendorFactory()
    entry = DepositEntry(
        vendor=vendor,
        kind="deduction",
        amount=Decimal("500.00"),
        delta=Decimal("-500.00"),
        cause="violation",
        reference="case-calendar",
        reason="test deduction",
        created_at=opened_at,
    )
    entry.save()
    deadline = WorkCalendar().deadline_after(opened_at, 7)
    return TopUpObligation.objects.create(
        vendor=vendor,
        opened_by=entry,
        opened_at=opened_at,
        due_at=deadline.at,
        provisional=deadline.provisional,
        amount_due=Decimal("500.00"),
    )


def suspended(obligation: TopUpObligation) -> bool:
    return AppliedMeasure.objects.filter(
        vendor_id=obligation.vendor_id, cause_type=CauseType.DEPOSIT_TOPUP, lifted_at=None
    ).exists()


class TestOpenDeadlinesFollowTheCalendar:
    def test_ms_3_1_5_confirming_the_year_recomputes_open_obligations_and_tells_the_vendor(
        self, client, django_capture_on_commit_callbacks
    ):
        """MS-3.1.5 ③: deducted Wed 2026-12-23, the estimate gives end of Mon 2027-01-04
        (provisional). The notice makes 01-04 a holiday: after confirmation the obligation is
        due at the end of 01-05, final, the vendor is told, and the sweep does not suspend on
        01-05 but does from 01-06."""
        obligation = open_obligation(china(2026, 12, 23, 10))
        assert obligation.due_at == end_of_day(D(2027, 1, 4)) and obligation.provisional

        user = role_user(FINANCE)
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("admin:marketplace_calendaroverride_add"),
                {"day": "2027-01-04", "kind": "holiday", "reason": "notice"},
            )
        obligation.refresh_from_db()
        assert obligation.due_at == end_of_day(D(2027, 1, 5))
        assert obligation.provisional  # moved, but the year is not confirmed yet

        with django_capture_on_commit_callbacks(execute=True):
            client.post(confirm_url(2027), {"reason": "State Council notice 2027"})
        obligation.refresh_from_db()
        assert obligation.due_at == end_of_day(D(2027, 1, 5))
        assert obligation.provisional is False
        latest = obligation.history.first()
        assert latest.history_change_reason == "State Council notice 2027"
        assert latest.history_user == user

        notices = VendorNotification.objects.filter(vendor_id=obligation.vendor_id)
        assert notices.count() == 2  # moved a day, then became final
        assert notices.filter(action_required_by=end_of_day(D(2027, 1, 5))).count() == 2
        assert "2027-01-05 23:59" in notices.first().body
        assert RuleEvaluation.objects.filter(
            vendor_id=obligation.vendor_id, rule=SweepRule.DEPOSIT_TOPUP
        ).count() == 2

        vendor_id = obligation.vendor_id
        run_rule_now(SweepRule.DEPOSIT_TOPUP, vendor_id=vendor_id, at=china(2027, 1, 5, 12))
        assert not suspended(obligation)
        run_rule_now(SweepRule.DEPOSIT_TOPUP, vendor_id=vendor_id, at=china(2027, 1, 6, 0, 0, 1))
        assert suspended(obligation)

    def test_an_unchanged_deadline_is_not_rewritten_and_nobody_is_told(
        self, client, django_capture_on_commit_callbacks
    ):
        obligation = open_obligation(china(2027, 3, 1, 10))  # nothing of the notice touches it
        before = obligation.history.count()
        client.force_login(role_user(FINANCE))
        with django_capture_on_commit_callbacks(execute=True):
            client.post(confirm_url(2027), {"reason": "notice"})
        obligation.refresh_from_db()
        assert obligation.provisional is False  # confirmation alone makes it final
        assert obligation.history.count() == before + 1
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("admin:marketplace_calendaroverride_add"),
                {"day": "2027-12-24", "kind": "holiday", "reason": "late correction"},
            )
        obligation.refresh_from_db()
        assert obligation.history.count() == before + 1
        assert VendorNotification.objects.filter(vendor_id=obligation.vendor_id).count() == 1
