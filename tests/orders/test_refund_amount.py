"""The refund amount function (MS-5.1 to MS-5.4, MS-5.7.2): properties and examples."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from catalog.models import ReviewPeriodRule
from orders.models import RefundBasis
from orders.refund_amount import RefundInputs, compute_refund

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
fraction = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4)
percent = st.none() | st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
rules = st.sampled_from(ReviewPeriodRule.values)
grounds = st.sampled_from(["", "1_vendor_late", "6_not_started"])
cases = st.sampled_from(["", "1_quality_loss"])


@st.composite
def inputs(draw, **fixed):
    paid = draw(money)
    already = draw(st.decimals(min_value=Decimal("0"), max_value=paid, places=2))
    values = dict(
        paid=paid,
        already_refunded=already,
        requested=draw(money),
        refundable=draw(st.booleans()),
        review_rule=draw(rules),
        in_review_period=draw(st.booleans()),
        consumed_fraction=draw(fraction),
        compensation=draw(st.decimals(min_value=Decimal("0"), max_value=paid, places=2)),
        full_refund_case=draw(cases),
        platform_ground=draw(grounds),
        vendor_terms_percent=draw(percent),
        vendor_agreed=draw(st.booleans()),
    )
    values.update(fixed)
    return RefundInputs(**values)


@given(inputs())
def test_ms_5_amount_is_never_negative_nor_above_what_is_left(data):
    quote = compute_refund(data)
    left = data.paid - data.already_refunded
    assert Decimal("0") <= quote.amount <= left
    assert Decimal("0") <= quote.entitled <= left
    assert quote.amount <= data.requested
    assert quote.amount == quote.amount.quantize(Decimal("0.01"))


@given(
    inputs(
        refundable=True,
        in_review_period=True,
        review_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        vendor_agreed=False,
    )
)
def test_ms_5_1_full_refund_inside_the_review_period(data):
    """Whatever the consumption, ground or vendor terms: in full inside the period."""
    quote = compute_refund(data)
    left = data.paid - data.already_refunded
    assert quote.entitled == left
    assert quote.amount == min(data.requested, left)
    assert quote.basis == RefundBasis.REVIEW_PERIOD


@given(
    inputs(
        refundable=True,
        in_review_period=True,
        review_rule=ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED,
        vendor_agreed=False,
    )
)
def test_ms_5_4_1_ops_before_confirmation_full_less_compensation(data):
    quote = compute_refund(data)
    left = data.paid - data.already_refunded
    assert quote.entitled == max(Decimal("0"), left - data.compensation)
    assert quote.basis == RefundBasis.BEFORE_CONFIRMATION


@given(inputs(refundable=False))
def test_ms_5_1_tool_products_get_nothing(data):
    quote = compute_refund(data)
    assert quote.amount == 0 and quote.basis == RefundBasis.NOT_REFUNDABLE


@given(
    inputs(
        refundable=True,
        in_review_period=False,
        full_refund_case="",
        platform_ground="",
        vendor_terms_percent=None,
        vendor_agreed=False,
    )
)
def test_ms_5_2_outside_the_period_at_most_the_unconsumed_part(data):
    quote = compute_refund(data)
    assert quote.basis == RefundBasis.PRO_RATA
    assert quote.entitled <= data.paid * (1 - data.consumed_fraction)


def _base(**kw):
    values = dict(
        paid=Decimal("300.00"),
        already_refunded=Decimal("0.00"),
        requested=Decimal("300.00"),
        refundable=True,
        review_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        in_review_period=False,
        consumed_fraction=Decimal("0.3333"),
    )
    values.update(kw)
    return RefundInputs(**values)


def test_ms_5_2_pro_rata_example_rounds_down():
    quote = compute_refund(_base())
    # 300 × (1 − 0.3333) = 200.01
    assert quote.entitled == Decimal("200.01") and quote.basis == RefundBasis.PRO_RATA


def test_ms_5_2_pro_rata_accounts_for_earlier_partial_refunds():
    quote = compute_refund(_base(already_refunded=Decimal("50.00")))
    assert quote.entitled == Decimal("150.01")


def test_ms_5_3_full_case_refunds_in_full_outside_the_period():
    quote = compute_refund(_base(full_refund_case="1_quality_loss"))
    assert quote.entitled == Decimal("300.00") and quote.basis == RefundBasis.FULL_CASE


def test_ms_5_2_platform_ground_pays_the_unconsumed_part_ignoring_vendor_terms():
    quote = compute_refund(_base(platform_ground="1_vendor_late", vendor_terms_percent=Decimal(0)))
    assert quote.entitled == Decimal("200.01") and quote.basis == RefundBasis.PLATFORM_GROUND


def test_ms_5_7_2_vendor_terms_drive_the_amount_after_the_period():
    quote = compute_refund(_base(vendor_terms_percent=Decimal("50")))
    assert quote.entitled == Decimal("100.00") and quote.basis == RefundBasis.VENDOR_TERMS
    inside = compute_refund(_base(vendor_terms_percent=Decimal("50"), in_review_period=True))
    assert inside.entitled == Decimal("300.00")
