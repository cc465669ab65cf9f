"""Penalty case workflow (MS-7, MS-7.2, MS-9.2, MS-3.1.5, MS-8.3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.models import (
    AppliedMeasure,
    CaseEvent,
    CaseStatus,
    MeasureKind,
    PenaltyCase,
    SweepRule,
    ViolationMeasure,
    ViolationVersion,
)
from compliance.services.penalties import (
    ExtraMeasure,
    penalty_appeal,
    penalty_apply,
    penalty_approve,
    penalty_confirm,
    penalty_dismiss,
    penalty_measure_add,
    penalty_measure_lift,
    penalty_reject,
    penalty_revoke,
    penalty_uphold,
)
from compliance.sweep.runner import run_rule_now
from marketplace.exceptions import PermissionDenied, StateConflict, ValidationFailed
from tests.compliance.factories import (
    confirmed_case,
    lead,
    paid_vendor,
    reported_case,
    reviewer,
    violation,
)
from tests.factories import UserFactory
from tests.threads import errors_of, run_concurrently
from vendors.selectors import deposit_balance, open_obligations

pytestmark = pytest.mark.django_db
K = MeasureKind


def test_confirm_and_dismiss_need_a_reason_and_the_permission():
    case = reported_case()
    with pytest.raises(ValidationFailed) as raised:
        penalty_confirm(case=case, actor=reviewer(), reason="  ")
    assert raised.value.code == "reason_required"
    with pytest.raises(PermissionDenied) as raised:
        penalty_confirm(case=case, actor=UserFactory(is_staff=True), reason="ok")
    assert raised.value.code == "permission_denied"
    case = penalty_dismiss(case=case, actor=reviewer(), reason="not proven")
    assert case.status == CaseStatus.DISMISSED
    assert case.events.last().reason == "not proven"
    with pytest.raises(StateConflict) as raised:
        penalty_apply(case=case, actor=reviewer(), reason="apply a dismissed case")
    assert raised.value.code == "transition_not_allowed"


def test_applying_twice_applies_once():
    case = confirmed_case(code="FAKE_TRANSACTION")
    actor = reviewer()
    penalty_apply(case=case, actor=actor, reason="first click")
    penalty_apply(case=case, actor=actor, reason="retried click")
    assert case.measures.count() == 2
    assert CaseEvent.objects.filter(case=case, action="apply").count() == 1


def test_ms_9_2_case_judged_by_the_version_in_force_when_it_happened():
    vtype = violation("FAKE_TRANSACTION")
    today = timezone.localdate()
    newer = ViolationVersion.objects.create(
        violation=vtype,
        effective_from=today - dt.timedelta(days=10),
        level="serious",
        name_zh="虚假交易",
        name_en="Fake transactions",
        detail="revised",
    )
    ViolationMeasure.objects.create(version=newer, kind=K.SHIELD_STORE, duration_days=60)
    old_case = confirmed_case(
        code="FAKE_TRANSACTION", occurred_at=timezone.now() - dt.timedelta(days=30)
    )
    new_case = confirmed_case(
        code="FAKE_TRANSACTION", occurred_at=timezone.now() - dt.timedelta(days=2)
    )
    assert old_case.violation_version != newer and new_case.violation_version == newer
    start = timezone.now()
    penalty_apply(case=old_case, actor=reviewer(), reason="r", at=start)
    penalty_apply(case=new_case, actor=reviewer(), reason="r", at=start)
    assert old_case.measures.get(kind=K.SHIELD_STORE).ends_at == start + dt.timedelta(days=15)
    assert new_case.measures.get().ends_at == start + dt.timedelta(days=60)


def test_ms_7_2_extra_measures_need_their_own_reason():
    case = confirmed_case(code="SPAM_AD")
    extra = [ExtraMeasure(kind=K.RESTRICT_PUBLISHING, days=7)]
    with pytest.raises(ValidationFailed) as raised:
        penalty_apply(case=case, actor=reviewer(), reason="r", extra=extra)
    assert raised.value.code == "extra_reason_required"
    case = penalty_apply(
        case=case, actor=reviewer(), reason="r", extra=extra, extra_reason="repeat offender"
    )
    assert case.status == CaseStatus.APPLIED
    case.vendor.refresh_from_db()
    assert case.vendor.can_publish is False
    assert "repeat offender" in case.measures.get(kind=K.RESTRICT_PUBLISHING).reason


def test_ms_3_1_5_extra_deduction_waits_for_second_approver_then_opens_obligation():
    vendor = paid_vendor()
    proposer, other = lead(), lead()
    case = confirmed_case(code="FAKE_TRANSACTION", vendor=vendor)
    case = penalty_apply(
        case=case,
        actor=proposer,
        reason="r",
        extra=[ExtraMeasure(kind=K.DEDUCT_DEPOSIT, amount=Decimal("1000.00"))],
        extra_reason="the buyer lost money",
    )
    assert case.status == CaseStatus.PENDING_APPROVAL
    vendor.store.refresh_from_db()
    assert vendor.store.displayed is True, "nothing takes effect before approval"
    assert PenaltyCase.objects.filter(status=CaseStatus.PENDING_APPROVAL).count() == 1

    with pytest.raises(PermissionDenied) as raised:
        penalty_approve(case=case, actor=proposer, reason="self")
    assert raised.value.code == "same_approver"
    with pytest.raises(PermissionDenied) as raised:
        penalty_approve(case=case, actor=reviewer(), reason="not a lead")
    assert raised.value.code == "permission_denied"
    case = penalty_approve(case=case, actor=other, reason="agreed")
    assert case.status == CaseStatus.APPLIED
    assert deposit_balance(vendor) == Decimal("4000.00")
    assert open_obligations(vendor).count() == 1  # MS-3.1.5 ③ top-up within 7 working days
    vendor.store.refresh_from_db()
    assert vendor.store.displayed is False


def test_second_approver_may_reject_the_proposal():
    case = confirmed_case(code="FRAUD")
    case = penalty_apply(case=case, actor=lead(), reason="r")
    case = penalty_reject(case=case, actor=lead(), reason="evidence too thin")
    assert case.status == CaseStatus.CONFIRMED
    assert not case.measures.filter(lifted_at__isnull=True).exists()
    case.vendor.refresh_from_db()
    assert case.vendor.status == "active"


def test_revoke_lifts_measures_and_reverses_the_deduction_with_a_ledger_entry():
    vendor = paid_vendor()
    case = confirmed_case(code="DISHONESTY", vendor=vendor)
    case = penalty_apply(
        case=case,
        actor=lead(),
        reason="r",
        extra=[ExtraMeasure(kind=K.DEDUCT_DEPOSIT, amount="800.00")],
        extra_reason="compensation",
    )
    case = penalty_approve(case=case, actor=lead(), reason="ok")
    assert deposit_balance(vendor) == Decimal("4200.00")
    case = penalty_appeal(case=case, statement="we did deliver", actor=None)
    assert case.status == CaseStatus.APPEALED
    case = penalty_revoke(case=case, actor=lead(), reason="delivery proven")
    assert case.status == CaseStatus.REVOKED
    assert deposit_balance(vendor) == Decimal("5000.00")
    assert not case.measures.filter(lifted_at__isnull=True).exists()
    vendor.refresh_from_db()
    vendor.store.refresh_from_db()
    assert vendor.can_publish and vendor.store.displayed
    assert not open_obligations(vendor).exists()


def test_uphold_keeps_measures_and_case_closes_when_they_end():
    case = confirmed_case(code="UNREACHABLE")
    start = timezone.now()
    case = penalty_apply(case=case, actor=reviewer(), reason="r", at=start)
    case = penalty_appeal(case=case, statement="we were on holiday", actor=None)
    with pytest.raises(PermissionDenied) as raised:
        penalty_uphold(case=case, actor=reviewer(), reason="reviewers do not decide appeals")
    assert raised.value.code == "permission_denied"
    case = penalty_uphold(case=case, actor=lead(), reason="no proof")
    assert case.status == CaseStatus.UPHELD
    # The sweep's rule closes it once the 15-day measure has run its course, not before.
    run_rule_now(
        SweepRule.PENALTY_CASE_CLOSE, vendor_id=case.vendor_id, at=start + dt.timedelta(days=14)
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.UPHELD
    run_rule_now(
        SweepRule.PENALTY_CASE_CLOSE, vendor_id=case.vendor_id, at=start + dt.timedelta(days=15)
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_add_and_lift_a_measure_on_an_applied_case():
    vendor = paid_vendor()
    case = penalty_apply(
        case=confirmed_case(code="SPAM_AD", vendor=vendor), actor=reviewer(), reason="r"
    )
    added = penalty_measure_add(
        case=case,
        extra=ExtraMeasure(kind=K.SUSPEND_TRADING, days=3),
        actor=reviewer(),
        reason="keeps posting",
    )
    vendor.store.refresh_from_db()
    assert vendor.store.trading is False
    penalty_measure_lift(measure=added, actor=reviewer(), reason="stopped")
    vendor.store.refresh_from_db()
    assert vendor.store.trading is True
    assert [e.action for e in case.events.all()][-2:] == ["add_measure", "lift_measure"]


def test_every_action_is_logged_with_actor_reason_and_before_after():
    actor = reviewer()
    case = reported_case(code="SPAM_AD", actor=actor)
    penalty_confirm(case=case, actor=actor, reason="seen it")
    penalty_apply(case=case, actor=actor, reason="per table")
    events = list(case.events.values_list("action", "from_status", "to_status", "actor", "reason"))
    assert events == [
        ("report", "", "reported", actor.pk, "Case reported"),
        ("confirm", "reported", "confirmed", actor.pk, "seen it"),
        ("apply", "confirmed", "applied", actor.pk, "per table"),
    ]
    assert case.history.count() >= 3


def test_retired_violation_cannot_be_used():
    vtype = violation("SPAM_AD")
    vtype.retired = True
    vtype.save()
    with pytest.raises(ValidationFailed) as raised:
        reported_case(code="SPAM_AD")
    assert raised.value.code == "violation_retired"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_apply_applies_once_on_postgresql():
    """Two reviewers click apply at the same moment: the case row lock lets one apply; the
    other finds it applied and changes nothing."""
    case = confirmed_case(code="FAKE_TRANSACTION", vendor=paid_vendor())
    actor = reviewer()

    def click():
        penalty_apply(case=PenaltyCase.objects.get(pk=case.pk), actor=actor, reason="click")

    assert not errors_of(run_concurrently(click, click))
    assert AppliedMeasure.objects.filter(penalty_case=case).count() == 2
    assert CaseEvent.objects.filter(case=case, action="apply").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_measure_apply_same_cause_records_once_on_postgresql():
    vendor = paid_vendor()
    from compliance.models import CauseType
    from compliance.services.measures import measure_apply

    def apply():
        measure_apply(
            vendor=vendor,
            kind=K.SUSPEND_DISPLAY,
            cause_type=CauseType.DEPOSIT_TOPUP,
            cause_id="1",
            actor=None,
            reason="MS-3.1.5 ③",
        )

    assert not errors_of(run_concurrently(apply, apply, apply))
    assert AppliedMeasure.objects.filter(vendor=vendor).count() == 1
