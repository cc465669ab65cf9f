"""The sweep's framework: command input, dry run, error isolation per vendor, set-based query
counts, notifications after commit, settings validation and vendor isolation."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from compliance.models import (
    AppliedMeasure,
    CauseType,
    EvaluationOutcome,
    MeasureKind,
    RuleEvaluation,
    RuleSetting,
    SweepRule,
    SweepRun,
    VendorNotification,
)
from compliance.services.measures import measure_apply
from compliance.sweep import deposit_topup as deposit_rule
from compliance.sweep.base import SweepContext
from compliance.sweep.registry import all_rules
from compliance.sweep.runner import run_rule
from compliance.sweep.selectors import evaluations_for_vendor, notifications_for_vendor
from tests.compliance.sweep.factories import (
    at,
    deposit_refund,
    document,
    failure,
    obligation,
    orders,
    product,
    refund,
    sweep,
    vendor,
)
from tests.factories import UserFactory, VendorStaffFactory

pytestmark = pytest.mark.django_db

AS_OF = at("2026-10-20 09:00")


# --- command input --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-10-20T09:00:00", "2026-10-20", "yesterday", "2026-13-01"])
def test_as_of_naive_or_unparseable_is_refused_and_nothing_runs(value):
    with pytest.raises(CommandError, match="--as-of"):
        call_command("run_compliance_sweep", "--as-of", value, stdout=StringIO())
    assert not SweepRun.objects.exists()


def test_unknown_rule_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("run_compliance_sweep", "--rule", "nope", stdout=StringIO())


def test_summary_per_rule_is_printed():
    v = vendor()
    obligation(v, due_at=AS_OF - dt.timedelta(days=1))
    out = sweep(AS_OF)
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["deposit_topup"][1:4] == ["1", "2", "0"]  # examined, acted, lifted
    for name in (
        "measure_expiry",
        "saas_delivery",
        "refund_rate",
        "documents",
        "deposit_refund_due",
        "review_periods",
    ):
        assert name in lines


def test_dry_run_writes_nothing_and_reports_the_plan():
    v = vendor()
    obligation(v, due_at=AS_OF - dt.timedelta(days=1))
    out = StringIO()
    call_command("run_compliance_sweep", "--as-of", AS_OF.isoformat(), "--dry-run", stdout=out)
    assert "dry run" in out.getvalue()
    assert not AppliedMeasure.objects.exists()
    assert not RuleEvaluation.objects.exists()
    assert not SweepRun.objects.exists()
    line = next(x for x in out.getvalue().splitlines() if x.startswith("deposit_topup"))
    assert line.split()[2] == "2"  # two measures planned


# --- a failure for one vendor ---------------------------------------------------------------


def test_rule_failing_for_one_vendor_records_it_and_goes_on(monkeypatch):
    """A rule that raises for one vendor records an error evaluation for it; the others are
    acted on; the command's exit code says something failed."""
    good, bad = vendor(), vendor()
    for v in (good, bad):
        obligation(v, due_at=AS_OF - dt.timedelta(days=1))
    real = deposit_rule.measures_create_bulk

    def flaky(*, measures, reason):
        if any(m.vendor_id == bad.pk for m in measures):
            raise RuntimeError("store service unavailable")
        return real(measures=measures, reason=reason)

    monkeypatch.setattr(deposit_rule, "measures_create_bulk", flaky)
    with pytest.raises(CommandError, match="deposit_topup"):
        sweep(AS_OF)
    assert AppliedMeasure.objects.filter(vendor=good).count() == 2
    assert not AppliedMeasure.objects.filter(vendor=bad).exists()
    error = RuleEvaluation.objects.get(vendor=bad, outcome=EvaluationOutcome.ERROR)
    assert "store service unavailable" in error.message
    assert SweepRun.objects.get().status == SweepRun.Status.FAILED

    monkeypatch.setattr(deposit_rule, "measures_create_bulk", real)
    sweep(AS_OF + dt.timedelta(minutes=5))  # the next run completes the work
    assert AppliedMeasure.objects.filter(vendor=bad).count() == 2


# --- set-based: a fixed number of queries per rule ------------------------------------------


