"""Refunds in the admin: the arbitration queue, with the amount's inputs shown beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.history_admin import SimpleHistoryAdmin
from orders.admin.forms import ApproveRefundForm
from orders.admin.orders import ReviewPeriodFilter
from orders.admin.search import OrderIdSearchMixin
from orders.admin.transitions import ReasonForm, TransitionAction, TransitionActionsMixin
from orders.models import Clawback, Refund, VendorRefundTerms
from orders.services import (
    clawback_deduct_from_deposit,
    clawback_mark_netted,
    refund_approve,
    refund_mark_refunded,
    refund_open_arbitration,
    refund_reject,
    vendor_terms_approve,
    vendor_terms_reject,
    vendor_terms_submit,
)


class OrderReviewPeriodFilter(ReviewPeriodFilter):
    """Whether the order's review period has passed now (MS-2.8)."""

    title = _("order's review period")
    field_prefix = "order__"


class AgeFilter(admin.SimpleListFilter):
    """How long the request has been waiting."""

    title = _("age")
    parameter_name = "age"
    DAYS = {"3": 3, "7": 7, "15": 15, "30": 30}

    def lookups(self, request: HttpRequest, model_admin: Any):
        return [(k, _("Older than %(n)s days") % {"n": v}) for k, v in self.DAYS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        days = self.DAYS.get(self.value() or "")
        if days is None:
            return queryset
        return queryset.filter(requested_at__lt=timezone.now() - dt.timedelta(days=days))


def _approve(refund: Refund, user: Any, data: dict[str, Any]) -> Refund:
    return refund_approve(
        refund=refund,
        actor=user,
        reason=data["reason"],
        amount=data.get("amount"),
        platform_ground=data.get("platform_ground") or "",
        full_refund_case=data.get("full_refund_case") or "",
        compensation=data.get("compensation"),
        consumed=data.get("consumed"),
    )


@admin.register(Refund)
class RefundAdmin(OrderIdSearchMixin, TransitionActionsMixin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "vendor",
        "reason",
        "counts_against_vendor",
        "amount_requested",
        "computed_amount",
        "approved_amount",
        "basis",
        "in_review_period",
        "status",
        "requested_at",
        "age_days",
    ]
    list_select_related = ["order", "vendor"]
    list_filter = [
        "status",
        OrderReviewPeriodFilter,
        "in_review_period",
        AgeFilter,
        "reason",
        "counts_against_vendor",
    ]
    search_fields = [
        "order__external_id__exact",
        "order__buyer_account_id__exact",
        "external_id__exact",
    ]
    show_full_result_count = False
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order",
                    "vendor",
                    "external_id",
                    "status",
                    "reason",
                    "counts_against_vendor",
                    "amount_requested",
                    "description",
                    "evidence",
                    "requested_at",
                ]
            },
        ),
        (
            _("Why this amount"),
            {
                "fields": [
                    "basis",
                    "computed_amount",
                    "approved_amount",
                    "paid_amount",
                    "already_refunded",
                    "review_rule",
                    "in_review_period",
                    "consumed_fraction",
                    "compensation",
                    "platform_ground",
                    "full_refund_case",
                    "vendor_terms",
                    "vendor_terms_percent",
                ]
            },
        ),
        (
            _("Decision"),
            {
                "fields": [
                    "vendor_note",
                    "decision_reason",
                    "decided_by",
                    "decided_at",
                    "refunded_at",
                ]
            },
        ),
    ]
    transition_actions = [
        TransitionAction(
            "open_arbitration",
            _("Take up for arbitration"),
            "open_arbitration",
            lambda r, u, d: refund_open_arbitration(refund=r, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "approve", _("Approve the refund"), "approve", _approve, form_class=ApproveRefundForm
        ),
        TransitionAction(
            "reject",
            _("Reject the refund"),
            "reject",
            lambda r, u, d: refund_reject(refund=r, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "mark_refunded",
            _("Mark as refunded to the buyer"),
            "mark_refunded",
            lambda r, u, d: refund_mark_refunded(refund=r, actor=u, reason=d["reason"]),
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Refund._meta.fields]

    @admin.display(description=_("age (days)"), ordering="requested_at")
    def age_days(self, obj: Refund) -> int:
        return (timezone.now() - obj.requested_at).days

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # buyers ask through the storefront API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VendorRefundTerms)
class VendorRefundTermsAdmin(TransitionActionsMixin, SimpleHistoryAdmin):
    list_display = ["vendor", "product", "refund_percent", "effective_from", "status"]
    list_select_related = ["vendor", "product"]
    list_filter = ["status"]
    search_fields = ["vendor__name"]
    raw_id_fields = ["vendor", "product"]
    readonly_fields = ["status", "decided_by", "decided_at", "decision_note"]
    transition_actions = [
        TransitionAction(
            "approve_terms",
            _("Approve the terms (MS-5.7.2 written approval)"),
            "approve",
            lambda t, u, d: vendor_terms_approve(terms=t, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "reject_terms",
            _("Reject the terms"),
            "reject",
            lambda t, u, d: vendor_terms_reject(terms=t, actor=u, reason=d["reason"]),
        ),
    ]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: VendorRefundTerms, form: Any, change: bool):
        # Terms are recorded through the service (validation, history), never edited after.
        terms = vendor_terms_submit(
            vendor=obj.vendor,
            product=obj.product,
            text=obj.text,
            refund_percent=obj.refund_percent,
            effective_from=obj.effective_from,
            actor=request.user,
        )
        obj.pk = terms.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Clawback)
class ClawbackAdmin(OrderIdSearchMixin, TransitionActionsMixin, SimpleHistoryAdmin):
    own_id_fields = ()
    contains_fields = ("vendor__name",)
    list_display = ["vendor", "order", "refund", "amount", "status", "created_at"]
    list_select_related = ["vendor", "order", "refund__order"]
    list_filter = ["status"]
    search_fields = ["order__external_id__exact", "vendor__name"]
    transition_actions = [
        TransitionAction(
            "deduct_deposit",
            _("Deduct from the deposit (MS-3.1.5 ②)"),
            "mark_deducted",
            lambda c, u, d: clawback_deduct_from_deposit(clawback=c, actor=u, reason=d["reason"]),
            form_class=ReasonForm,
        ),
        TransitionAction(
            "mark_netted",
            _("Netted off the next settlement"),
            "mark_netted",
            lambda c, u, d: clawback_mark_netted(clawback=c, actor=u, reason=d["reason"]),
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Clawback._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
