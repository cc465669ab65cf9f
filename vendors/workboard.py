"""The vendors app's queues on the reviewers' work board (marketplace.workboard)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from marketplace.timeutils import china_date, end_of_day
from marketplace.workboard import Queue, register
from marketplace.workcalendar import WorkCalendar
from vendors.models import DepositRefund, OnboardingApplication, TopUpObligation, VendorExit
from vendors.selectors import replacements_awaiting_review

WAITING_APPLICATIONS = [
    OnboardingApplication.Status.SUBMITTED,
    OnboardingApplication.Status.UNDER_REVIEW,
]
REFUND_DUE_NOTICE_WORKING_DAYS = 3  # the sweep's default notice for MS-3.1.5 ④


def _applications(user: Any, now: dt.datetime) -> QuerySet:
    return OnboardingApplication.objects.filter(status__in=WAITING_APPLICATIONS)


def _overdue_obligations(user: Any, now: dt.datetime) -> QuerySet:
    return TopUpObligation.objects.filter(closed_at=None, due_at__lt=now)


@lru_cache(maxsize=4)  # the queue's count and its link use the same cut-off, computed once
def _refunds_due_until(now: dt.datetime) -> dt.datetime:
    day, _provisional = WorkCalendar().add_working_days(
        china_date(now), REFUND_DUE_NOTICE_WORKING_DAYS
    )
    return end_of_day(day)


def _deposit_refunds_due(user: Any, now: dt.datetime) -> QuerySet:
    return DepositRefund.objects.filter(
        status=DepositRefund.Status.RECEIPT_RECEIVED, due_at__lte=_refunds_due_until(now)
    )


def _exit_requests(user: Any, now: dt.datetime) -> QuerySet:
    return VendorExit.objects.filter(status=VendorExit.Status.REQUESTED)


def _replacements(user: Any, now: dt.datetime) -> QuerySet:
    return replacements_awaiting_review()


def register_queues() -> None:
    register(
        Queue(
            key="document_replacements",
            label=_("Replaced documents to review"),
            help=_("MS-6.1.1: changed or renewed documents reported by vendors"),
            permission="vendors.review_vendordocument",
            items=_replacements,
            waiting_since="uploaded_at",
            changelist="admin:vendors_vendordocument_changelist",
            filters=lambda user, now: {"replacement": "waiting"},
            order=15,
        )
    )
    register(
        Queue(
            key="onboarding_applications",
            label=_("Onboarding applications to review"),
            help=_("MS-3.1: submitted or under review"),
            permission="vendors.review_onboardingapplication",
            items=_applications,
            waiting_since="submitted_at",
            changelist="admin:vendors_onboardingapplication_changelist",
            filters=lambda user, now: {"status__in": ",".join(WAITING_APPLICATIONS)},
            order=10,
        )
    )
    register(
        Queue(
            key="exit_requests",
            label=_("Vendors' requests to leave"),
            help=_("MS-8.2: approve to start the exit (orders refunded) or reject with a reason"),
            permission="vendors.review_vendorexit",
            items=_exit_requests,
            waiting_since="requested_at",
            changelist="admin:vendors_vendorexit_changelist",
            filters=lambda user, now: {"status__exact": VendorExit.Status.REQUESTED},
            order=12,
        )
    )
    register(
        Queue(
            key="overdue_topups",
            label=_("Overdue deposit top-ups"),
            help=_("MS-3.1.5 ③: not topped up within 7 working days"),
            permission="vendors.record_depositentry",  # finance records the top-up
            items=_overdue_obligations,
            waiting_since="due_at",
            due_field="due_at",
            changelist="admin:vendors_topupobligation_changelist",
            filters=lambda user, now: {"open": "open", "due_at__lt": now.isoformat()},
            order=60,
        )
    )
    register(
        Queue(
            key="deposit_refunds_due",
            label=_("Deposit refunds due within 3 working days or overdue"),
            help=_("MS-3.1.5 ④: 15 working days from the receipt"),
            permission="vendors.process_depositrefund",
            items=_deposit_refunds_due,
            waiting_since="receipt_received_at",
            due_field="due_at",
            changelist="admin:vendors_depositrefund_changelist",
            filters=lambda user, now: {
                "status__exact": DepositRefund.Status.RECEIPT_RECEIVED,
                "due_at__lte": _refunds_due_until(now).isoformat(),
            },
            order=70,
        )
    )
