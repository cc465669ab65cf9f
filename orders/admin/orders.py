"""Orders and SaaS delivery failures in the admin: searchable, read-only, actions by service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Specification
from marketplace.admin_lists import ScaledListMixin
from marketplace.admin_readonly import ReadOnlyTabularInline
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import ZERO, format_cny, to_money
from orders.admin.display import TIMES_NOTE, china_time, money, percent
from orders.admin.transitions import TransitionAction, TransitionActionsMixin
from orders.models import DeliveryFailure, Order, Refund
from orders.selectors import review_period_passed_q
from orders.services import order_close, order_complete, order_confirm_service, order_settle


class ReviewPeriodFilter(admin.SimpleListFilter):
    """MS-2.8: whether the review period is still running now."""

    title = _("review period")
    parameter_name = "review_period"

    def lookups(self, request: HttpRequest, model_admin: Any):
        return [("open", _("Still running")), ("passed", _("Passed or none"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        prefix = getattr(self, "field_prefix", "")
        q = review_period_passed_q(timezone.now())
        if prefix:
            q = _prefixed(q, prefix)
        if self.value() == "passed":
            return queryset.filter(q)
        if self.value() == "open":
            return queryset.exclude(q)
        return queryset


def _prefixed(q, prefix: str):
    from django.db.models import Q

    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_prefixed(child, prefix))
        else:
            out.children.append((f"{prefix}{child[0]}", child[1]))
    return out


class ChannelFilter(admin.SimpleListFilter):
    """Sales channels from the service accounts (a few rows), not a DISTINCT over all orders."""

    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any):
        from orders.models import ServiceAccount

        channels = ServiceAccount.objects.order_by("channel").values_list("channel", flat=True)
        return [(c, c) for c in dict.fromkeys(channels)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(channel=self.value()) if self.value() else queryset


class RefundInline(ReadOnlyTabularInline):
    model = Refund
    fields = [
        "external_id",
        "reason_code",
        "status",
        "requested_at_china",
        "amount_requested_cny",
        "approved_amount_cny",
    ]
    readonly_fields = fields
    show_change_link = True

    requested_at_china = china_time(Refund, "requested_at")
    amount_requested_cny = money(Refund, "amount_requested", _("amount asked"))
    approved_amount_cny = money(Refund, "approved_amount", _("amount approved"))


class DeliveryFailureInline(ReadOnlyTabularInline):
    model = DeliveryFailure
    fields = ["failed_at_china", "reason", "repaired_at_china"]
    readonly_fields = fields

    failed_at_china = china_time(DeliveryFailure, "failed_at")
    repaired_at_china = china_time(DeliveryFailure, "repaired_at")


@admin.register(Order)
class OrderAdmin(ScaledListMixin, TransitionActionsMixin, SimpleHistoryAdmin):
    # Key columns first (what state, when paid, how much), so they stay in view at 1440 px.
    list_display = [
        "external_id",
        "status",
        "paid_at_china",
        "amount_cny",
        "refunded_total",
        "vendor",
        "product",
        "kind",
        "buyer_account_id",
        "review_period_ends_at_china",
    ]
    list_select_related = ["vendor", "product"]
    # Fixed-choice filters only, no date hierarchy (each would scan 2,000,000 orders for its
    # choices); "paid at" offers fixed ranges served by the (paid_at, id) index.
    list_filter = ["status", "kind", "sales_mode", ReviewPeriodFilter, ChannelFilter, "paid_at"]
    # Exact lookups use the indexes; "=field" would compare UPPER(field) and read every row.
    search_fields = ["external_id__exact", "buyer_account_id__exact"]
    inlines = [RefundInline, DeliveryFailureInline]
    fieldsets = [
        (
            None,
            {
                "description": TIMES_NOTE,
                "fields": ["channel", "external_id", "buyer_account_id", "status"],
            },
        ),
        (
            _("Purchase (snapshot)"),
            {
                "fields": [
                    "vendor",
                    "product",
                    "specification",
                    "kind",
                    "sales_mode",
                    "saas_delivered",
                    "unit_price_cny",
                    "billing_period_label",
                    "service_fee_rate_percent",
                    "amount_cny",
                    "discount_amount_cny",  # MS-2.7: below the list price only with a reason
                    "discount_reason",
                    "paid_at_china",
                ]
            },
        ),
        (
            _("Review period (MS-2.8)"),
            {
                "fields": [
                    "review_rule",
                    "review_days",
                    "refundable",
                    "review_period_ends_at_china",
                    "review_period_closed",
                ]
            },
        ),
        (
            _("Progress"),
            {
                "fields": [
                    "delivered_at_china",
                    "service_confirmed_at_china",
                    "completed_at_china",
                    "settled_at_china",
                    "settled_amount_cny",
                    "created_by",
                    "created_at_china",
                ]
            },
        ),
    ]
    transition_actions = [
        TransitionAction(
            "confirm_service",
            _("Confirm the service complete (ends the review period)"),
            "confirm_service",
            lambda o, u, d: order_confirm_service(
                order=o, at=timezone.now(), actor=u, reason=d["reason"]
            ),
        ),
        TransitionAction(
            "complete",
            _("Complete the order"),
            "complete",
            lambda o, u, d: order_complete(order=o, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "close",
            _("Close the order"),
            "close",
            lambda o, u, d: order_close(order=o, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "settle",
            _("Record settlement to the vendor (MS-5.6)"),
            None,
            lambda o, u, d: order_settle(order=o, actor=u, reason=d["reason"]),
            permission="orders.settle_order",
        ),
    ]

    def annotate_page(self, objects: Sequence[Order]) -> None:
        # The refunded total of the shown orders only: one grouped query over their refunds.
        totals = dict(
            Refund.objects.filter(
                order_id__in=[o.pk for o in objects], status=Refund.Status.REFUNDED
            )
            .values("order_id")
            .annotate(total=Sum("approved_amount"))
            .values_list("order_id", "total")
        )
        for order in objects:
            order.refunded = to_money(totals.get(order.pk) or ZERO)  # SQLite sums drop places

    amount_cny = money(Order, "amount")
    unit_price_cny = money(Order, "unit_price")
    discount_amount_cny = money(Order, "discount_amount")
    settled_amount_cny = money(Order, "settled_amount")
    service_fee_rate_percent = percent(Order, "service_fee_rate")
    paid_at_china = china_time(Order, "paid_at")
    review_period_ends_at_china = china_time(Order, "review_period_ends_at")
    delivered_at_china = china_time(Order, "delivered_at")
    service_confirmed_at_china = china_time(Order, "service_confirmed_at")
    completed_at_china = china_time(Order, "completed_at")
    settled_at_china = china_time(Order, "settled_at")
    created_at_china = china_time(Order, "created_at")

    class Media:
        css = {"all": ["orders/admin.css"]}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return flatten_fieldsets(self.fieldsets)

    @admin.display(description=_("billing period"), ordering="billing_period")
    def billing_period_label(self, obj: Order) -> str:
        choices = dict(Specification.BillingPeriod.choices)
        return str(choices.get(obj.billing_period, obj.billing_period))

    @admin.display(description=_("refunded"))
    def refunded_total(self, obj: Order) -> str:
        refunded = getattr(obj, "refunded", None)
        if refunded is None:  # the change page: this one order
            refunded = obj.refunds.filter(status=Refund.Status.REFUNDED).aggregate(
                total=Sum("approved_amount")
            )["total"]
        return format_cny(to_money(refunded or ZERO))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the storefront creates orders through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeliveryFailure)
class DeliveryFailureAdmin(SimpleHistoryAdmin):
    list_display = ["order", "vendor", "product", "failed_at_china", "repaired_at_china"]
    list_select_related = ["order", "vendor", "product"]
    list_filter = [("repaired_at", admin.EmptyFieldListFilter), "failed_at"]
    search_fields = ["order__external_id__exact", "vendor__name"]
    fields = ["order", "vendor", "product", "failed_at_china", "reason", "repaired_at_china"]
    readonly_fields = fields

    failed_at_china = china_time(DeliveryFailure, "failed_at")
    repaired_at_china = china_time(DeliveryFailure, "repaired_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
