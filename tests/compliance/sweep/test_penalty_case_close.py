"""The sweep closes penalty cases whose timed measures have run their course (MS-7 annex)."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.models import CaseStatus, EvaluationOutcome, RuleEvaluation, SweepRule
from compliance.services.penalties import penalty_apply
from tests.compliance.factories import confirmed_case, reviewer
from tests.compliance.sweep.factories import at, sweep

pytestmark = pytest.mark.django_db
RULE = SweepRule.PENALTY_CASE_CLOSE


def test_ms_7_case_closes_at_the_sweep_after_its_15_day_shield_ends():
    """UNREACHABLE: shield store + restrict publishing for 15 days, then the case closes."""
    start = at("2026-10-01 10:00")
    case = penalty_apply(
        case=confirmed_case(code="UNREACHABLE"),
        actor=reviewer(),
        reason="vendor unreachable for a week",
        at=start,
    )
    assert case.status == CaseStatus.APPLIED

    sweep(start + dt.timedelta(days=15) - dt.timedelta(seconds=1), "measure_expiry", RULE)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPLIED  # the shield still runs for one second

    sweep(start + dt.timedelta(days=15), "measure_expiry", RULE)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    evaluation = RuleEvaluation.objects.get(rule=RULE, subject_id=str(case.pk))
    assert evaluation.outcome == EvaluationOutcome.RECORDED
    assert evaluation.vendor_id == case.vendor_id
    assert case.history.first().history_change_reason == "All measures have run their course"


def test_ms_7_closing_is_idempotent():
    start = at("2026-10-01 10:00")
    case = penalty_apply(
        case=confirmed_case(code="UNREACHABLE"), actor=reviewer(), reason="unreachable", at=start
    )
    later = start + dt.timedelta(days=20)
    sweep(later, "measure_expiry", RULE)
    sweep(later, "measure_expiry", RULE)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert RuleEvaluation.objects.filter(rule=RULE, subject_id=str(case.pk)).count() == 1
