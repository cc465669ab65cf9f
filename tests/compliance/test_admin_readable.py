"""Issue 12 §2: compliance records a person can read. Violation names beside their codes (MS-7
annex), choice labels, links instead of `model:id` references, money as money, measures of the
case log as a list in words, rule evaluations with the rule's name, the subject as a link,
figures formatted (percentages, CNY) and times in China time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import AppliedMeasure, CaseEvent, RuleEvaluation, SweepRun
from compliance.services.penalties import (
    penalty_apply,
    penalty_approve,
    penalty_revoke,
)
from tests.compliance.factories import confirmed_case, lead, reported_case, reviewer

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
UTC = dt.UTC


def changelist() -> str:
    return reverse("admin:compliance_penaltycase_changelist")


def change(case) -> str:
    return reverse("admin:compliance_penaltycase_change", args=[case.pk])


@pytest.mark.parametrize(("lang", "name"), [(ZH, "发布垃圾广告"), (EN, "Spam advertising")])
def test_ms_7_case_list_and_filter_name_the_violation_beside_its_code(client, lang, name):
    case = reported_case(code="SPAM_AD")
    other = reported_case(code="FAKE_TRANSACTION")
    client.force_login(reviewer())
    body = client.get(changelist(), **lang).content.decode()
    assert name in body and "(SPAM_AD)" in body
    # The filter lists names with codes, not codes alone, and still filters.
    assert f"{name} (SPAM_AD)" in body
    filtered = client.get(
        changelist() + f"?violation__id__exact={case.violation_id}", **lang
    ).content.decode()
    assert case.reference in filtered and other.reference not in filtered
    # Statuses are labels.
    assert ("已举报" if lang is ZH else "Reported") in body


def test_ms_7_case_page_shows_the_violation_name_and_its_table_version(client):
    case = reported_case(code="SPAM_AD")
    client.force_login(reviewer())
    body = client.get(change(case), **ZH).content.decode()
    assert "发布垃圾广告" in body and "一般" in body
    assert "2017-08-01 起施行的版本" in body
    assert "SPAM_AD 发布垃圾广告 (2017-08-01)" not in body  # the old raw version name


def test_ms_8_3_case_log_lists_the_measures_in_words_not_json(client):
    proposer, approver = lead(), lead()
    case = penalty_apply(case=confirmed_case(code="OFFLINE_TRADE"), actor=proposer, reason="r")
    penalty_approve(case=case, actor=approver, reason="ok")
    client.force_login(approver)
    body = client.get(change(case), **EN).content.decode()
    assert "Evict — waits for a second approver" in body
    assert "Deduct deposit · ¥5,000.00 — waits for a second approver" in body
    assert "Deduct deposit · ¥5,000.00 — approved, in force from the approval" in body
    raw_json = ('"kind":', "'kind':", "awaiting_approval&quot;", "'awaiting_approval':", "ledger:")
    for raw in (*raw_json, ">deduct_deposit<", "&#x27;measures&#x27;"):
        assert raw not in body
    # The deduction's ledger entry is a link to the entry, not `ledger:N`.
    deduction = case.measures.get(kind="deduct_deposit")
    entry_id = int(deduction.execution_ref.removeprefix("ledger:"))
    assert reverse("admin:vendors_depositentry_change", args=[entry_id]) in body


def test_ms_7_timed_measures_show_their_length_and_a_revocation_its_ledger_links(client):
    user = lead()
    case = penalty_apply(case=confirmed_case(code="FAKE_TRANSACTION"), actor=user, reason="r")
    client.force_login(user)
    body = client.get(change(case), **ZH).content.decode()
    assert "店铺屏蔽 · 15 天 — 立即生效" in body

    deducted = penalty_apply(case=confirmed_case(code="FRAUD"), actor=user, reason="r")
    penalty_approve(case=deducted, actor=lead(), reason="ok")
    penalty_revoke(case=deducted, actor=user, reason="wrong vendor")
    event = CaseEvent.objects.get(case=deducted, action="revoke")
    (reversal,) = event.details["reversals"]
    body = client.get(change(deducted), **EN).content.decode()
    url = reverse("admin:vendors_depositentry_change", args=[int(reversal.split(":")[1])])
    assert f'Deduction given back: <a href="{url}">' in body
    assert "stays: an eviction cannot be undone (MS-8.3)" in body


def test_ms_7_applied_measure_page_names_its_cause_and_act(client):
    user = lead()
    case = penalty_apply(case=confirmed_case(code="FRAUD"), actor=user, reason="r")
    penalty_approve(case=case, actor=lead(), reason="ok")
    measure = case.measures.get(kind="deduct_deposit")
    client.force_login(user)
    url = reverse("admin:compliance_appliedmeasure_change", args=[measure.pk])
    body = client.get(url, **EN).content.decode()
    assert f'Penalty case · <a href="{change(case)}">{case.reference}</a>' in body
    assert "¥5,000.00" in body and "Deposit ledger entry #" in body
    assert "ledger:" not in body
    listing = client.get(reverse("admin:compliance_appliedmeasure_changelist"), **EN)
    assert "Penalty case · " in listing.content.decode()


def _evaluation(**kwargs) -> RuleEvaluation:
    defaults = {
        "rule": "refund_rate",
        "rule_id": "MS-5.8",
        "outcome": "acted",
        "subject_type": "vendor",
        "as_of": dt.datetime(2025, 1, 1, 16, 30, tzinfo=UTC),
    }
    return RuleEvaluation.objects.create(**{**defaults, **kwargs})


def test_ms_5_8_refund_rate_evaluation_reads_as_rule_name_percentages_and_china_time(client):
    case = reported_case()
    vendor = case.vendor
    run = SweepRun.objects.create(as_of=dt.datetime(2025, 1, 1, 16, 30, tzinfo=UTC))
    evaluation = _evaluation(
        run=run,
        vendor=vendor,
        subject_id=str(vendor.pk),
        measure_kind="marketing_ineligible",
        figures={
            "window_start": "2024-12-02T16:30:00Z",
            "window_days": 30,
            "paid_orders": 6,
            "refunded_orders": 1,
            "rate_percent": "16.6667",
            "threshold_percent": "1.00",
            "improve_by": "2025-01-31T16:30:00Z",
        },
    )
    client.force_login(reviewer())
    listing = client.get(reverse("admin:compliance_ruleevaluation_changelist"), **EN)
    body = listing.content.decode()
    assert "MS-5.8 Refund rate" in body
    assert "refund rate: 16.67%" in body and "threshold: 1.00%" in body
    assert "Ineligible for marketing campaigns" in body
    page = client.get(
        reverse("admin:compliance_ruleevaluation_change", args=[evaluation.pk]), **ZH
    ).content.decode()
    assert "MS-5.8 退款率" in page
    assert "2025-02-01 00:30" in page  # 16:30 UTC is 00:30 the next day in China
    assert "2024-12-03 00:30" in page and "30 天" in page
    assert "16.67%" in page and "rate_percent" not in page and "16.6667" not in page
    assert f"#{run.pk} · 2025-01-02 00:30" in page  # the run, in China time
    assert "vendor:" not in page and "refund_rate:" not in page


def test_ms_3_1_5_topup_evaluation_shows_money_and_links_the_subject_when_allowed(client):
    vendor = reported_case().vendor
    measure = AppliedMeasure.objects.create(
        vendor=vendor,
        kind="suspend_display",
        starts_at=timezone.now(),
        cause_type="deposit_topup",
        cause_id="7",
        reason="r",
    )
    acted = _evaluation(
        rule="deposit_topup",
        rule_id="MS-3.1.5 ③",
        vendor=vendor,
        subject_type="applied_measure",
        subject_id=str(measure.pk),
        measure=measure,
        measure_kind="suspend_display",
        figures={"amount_due": "1200.00", "due_at": "2025-01-01T15:59:59Z", "as_of": None},
    )
    refund = _evaluation(
        rule="deposit_refund_due",
        rule_id="MS-3.1.5 ④",
        outcome="flagged",
        vendor=vendor,
        subject_type="deposit_refund",
        subject_id="42",
        flagged_to="finance",
        message="deposit refund overdue",
        figures={"threshold": "past", "due_provisional": True},
    )
    client.force_login(reviewer())
    body = client.get(
        reverse("admin:compliance_ruleevaluation_change", args=[acted.pk]), **EN
    ).content.decode()
    assert "¥1,200.00" in body and "2025-01-01 23:59" in body
    measure_url = reverse("admin:compliance_appliedmeasure_change", args=[measure.pk])
    assert f'<a href="{measure_url}">Applied measure #{measure.pk}</a>' in body
    assert "applied_measure:" not in body and "amount_due" not in body
    # A compliance reviewer may not open deposit refunds: named, not linked.
    body = client.get(
        reverse("admin:compliance_ruleevaluation_change", args=[refund.pk]), **ZH
    ).content.decode()
    assert "保证金退还 #42" in body
    assert reverse("admin:vendors_depositrefund_change", args=[42]) not in body
    assert "保证金退还已逾期" in body and "已逾期" in body and "是" in body
    assert "deposit refund overdue" not in body


def test_evaluation_changelist_cost_does_not_grow_with_readable_columns(client):
    client.force_login(reviewer())
    url = reverse("admin:compliance_ruleevaluation_changelist")
    vendor = reported_case().vendor

    def add(n: int) -> None:
        for i in range(n):
            measure = AppliedMeasure.objects.create(
                vendor=vendor,
                kind="marketing_ineligible",
                starts_at=timezone.now(),
                cause_type="refund_rate",
                cause_id=f"2025-01-{i + 1:02d}-{RuleEvaluation.objects.count()}",
                reason="r",
            )
            _evaluation(
                vendor=vendor,
                subject_id=str(vendor.pk),
                measure=measure,
                figures={"rate_percent": Decimal("2.5"), "threshold_percent": "1.00"},
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_ms_7_delisting_is_shown_as_a_link_to_the_product(client):
    """`product:<id>` (the stored act of "delist the product") reads as the product's name."""
    user = lead()
    case = penalty_apply(case=confirmed_case(code="SPAM_AD"), actor=user, reason="r")
    delist = case.measures.get(kind="delist_product")
    assert delist.execution_ref == f"product:{case.product_id}"
    client.force_login(user)
    body = client.get(change(case), **EN).content.decode()
    url = reverse("admin:catalog_product_change", args=[case.product_id])
    assert f'Delisted: <a href="{url}">{case.product}</a>' in body
    assert f"product:{case.product_id}" not in body