def _scenario(n: int) -> None:
    """n vendors, each giving every rule something to do, the 30-day delisting of all SaaS
    products included (set-based through catalog's `products_delist_bulk`)."""
    for _ in range(n):
        v = vendor()
        obligation(v, due_at=AS_OF - dt.timedelta(days=1))
        failure(v, failed_at=AS_OF - dt.timedelta(days=31))
        product(v, saas=True)  # a second listed SaaS product to delist
        placed = orders(v, 20, paid_at=AS_OF - dt.timedelta(days=6))
        refund(placed[0], refunded_at=AS_OF - dt.timedelta(days=2))
        document(v, valid_until=(AS_OF + dt.timedelta(days=10)).date())
        deposit_refund(v, due_at=AS_OF - dt.timedelta(days=1))
        measure_apply(
            vendor=v,
            kind=MeasureKind.SHIELD_STORE,
            cause_type=CauseType.PENALTY,
            cause_id=f"case-{v.pk}",
            starts_at=AS_OF - dt.timedelta(days=16),
            days=15,
            actor=None,
            reason="test",
        )
        VendorStaffFactory(vendor=v, user=UserFactory())


def _per_rule_queries(n: int, expected: dict[str, int] | None = None, assert_num=None) -> dict:
    """Run each rule in sweep order on n vendors (rolled back); count or assert its queries."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        _scenario(n)
        ctx = SweepContext(
            as_of=AS_OF,
            setting=RuleSetting.in_force(AS_OF),
            run=SweepRun.objects.create(as_of=AS_OF),
        )
        for rule in all_rules():
            if rule.name in (SweepRule.PENALTY_CASE_CLOSE, SweepRule.VENDOR_EXIT):
                # Plan in one query but act on each due case / exit through the audited
                # penalty or exit service (a handful a day); their own tests cover them
                # (tests/compliance/test_exit_sweep.py, tests/orders/test_exit_refunds.py).
                continue
            if expected is None:
                with CaptureQueriesContext(connection) as captured:
                    report = run_rule(ctx, rule)
                counts[rule.name] = len(captured.captured_queries)
            else:
                with assert_num(expected[rule.name]):
                    report = run_rule(ctx, rule)
            assert report.acted + report.lifted + report.flagged + report.recorded > 0, rule.name
            assert report.errors == 0
        transaction.set_rollback(True)
    return counts


def test_each_rule_costs_the_same_queries_for_2_and_6_vendors(django_assert_num_queries):
    """Set-based: each rule's query count, acting included, does not grow with the vendors."""
    small = _per_rule_queries(2)
    _per_rule_queries(6, expected=small, assert_num=django_assert_num_queries)


# --- notifications ---------------------------------------------------------------------------


def test_notification_mailed_after_commit_in_chinese_with_rule_and_deadline(
    django_capture_on_commit_callbacks,
):
    v = vendor()
    VendorStaffFactory(vendor=v, user=UserFactory(email="owner@vendor.example"), is_owner=True)
    placed = orders(v, 50, paid_at=AS_OF - dt.timedelta(days=3))
    refund(placed[0], refunded_at=AS_OF - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sweep(AS_OF, "refund_rate")
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    (message,) = mail.outbox
    assert message.to == ["owner@vendor.example"]
    note = VendorNotification.objects.get(vendor=v)
    assert note.language == "zh-hans"
    assert "MS-5.8" in message.body and "2026-11-19 09:00" in message.body
    assert note.action_required_by == AS_OF + dt.timedelta(days=30)
    mail.outbox.clear()
    sweep(AS_OF + dt.timedelta(hours=1), "refund_rate")
    assert VendorNotification.objects.filter(vendor=v).count() == 1


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("refund_window_days", 0),
        ("refund_rate_threshold", "100.01"),
        ("refund_rate_threshold", "-1"),
        ("saas_hide_all_days", 0),
    ],
)
def test_setting_out_of_range_is_refused(field, value):
    setting = RuleSetting(effective_from=AS_OF, note="bad", **{field: value})
    with pytest.raises(ValidationError) as exc:
        setting.full_clean()
    assert field in exc.value.message_dict


