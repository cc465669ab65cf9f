"""Compliance's panels on the vendor home page (issue 13), registered through
`vendors.dashboard.register_panel`: the MS-5.8 refund rate with its 90-day trend, the MS-4.2
delivery-failure clocks and the open penalty cases (MS-7). Each is scoped to the vendor and
costs a fixed number of queries; the figures come from `compliance.kpi`, which the admin's
vendor page uses too.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from compliance.charts import trend_chart_uri
from compliance.kpi import delivery_failure_clocks, refund_rate_kpi, refund_rate_trend
from compliance.models import CaseStatus
from compliance.selectors import OPEN_STATUSES, cases_for_vendor
from vendors.dashboard import Panel

TREND_DAYS = 90


def kpi_panel(request: HttpRequest, vendor: Any) -> Panel | None:
    """MS-5.8: the rate of the 30-day window, the threshold, eligibility, the improvement
    deadline, and the 90-day trend as an SVG chart with the same figures in a table."""
    if vendor is None:
        return None
    now = timezone.now()
    kpi = refund_rate_kpi(vendor, at=now)  # 3 queries
    points = refund_rate_trend(vendor, kpi=kpi, days=TREND_DAYS)  # 2 queries
    return Panel(
        template="compliance/panels/kpi.html",
        context={
            "kpi": kpi,
            "points": points,
            "table_points": list(reversed(points)),
            "chart": trend_chart_uri(points, threshold=kpi.threshold),
            "days": TREND_DAYS,
        },
        order=15,
    )


def saas_panel(request: HttpRequest, vendor: Any) -> Panel | None:
    """MS-4.2: each unrepaired SaaS delivery failure and its escalation clock (day N of 7 / 30)."""
    if vendor is None:
        return None
    return Panel(
        template="compliance/panels/saas.html",
        context={"clocks": delivery_failure_clocks(vendor)},
        order=35,
    )


def cases_panel(request: HttpRequest, vendor: Any) -> Panel | None:
    """Open penalty cases (MS-7) and whether the vendor may still appeal them."""
    if vendor is None:
        return None
    cases = list(
        cases_for_vendor(user=request.user)
        .filter(status__in=OPEN_STATUSES)
        .order_by("-occurred_at", "-pk")[:20]
    )
    return Panel(
        template="compliance/panels/cases.html",
        context={"cases": cases, "appealable": CaseStatus.APPLIED},
        order=40,
    )


def unread_badge(request: HttpRequest) -> int:
    """The unread count shown beside "Notifications" in the vendor navigation (one query)."""
    from django.core.exceptions import PermissionDenied

    from compliance.sweep.selectors import unread_count

    try:
        return unread_count(user=request.user)
    except PermissionDenied:  # not vendor staff: no inbox
        return 0


def refund_rate_admin_figure(vendor: Any) -> Any:
    """The vendor admin page's MS-5.8 line: the same `refund_rate_kpi` as the home page."""
    from django.utils.html import format_html
    from django.utils.translation import gettext as _

    kpi = refund_rate_kpi(vendor)
    return format_html(
        '<span data-figure="refund-rate">{}</span> ({}) · {} <span data-figure="refund-threshold">'
        '{}%</span> · <span data-figure="marketing-eligible">{}</span>',
        kpi.rate_shown,
        _("%(r)s counted refunds / %(p)s paid orders, %(n)s days")
        % {"r": kpi.refunded, "p": kpi.paid, "n": kpi.window_days},
        _("threshold"),
        kpi.threshold,
        _("Eligible") if kpi.eligible else _("Not eligible"),
    )


def register() -> None:
    from django.utils.translation import gettext_lazy

    from vendors import dashboard
    from vendors.admin import figures

    figures.register("refund_rate", gettext_lazy("Refund rate (MS-5.8)"), refund_rate_admin_figure)
    dashboard.register_panel("compliance_kpi", kpi_panel)
    dashboard.register_panel("compliance_saas", saas_panel)
    dashboard.register_panel("compliance_cases", cases_panel)
    dashboard.register_nav(
        "inbox", gettext_lazy("Notifications"), "vendor:inbox", order=5, badge=unread_badge
    )
    dashboard.register_nav(
        "restrictions", gettext_lazy("Restrictions"), "vendor:restrictions", order=65
    )
