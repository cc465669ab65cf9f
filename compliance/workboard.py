"""The compliance app's queues on the reviewers' work board (marketplace.workboard)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from compliance.models import CaseStatus, ImportJob, PenaltyCase, RuleEvaluation
from compliance.selectors import cases_awaiting_approval_for
from marketplace.workboard import Queue, register

FLAGGED_WINDOW = dt.timedelta(days=7)  # evaluations are records, not tasks: the recent ones
IMPORTS_NEEDING_EYES = [
    ImportJob.Status.FAILED,
    ImportJob.Status.CHECKING,
    ImportJob.Status.QUEUED,
    ImportJob.Status.RUNNING,
]


def _cases(status: str) -> Any:
    return lambda user, now: PenaltyCase.objects.filter(status=status)


def _second_approvals(user: Any, now: dt.datetime) -> QuerySet:
    # MS-7, MS-8.3: the proposer never approves their own proposal, so it never waits for them.
    return cases_awaiting_approval_for(user=user)


def _flagged(to: str) -> Any:
    return lambda user, now: RuleEvaluation.objects.filter(
        flagged_to=to, created_at__gte=now - FLAGGED_WINDOW
    )


def register_queues() -> None:
    changelist = "admin:compliance_penaltycase_changelist"
    register(
        Queue(
            key="cases_to_confirm",
            label=_("Penalty cases to confirm or dismiss"),
            help=_("MS-7: reported or imported"),
            permission="compliance.confirm_penaltycase",
            items=_cases(CaseStatus.REPORTED),
            waiting_since="created_at",
            changelist=changelist,
            filters=lambda user, now: {"status__exact": CaseStatus.REPORTED},
            order=40,
        )
    )
    register(
        Queue(
            key="cases_to_apply",
            label=_("Confirmed cases awaiting their penalty"),
            help=_("MS-7: the violation table's measures"),
            permission="compliance.apply_penaltycase",
            items=_cases(CaseStatus.CONFIRMED),
            waiting_since="created_at",
            changelist=changelist,
            filters=lambda user, now: {"status__exact": CaseStatus.CONFIRMED},
            order=41,
        )
    )
    register(
        Queue(
            key="cases_to_approve",
            label=_("Penalties awaiting your second approval"),
            help=_("MS-8.3, MS-7: eviction, ban, deposit deduction; not your own proposals"),
            permission="compliance.approve_penaltycase",
            items=_second_approvals,
            waiting_since="waiting_from",
            changelist=changelist,
            filters=lambda user, now: {"approval": "for_me"},
            order=42,
        )
    )
    register(
        Queue(
            key="appeals_to_decide",
            label=_("Appeals to decide"),
            help=_("MS-7: the vendor appealed an applied penalty"),
            permission="compliance.decide_appeal",
            items=_cases(CaseStatus.APPEALED),
            waiting_since="appealed_at",
            changelist=changelist,
            filters=lambda user, now: {"status__exact": CaseStatus.APPEALED},
            order=43,
        )
    )
    register(
        Queue(
            key="flagged_to_reviewers",
            label=_("Rule evaluations flagged to reviewers (last 7 days)"),
            help=_("MS-5.8 refund rate, MS-6.1.1 documents"),
            permission=(
                "compliance.confirm_penaltycase",
                "vendors.review_onboardingapplication",
            ),
            items=_flagged("reviewers"),
            waiting_since="created_at",
            changelist="admin:compliance_ruleevaluation_changelist",
            filters=lambda user, now: {
                "flagged": "reviewers",
                "created_at__gte": (now - FLAGGED_WINDOW).isoformat(),
            },
            order=80,
        )
    )
    register(
        Queue(
            key="flagged_to_finance",
            label=_("Rule evaluations flagged to finance (last 7 days)"),
            help=_("MS-3.1.5 ④ deposit refunds due"),
            permission="vendors.process_depositrefund",
            items=_flagged("finance"),
            waiting_since="created_at",
            changelist="admin:compliance_ruleevaluation_changelist",
            filters=lambda user, now: {
                "flagged": "finance",
                "created_at__gte": (now - FLAGGED_WINDOW).isoformat(),
            },
            order=81,
        )
    )
    register(
        Queue(
            key="imports_needing_eyes",
            label=_("Penalty imports failed or in progress"),
            help=_("Failed jobs can be retried from their page"),
            permission="compliance.import_penaltycase",
            items=lambda user, now: ImportJob.objects.filter(status__in=IMPORTS_NEEDING_EYES),
            waiting_since="created_at",
            changelist="admin:compliance_importjob_changelist",
            filters=lambda user, now: {"status__in": ",".join(IMPORTS_NEEDING_EYES)},
            order=90,
        )
    )
