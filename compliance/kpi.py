"""The figures the vendor home page and the admin both show (issue 13: one selector per figure,
so the two never disagree): the MS-5.8 refund rate and its trend, the MS-4.2 delivery-failure
clocks, the measures in force explained ("why am I restricted").

Every function is scoped to one vendor and costs a fixed number of queries.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import AppliedMeasure, CauseType, MeasureKind, RuleSetting
from compliance.models.measures import ONE_SHOT_KINDS
from compliance.sweep.refund_rate import rate_percent, refund_rate_rows
from marketplace.timeutils import CHINA_TZ, china_date, end_of_day
from orders.models import DeliveryFailure, Order, Refund

# --- MS-5.8 refund rate -----------------------------------------------------------------------


@dataclass(frozen=True)
class RefundRateKpi:
    """MS-5.8 over the window `(start, end]`, as the sweep's rule computes it
    (`refund_rate_rows`, the same query): counted refunds / paid orders, strict threshold."""

    start: dt.datetime
    end: dt.datetime
    window_days: int
    paid: int
    refunded: int
    threshold: Decimal
    min_orders: int
    eligible: bool  # the vendor's effective marketing eligibility (measures in force)
    improve_by: dt.datetime | None  # MS-5.8: 30 days from the refund-rate measure's start

    @property
    def rate(self) -> Decimal | None:
        """Percent with 4 places, None without enough paid orders (no rate, nothing decided)."""
        if self.paid == 0 or self.paid < self.min_orders:
            return None
        return rate_percent(self.paid, self.refunded)

    @property
    def above(self) -> bool:
        # MS-5.8: "exceeds 1%": exactly the threshold is not above.
        return self.rate is not None and self.rate > self.threshold

    @property
    def rate_shown(self) -> str:
        """Two places, as the dashboard and the admin print it ("—" without a rate)."""
        rate = self.rate
        return "—" if rate is None else f"{rate.quantize(Decimal('0.01'))}%"


def refund_rate_kpi(vendor: Any, *, at: dt.datetime | None = None) -> RefundRateKpi:
    """MS-5.8 for one vendor at `at` (default now): three queries."""
    at = at or timezone.now()
    setting = RuleSetting.in_force(at)
    start = at - dt.timedelta(days=setting.refund_window_days)
    paid, refunded = refund_rate_rows(start=start, end=at, vendor_ids=[vendor.pk]).get(
        vendor.pk, (0, 0)
    )
    measure = (
        AppliedMeasure.objects.in_force(at)
        .filter(
            vendor_id=vendor.pk,
            kind=MeasureKind.MARKETING_INELIGIBLE,
            cause_type=CauseType.REFUND_RATE,
        )
        .order_by("starts_at")
        .only("starts_at")
        .first()
    )
    improve_by = (
        measure.starts_at + dt.timedelta(days=setting.refund_improvement_days) if measure else None
    )
    return RefundRateKpi(
        start=start,
        end=at,
        window_days=setting.refund_window_days,
        paid=paid,
        refunded=refunded,
        threshold=setting.refund_rate_threshold,
        min_orders=setting.refund_min_orders,
        eligible=bool(vendor.marketing_eligible),
        improve_by=improve_by,
    )


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    paid: int  # orders paid that China day
    window_paid: int  # the MS-5.8 window ending that day (end of day; today: now)
    window_refunded: int
    rate: Decimal | None


def refund_rate_trend(vendor: Any, *, kpi: RefundRateKpi, days: int = 90) -> list[TrendPoint]:
    """Per China day of the last `days` up to `kpi.end`: orders paid that day and the MS-5.8
    rolling rate of the window ending at the end of that day. Today's window ends at
    `kpi.end`: its figures are the KPI's own, so the chart's last point and the card agree.

    Two queries whatever the number of orders: paid orders grouped by China day (index
    order_vendor_paid) and the counted refunds of the span (index refund_rate_counting),
    distinct per order in each window exactly as the rule counts.
    """
    at, window_days = kpi.end, kpi.window_days
    today = china_date(at)
    first = today - dt.timedelta(days=days - 1)
    span_start = end_of_day(first - dt.timedelta(days=window_days + 1))
    daily = dict(
        Order.objects.filter(vendor_id=vendor.pk, paid_at__gt=span_start, paid_at__lte=at)
        .annotate(day=TruncDate("paid_at", tzinfo=CHINA_TZ))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    refunds = list(
        Refund.objects.filter(
            vendor_id=vendor.pk,
            status=Refund.Status.REFUNDED,
            counts_against_vendor=True,
            refunded_at__gt=span_start,
            refunded_at__lte=at,
        ).values_list("order_id", "refunded_at")
    )
    # An order counts once per window however many counted refunds it has (as the rule's
    # COUNT(DISTINCT order_id)): orders with one refund are summed per day, the rare ones
    # with several are checked window by window.
    times: dict[int, list[dt.datetime]] = {}
    for order_id, when in refunds:
        times.setdefault(order_id, []).append(when)
    single_daily: dict[dt.date, int] = {}
    several = []
    for order_id_times in times.values():
        if len(order_id_times) == 1:
            day = china_date(order_id_times[0])
            single_daily[day] = single_daily.get(day, 0) + 1
        else:
            several.append(order_id_times)
    points = []
    paid_counts, refund_counts = _DayCounts(daily), _DayCounts(single_daily)
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        if day == today:
            points.append(TrendPoint(day, daily.get(day, 0), kpi.paid, kpi.refunded, kpi.rate))
            continue
        end = end_of_day(day)
        start = end - dt.timedelta(days=window_days)
        window_paid = paid_counts.between(start, end)
        window_refunded = refund_counts.between(start, end) + sum(
            1 for whens in several if any(start < when <= end for when in whens)
        )
        rate = (
            rate_percent(window_paid, window_refunded)
            if window_paid and window_paid >= kpi.min_orders
            else None
        )
        points.append(TrendPoint(day, daily.get(day, 0), window_paid, window_refunded, rate))
    return points


class _DayCounts:
    """Per-day counts summed over runs of whole China days by prefix sums: the trend asks
    for 90 windows of 30 days, which summing the dict each time made 90 × 120 steps."""

    def __init__(self, daily: dict[dt.date, int]) -> None:
        self.days = sorted(daily)
        self.running = list(itertools.accumulate((daily[d] for d in self.days), initial=0))

    def between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Rows in (start, end], `start` and `end` being ends of China days: the whole days
        after `start`'s day up to `end`'s."""
        first = china_date(start) + dt.timedelta(days=1)
        last = china_date(end)
        lo, hi = bisect.bisect_left(self.days, first), bisect.bisect_right(self.days, last)
        return self.running[hi] - self.running[lo] if hi > lo else 0


