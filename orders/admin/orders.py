"""Orders and SaaS delivery failures in the admin: searchable, read-only, actions by service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.admin_lists import ScaledListMixin
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import ZERO, to_money
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


class RefundInline(admin.TabularInline):
    model = Refund
    fields = ["external_id", "reason", "amount_requested", "approved_amount", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryFailureInline(admin.TabularInline):
    model = DeliveryFailure
    fields = ["failed_at", "reason", "repaired_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ScaledListMixin, TransitionActionsMixin, SimpleHistoryAdmin):
    list_display = [
        "external_id",
        "buyer_account_id",
        "vendor",
        "product",
        "kind",
        "amount",
        "refunded_total",
        "status",
        "paid_at",
        "review_period_ends_at",
    ]
    list_select_related = ["vendor", "product"]
    # Fixed-choice filters only, no date hierarchy (each would scan 2,000,000 orders for its
    # choices); "paid at" offers fixed ranges served by the (paid_at, id) index.
    list_filter = ["status", "kind", "sales_mode", ReviewPeriodFilter, ChannelFilter, "paid_at"]
    # Exact lookups use the indexes; "=field" would compare UPPER(field) and read every row.
    search_fields = ["external_id__exact", "buyer_account_id__exact"]
    inlines = [RefundInline, DeliveryFailureInline]
    fieldsets = [
        (None, {"fields": ["channel", "external_id", "buyer_account_id", "status"]}),
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
                    "unit_price",
                    "billing_period",
                    "service_fee_rate",
                    "amount",
                    "discount_amount",  # MS-2.7: below the list price only with a reason
                    "discount_reason",
                    "paid_at",
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
                    "review_period_ends_at",
                    "review_period_closed",
                ]
            },
        ),
        (
            _("Progress"),
            {
                "fields": [
                    "delivered_at",
                    "service_confirmed_at",
                    "completed_at",
                    "settled_at",
                    "settled_amount",
                    "created_by",
                    "created_at",
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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Order._meta.fields]

    @admin.display(description=_("refunded"))
    def refunded_total(self, obj: Order):
        refunded = getattr(obj, "refunded", None)
        if refunded is None:  # the change page: this one order
            refunded = obj.refunds.filter(status=Refund.Status.REFUNDED).aggregate(
                total=Sum("approved_amount")
            )["total"]
        return to_money(refunded or ZERO)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the storefront creates orders through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeliveryFailure)
class DeliveryFailureAdmin(SimpleHistoryAdmin):
    list_display = ["order", "vendor", "product", "failed_at", "repaired_at"]
    list_select_related = ["order", "vendor", "product"]
    list_filter = [("repaired_at", admin.EmptyFieldListFilter), "failed_at"]
    search_fields = ["order__external_id__exact", "vendor__name"]
    readonly_fields = ["order", "vendor", "product", "failed_at", "reason", "repaired_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