def test_setting_needs_one_deposit_measure_and_delist_after_hide():
    setting = RuleSetting(
        effective_from=AS_OF,
        note="bad",
        deposit_suspend_display=False,
        deposit_suspend_trading=False,
        saas_delist_all_days=5,
    )
    with pytest.raises(ValidationError) as exc:
        setting.full_clean()
    errors = exc.value.message_dict
    assert set(errors) == {"saas_delist_all_days", "deposit_suspend_display"}
    assert errors["deposit_suspend_display"] == [
        "Choose at least one measure for an unpaid deposit (MS-3.1.5 ③)."
    ]


def test_setting_in_force_is_the_latest_effective_row():
    RuleSetting.objects.create(effective_from=at("2026-01-01 00:00"), note="a")
    RuleSetting.objects.create(
        effective_from=at("2026-10-01 00:00"), refund_window_days=60, note="b"
    )
    assert RuleSetting.in_force(at("2026-09-30 23:59")).refund_window_days == 30
    assert RuleSetting.in_force(at("2026-10-01 00:00")).refund_window_days == 60
    assert RuleSetting.in_force(at("2025-01-01 00:00")).pk is None  # defaults


# --- vendor isolation ----------------------------------------------------------------------------


def test_vendor_reads_only_its_own_evaluations_and_notifications():
    mine, other = vendor(), vendor()
    for v in (mine, other):
        obligation(v, due_at=AS_OF - dt.timedelta(days=1))
    sweep(AS_OF)
    user = VendorStaffFactory(vendor=mine, user=UserFactory()).user
    assert {e.vendor_id for e in evaluations_for_vendor(user=user)} == {mine.pk}
    assert {n.vendor_id for n in notifications_for_vendor(user=user)} == {mine.pk}


def test_vendor_does_not_see_internal_error_evaluations(monkeypatch):
    v = vendor()
    obligation(v, due_at=AS_OF - dt.timedelta(days=1))

    def broken(**kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(deposit_rule, "measures_create_bulk", broken)
    with pytest.raises(CommandError):
        sweep(AS_OF)
    user = VendorStaffFactory(vendor=v, user=UserFactory()).user
    assert RuleEvaluation.objects.filter(vendor=v, outcome=EvaluationOutcome.ERROR).exists()
    assert not evaluations_for_vendor(user=user).exists()


def test_background_task_runs_the_sweep():
    """The sweep can also run as a django-tasks task (immediate backend in development)."""
    from compliance.sweep.tasks import run_compliance_sweep_task

    v = vendor()
    obligation(v, due_at=AS_OF - dt.timedelta(days=1))
    result = run_compliance_sweep_task.enqueue(as_of=AS_OF.isoformat(), rules=["deposit_topup"])
    assert result.return_value["failed"] is False
    assert SweepRun.objects.get().trigger == "task"
    assert AppliedMeasure.objects.filter(vendor=v).count() == 2


def test_vendor_marks_its_notification_read_but_not_another_vendors():
    from compliance.sweep.services import notification_mark_read
    from marketplace.exceptions import NotFound

    mine, other = vendor(), vendor()
    for v in (mine, other):
        obligation(v, due_at=AS_OF - dt.timedelta(days=1))
    sweep(AS_OF)
    user = VendorStaffFactory(vendor=mine, user=UserFactory()).user
    own = VendorNotification.objects.get(vendor=mine)
    notification_mark_read(notification_id=own.pk, actor=user)
    own.refresh_from_db()
    assert own.read_at is not None
    assert own.history.first().history_user == user
    with pytest.raises(NotFound) as raised:
        notification_mark_read(
            notification_id=VendorNotification.objects.get(vendor=other).pk, actor=user
        )
    assert raised.value.code == "not_found"


def test_rule_failing_as_a_whole_is_recorded_and_the_others_still_run(monkeypatch):
    from compliance.sweep.documents import DocumentExpiryRule

    def broken(self, ctx, *, vendor_ids=None):
        raise RuntimeError("documents table unavailable")

    monkeypatch.setattr(DocumentExpiryRule, "plan", broken)
    v = vendor()
    obligation(v, due_at=AS_OF - dt.timedelta(days=1))
    with pytest.raises(CommandError, match="documents"):
        sweep(AS_OF)
    error = RuleEvaluation.objects.get(outcome=EvaluationOutcome.ERROR)
    assert error.rule == "documents" and "unavailable" in error.message
    assert AppliedMeasure.objects.filter(vendor=v).count() == 2  # other rules went on
