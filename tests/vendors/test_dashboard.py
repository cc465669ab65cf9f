"""Issue 13: the vendor dashboard tells the truth.

Every figure on the home page comes from the selector the admin uses too, so the two never
disagree (MS-3.1.5 deposit, MS-5.8 refund rate); the state card follows the measures in force;
the MS-4.2 clocks count calendar days; pages cost a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.kpi import delivery_failure_clocks, refund_rate_kpi, refund_rate_trend
from compliance.models import AppliedMeasure, CauseType, MeasureKind
from compliance.services.measures import vendor_state_recompute
from compliance.sweep.refund_rate import refund_rate_rows
from orders.models import DeliveryFailure, Refund
from tests.compliance.factories import paid_vendor
from tests.factories import StoreFactory, UserFactory, VendorStaffFactory, violation_deduction
from tests.orders.factories import make_order
from vendors.models import Category, Vendor
from vendors.selectors import deposit_summary
from vendors.services import deposit_topup

pytestmark = pytest.mark.django_db

FIGURE = re.compile(r'data-figure="([\w-]+)"[^>]*>([^<]*)')


def figures(html: bytes) -> dict[str, str]:
    return {k: v.strip() for k, v in FIGURE.findall(html.decode())}


def vendor_client(client, vendor, language: str = "en"):
    client.force_login(VendorStaffFactory(vendor=vendor).user)
    client.cookies["django_language"] = language
    return client


def admin_figures(vendor) -> dict[str, str]:
    from django.test import Client

    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = admin.get(
        reverse("admin:vendors_vendor_change", args=[vendor.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    return figures(response.content)


def home_figures(client, vendor) -> dict[str, str]:
    response = vendor_client(client, vendor).get(reverse("vendor:home"))
    assert response.status_code == 200
    return figures(response.content)


def assert_same_figures(home: dict[str, str], admin: dict[str, str], ended: bool = False):
    for key in ("deposit-balance", "deposit-owed", "refund-rate", "refund-threshold"):
        assert home[key] == admin[key], key
    assert home["marketing-eligible"] == admin["marketing-eligible"]
    to_top_up = home["deposit-to-top-up"]
    assert to_top_up == admin["deposit-to-top-up"] or (
        admin["deposit-to-top-up"] == "¥0.00" and "nothing" in to_top_up
    )
    if not ended:
        assert home["deposit-required"] == admin["deposit-required"]


def ops_vendor(paid: str) -> Vendor:
    vendor = paid_vendor(paid)  # ops category: 5,000 required (MS-3.1.5 ①)
    if not hasattr(vendor, "store"):
        StoreFactory(vendor=vendor)
    return vendor


def test_ms_3_1_5_shortfall_without_obligation_is_explained_and_figures_agree(client):
    """Symptom: "¥1,000 to top up" beside "no open obligation" with no word why."""
    vendor = ops_vendor("4000.00")
    assert Category.objects.filter(code="ops", vendors=vendor).exists()
    home, admin = home_figures(client, vendor), admin_figures(vendor)
    assert_same_figures(home, admin)
    assert home["deposit-to-top-up"] == "¥1,000.00"
    page = client.get(reverse("vendor:home")).content.decode()
    assert "no 7-working-day clock runs" in page


def test_ms_3_1_5_after_a_partial_top_up_still_to_top_up_is_what_remains(client):
    """Symptom: the deposit page showed ¥5,000 after ¥4,000 of it was paid."""
    vendor = ops_vendor("5000.00")
    violation_deduction(vendor, Decimal("5000.00"))
    deposit_topup(vendor=vendor, amount=Decimal("4000.00"), actor=None, reason="part")
    summary = deposit_summary(vendor)
    assert summary.to_top_up == Decimal("1000.00") and summary.obligations  # still open
    home, admin = home_figures(client, vendor), admin_figures(vendor)
    assert_same_figures(home, admin)
    assert home["deposit-to-top-up"] == "¥1,000.00"
    assert "deposit-due" in home  # MS-3.1.5 ③ countdown of the open obligation
    deposit_page = figures(client.get(reverse("vendor:deposit")).content)
    assert deposit_page["deposit-to-top-up"] == "¥1,000.00"


def test_ms_3_1_5_after_eviction_only_what_is_owed_is_due(client):
    """Symptom: after a ban, "¥6,300 to top up" against obligations of 800 + 1,300."""
    vendor = ops_vendor("5000.00")
    violation_deduction(vendor, Decimal("5800.00"))
    vendor.status = Vendor.Status.EVICTED
    vendor.save(update_fields=["status"])
    summary = deposit_summary(vendor)
    assert summary.required == 0 and summary.to_top_up == summary.owed == Decimal("800.00")
    home, admin = home_figures(client, vendor), admin_figures(vendor)
    assert_same_figures(home, admin, ended=True)
    assert home["deposit-to-top-up"] == "¥800.00"
    assert "deposit-due" not in home  # no top-up clock once the cooperation ended


def _counted_refund(order, at):
    return Refund.objects.create(
        order=order,
        vendor=order.vendor,
        external_id=f"R-{order.pk}",
        reason_code="not_received",
        counts_against_vendor=True,
        amount_requested=order.amount,
        requested_at=at,
        paid_amount=order.amount,
        already_refunded=0,
        review_rule="MS-5.1",
        in_review_period=True,
        consumed_fraction=0,
        basis="review_period",
        computed_amount=order.amount,
        status=Refund.Status.REFUNDED,
        refunded_at=at,
    )


def test_ms_5_8_refund_rate_is_the_sweeps_and_the_admins(client):
    vendor = ops_vendor("5000.00")
    now = timezone.now()
    orders = [
        make_order(vendor=vendor, paid_at=now - dt.timedelta(days=2, minutes=i)) for i in range(3)
    ]
    _counted_refund(orders[0], now - dt.timedelta(days=1))
    kpi = refund_rate_kpi(vendor, at=now)
    # The sweep's own query over the same window (MS-5.8: counted refunds / paid orders).
    assert refund_rate_rows(start=kpi.start, end=now, vendor_ids=[vendor.pk])[vendor.pk] == (3, 1)
    assert kpi.rate == Decimal("33.3333") and kpi.above
    home, admin = home_figures(client, vendor), admin_figures(vendor)
    assert_same_figures(home, admin)
    assert home["refund-rate"] == "33.33%" and home["refund-threshold"] == "1.00%"
    # The chart's last point is the card's figure; the table fallback lists every day.
    points = refund_rate_trend(vendor, kpi=kpi, days=90)
    assert len(points) == 90 and points[-1].rate == kpi.rate
    assert points[-3].paid + points[-2].paid + points[-1].paid == 3


def test_ms_5_8_exactly_the_threshold_is_not_above():
    """MS-5.8: "exceeds 1%": 1 counted refund of 100 paid orders is not above."""
    from compliance.kpi import RefundRateKpi

    now = timezone.now()
    common = dict(start=now, end=now, window_days=30, threshold=Decimal("1.00"), min_orders=0)
    at = RefundRateKpi(paid=100, refunded=1, eligible=True, improve_by=None, **common)
    assert at.rate == Decimal("1.0000") and not at.above and at.rate_shown == "1.00%"
    over = RefundRateKpi(paid=99, refunded=1, eligible=True, improve_by=None, **common)
    assert over.above
    none = RefundRateKpi(paid=0, refunded=0, eligible=True, improve_by=None, **common)
    assert none.rate is None and not none.above and none.rate_shown == "—"


def test_ms_5_8_ineligible_vendor_sees_the_improvement_deadline(client):
    vendor = ops_vendor("5000.00")
    start = timezone.now() - dt.timedelta(days=3)
    AppliedMeasure.objects.create(
        vendor=vendor,
        kind=MeasureKind.MARKETING_INELIGIBLE,
        cause_type=CauseType.REFUND_RATE,
        cause_id="x",
        starts_at=start,
        reason="MS-5.8",
    )
    vendor_state_recompute(vendor_ids=[vendor.pk], actor=None, reason="test")
    home = home_figures(client, vendor)
    assert home["marketing-eligible"] == "Not eligible"
    assert home["improve-by"] == timezone.localtime(start + dt.timedelta(days=30)).strftime(
        "%Y-%m-%d %H:%M"
    )


def test_suspended_display_is_never_displayed_to_buyers(client):
    """Symptom: "displayed to buyers" while display was suspended (MS-3.1.5 ③)."""
    vendor = ops_vendor("5000.00")
    AppliedMeasure.objects.create(
        vendor=vendor,
        kind=MeasureKind.SUSPEND_DISPLAY,
        cause_type=CauseType.DEPOSIT_TOPUP,
        cause_id="1",
        starts_at=timezone.now() - dt.timedelta(hours=1),
        reason="MS-3.1.5 ③",
    )
    vendor_state_recompute(vendor_ids=[vendor.pk], actor=None, reason="test")
    home = home_figures(client, vendor)
    assert home["store-display"] != "Displayed to buyers"
    page = client.get(reverse("vendor:restrictions")).content.decode()
    assert "MS-3.1.5 ③" in page and "Topping the deposit up" in page


def test_orders_panel_numbers_are_shown_in_chinese(client):
    """Symptom: "个订单进行中 / 个退款申请待您处理" with no number before them."""
    vendor = ops_vendor("5000.00")
    make_order(vendor=vendor, paid_at=timezone.now() - dt.timedelta(hours=1))
    response = vendor_client(client, vendor, "zh-hans").get(reverse("vendor:home"))
    shown = figures(response.content)
    assert re.match(r"^\d+ 个订单进行中$", shown["orders-unfinished"]), shown["orders-unfinished"]
    assert shown["refunds-awaiting"] == "0 个退款申请待您处理"


def test_ms_4_2_delivery_failure_clock_counts_calendar_days(client):
    vendor = ops_vendor("5000.00")
    order = make_order(vendor=vendor, kind="saas", paid_at=timezone.now() - dt.timedelta(days=9))
    now = timezone.now()
    DeliveryFailure.objects.create(
        order=order,
        vendor=vendor,
        product=order.product,
        failed_at=now - dt.timedelta(days=8, hours=1),
        reason="x",
    )
    (clock,) = delivery_failure_clocks(vendor, at=now)
    assert clock.day == 9 and clock.stage == "hidden_all"  # past day 7, before day 30
    home = home_figures(client, vendor)
    assert home["saas-day"] == "day 9 of 7 / 30"


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["vendor:home", "vendor:restrictions", "vendor:inbox"])
def test_pages_cost_the_same_queries_for_one_row_or_many(client, url_name):
    """Issue 13 quality: a fixed number of queries (measures, refunds, failures, notices)."""
    from tests.compliance.test_inbox import make_notice

    vendor = ops_vendor("5000.00")
    vendor_client(client, vendor)
    now = timezone.now()

    def add_rows(n: int) -> None:
        for i in range(n):
            order = make_order(vendor=vendor, kind="saas", paid_at=now - dt.timedelta(days=3))
            _counted_refund(order, now - dt.timedelta(days=1, minutes=i))
            DeliveryFailure.objects.create(
                order=order, vendor=vendor, product=order.product, failed_at=now, reason="x"
            )
            AppliedMeasure.objects.create(
                vendor=vendor,
                product=order.product,
                kind=MeasureKind.HIDE_PRODUCT,
                cause_type=CauseType.SAAS_DELIVERY,
                cause_id=str(order.pk),
                starts_at=now - dt.timedelta(hours=1),
                reason="MS-4.2",
            )
            make_notice(vendor, rule_id="MS-4.2")

    add_rows(1)
    url = reverse(url_name)
    _queries(client, url)  # warm the per-process caches (content types, calendar)
    one = _queries(client, url)
    add_rows(4)
    assert _queries(client, url) == one