# --- MS-4.2 delivery-failure clocks ----------------------------------------------------------


@dataclass(frozen=True)
class FailureClock:
    failure: DeliveryFailure
    day: int  # day N since the failure (day 1 = the first 24 hours)
    hide_all_days: int
    delist_all_days: int
    hide_all_at: dt.datetime
    delist_all_at: dt.datetime

    @property
    def stage(self) -> str:
        if self.day > self.delist_all_days:
            return "delisted"
        if self.day > self.hide_all_days:
            return "hidden_all"
        return "hidden"


def delivery_failure_clocks(vendor: Any, *, at: dt.datetime | None = None) -> list[FailureClock]:
    """The vendor's unrepaired SaaS delivery failures with their MS-4.2 escalation clock:
    calendar days from the failure (RULES ASSUMPTION), 7 then 30 (settings). Two queries."""
    at = at or timezone.now()
    setting = RuleSetting.in_force(at)
    hide, delist = setting.saas_hide_all_days, setting.saas_delist_all_days
    failures = DeliveryFailure.objects.filter(
        vendor_id=vendor.pk, repaired_at__isnull=True
    ).select_related("product", "order")
    return [
        FailureClock(
            failure=f,
            day=int((at - f.failed_at) // dt.timedelta(days=1)) + 1,
            hide_all_days=hide,
            delist_all_days=delist,
            hide_all_at=f.failed_at + dt.timedelta(days=hide),
            delist_all_at=f.failed_at + dt.timedelta(days=delist),
        )
        for f in failures.order_by("failed_at", "pk")[:50]
    ]


# --- measures explained ("why am I restricted") ---------------------------------------------

RULE_OF_CAUSE = {
    CauseType.PENALTY: "MS-7",
    CauseType.DEPOSIT_TOPUP: "MS-3.1.5 ③",
    CauseType.SAAS_DELIVERY: "MS-4.2",
    CauseType.REFUND_RATE: "MS-5.8",
    CauseType.MANUAL: "MS-7",
}
LIFTED_BY = {
    CauseType.PENALTY: _("Ends on its end date, or when the penalty case is revoked on appeal."),
    CauseType.DEPOSIT_TOPUP: _("Topping the deposit up until it is whole lifts it (MS-3.1.5 ③)."),
    CauseType.SAAS_DELIVERY: _(
        "Repairing every SaaS delivery failure lifts it; delisted products are listed again "
        "only through security review (MS-4.2)."
    ),
    CauseType.REFUND_RATE: _(
        "The first evaluation after the improvement deadline that finds the refund rate at or "
        "below the threshold restores eligibility (MS-5.8)."
    ),
    CauseType.MANUAL: _("A platform reviewer lifts it."),
}
ONE_SHOT_NOTE = _("Carried out once: lifting it does not undo it.")


@dataclass(frozen=True)
class MeasureExplained:
    measure: AppliedMeasure
    rule_id: str
    scope: Any  # "vendor", "store" or the product's title
    cause: Any
    cause_url: str
    lifted_by: Any


def measures_explained(vendor: Any, *, at: dt.datetime | None = None) -> list[MeasureExplained]:
    """Every measure in force on the vendor, its store or a product, with the rule, the cause
    (linked to the vendor's own page of it), start, end and what lifts it. One query."""
    at = at or timezone.now()
    measures = (
        AppliedMeasure.objects.in_force(at)
        .filter(vendor_id=vendor.pk)
        .select_related("product", "penalty_case__violation_version")
        .order_by("starts_at", "pk")
    )
    store_kinds = {
        MeasureKind.SHIELD_STORE,
        MeasureKind.SUSPEND_DISPLAY,
        MeasureKind.SUSPEND_TRADING,
        MeasureKind.CLOSE_STORE,
    }
    rows = []
    for m in measures:
        case = m.penalty_case
        if m.cause_type == CauseType.PENALTY and case is not None:
            cause = _("Penalty case %(ref)s: %(violation)s") % {
                "ref": case.reference,
                "violation": case.violation_version.name(),
            }
            url = reverse("vendor:compliance_case", args=[case.pk])
        elif m.cause_type == CauseType.DEPOSIT_TOPUP:
            cause, url = _("Deposit not topped up in time"), reverse("vendor:deposit")
        elif m.cause_type == CauseType.SAAS_DELIVERY:
            cause, url = _("SaaS delivery failure not repaired"), reverse("vendor:home") + "#saas"
        elif m.cause_type == CauseType.REFUND_RATE:
            cause, url = _("Refund rate above the threshold"), reverse("vendor:home") + "#kpi"
        else:
            cause, url = _("Decided by a platform reviewer"), ""
        if m.product_id:
            scope = m.product.title
        elif m.kind in store_kinds:
            scope = _("Store")
        else:
            scope = _("Vendor")
        lifted_by = ONE_SHOT_NOTE if m.kind in ONE_SHOT_KINDS else LIFTED_BY[m.cause_type]
        rows.append(MeasureExplained(m, RULE_OF_CAUSE[m.cause_type], scope, cause, url, lifted_by))
    return rows
