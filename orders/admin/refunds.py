"""Refunds in the admin: the arbitration queue, with the amount's inputs shown beside it, and
the decision pages that show the facts of the decision (issue 12 §3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.admin_actions import ReasonForm
from marketplace.history_admin import SimpleHistoryAdmin
from orders.admin.decision import refund_decision
from orders.admin.display import (
    EMPTY,
    TIMES_NOTE,
    bullet_list,
    china_time,
    cny,
    money,
    percent,
    readable_fields,
)
from orders.admin.forms import ApproveRefundForm, approve_inputs
from orders.admin.orders import ReviewPeriodFilter
from orders.admin.search import OrderIdSearchMixin
from orders.admin.transitions import TransitionAction, TransitionActionsMixin
from orders.models import Clawback, Refund, VendorRefundTerms
from orders.selectors import refund_decision_facts, refund_evidence
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
        **approve_inputs(data),
    )


@admin.register(Refund)
class RefundAdmin(OrderIdSearchMixin, TransitionActionsMixin, SimpleHistoryAdmin):
    # Issue 12 §2: the columns an arbitrator works by first (state, when asked, how long it
    # waits, the money, the order, the vendor) and nothing else, so they fit beside the
    # filters at 1440 px; the reason is a filter and on the record's page.
    list_display = [
        "refund_column",
        "status",
        "requested_at_china",
        "waiting_days",
        "amount_column",
        "vendor",
    ]
    list_display_links = ["refund_column"]
    list_select_related = ["order", "vendor"]
    list_filter = [
        "status",
        OrderReviewPeriodFilter,
        "in_review_period",
        AgeFilter,
        "reason_code",
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
                "description": TIMES_NOTE,
                "fields": [
                    "order",
                    "vendor",
                    "external_id",
                    "status",
                    "reason_code",
                    "counts_against_vendor",
                    "amount_requested_cny",
                    "description",
                    "evidence_list",
                    "requested_at_china",
                ],
            },
        ),
        (
            _("Why this amount"),
            {
                "fields": [
                    "basis",
                    "computed_amount_cny",
                    "approved_amount_cny",
                    "paid_amount_cny",
                    "already_refunded_cny",
                    "review_rule",
                    "in_review_period",
                    "consumed_fraction_percent",
                    "compensation_cny",
                    "platform_ground",
                    "full_refund_case",
                    "vendor_terms",
                    "vendor_terms_percent_text",
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
                    "decided_at_china",
                    "refunded_at_china",
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
            danger=True,
        ),
        TransitionAction(
            "mark_refunded",
            _("Mark as refunded to the buyer"),
            "mark_refunded",
            lambda r, u, d: refund_mark_refunded(refund=r, actor=u, reason=d["reason"]),
        ),
    ]

    amount_requested_cny = money(Refund, "amount_requested", _("amount asked"))
    computed_amount_cny = money(Refund, "computed_amount", _("amount due by the rules"))
    approved_amount_cny = money(Refund, "approved_amount", _("amount approved"))
    paid_amount_cny = money(Refund, "paid_amount")
    already_refunded_cny = money(Refund, "already_refunded")
    compensation_cny = money(Refund, "compensation")
    consumed_fraction_percent = percent(Refund, "consumed_fraction", _("consumed share"))
    vendor_terms_percent_text = percent(Refund, "vendor_terms_percent", scale=1)
    requested_at_china = china_time(Refund, "requested_at")
    decided_at_china = china_time(Refund, "decided_at")
    refunded_at_china = china_time(Refund, "refunded_at")

    class Media:
        css = {"all": ["orders/admin.css"]}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return flatten_fieldsets(self.fieldsets)

    @admin.display(description=_("order / refund request"), ordering="requested_at")
    def refund_column(self, obj: Refund):
        # The order is what people know a refund by; the request's own ID below it.
        return format_html(
            '{}<br><span class="quiet">{}</span>', obj.order.external_id, obj.external_id
        )

    @admin.display(description=_("amount asked"), ordering="amount_requested")
    def amount_column(self, obj: Refund):
        """What the buyer asked and, when it differs, what is approved or due by the rules."""
        asked = cny(obj.amount_requested)
        if obj.approved_amount is not None:
            label, other = _("approved"), obj.approved_amount
        else:
            label, other = _("due by the rules"), obj.computed_amount
        if other == obj.amount_requested:
            return asked
        return format_html(
            '<span class="money">{}</span><br><span class="quiet">{} <span class="money">{}</span>'
            "</span>",
            asked,
            label,
            cny(other),
        )

    @admin.display(description=_("waiting (days)"), ordering="requested_at")
    def waiting_days(self, obj: Refund) -> int | str:
        if obj.status in (Refund.Status.REJECTED, Refund.Status.REFUNDED):
            return EMPTY  # nothing waits any more
        return (timezone.now() - obj.requested_at).days

    @admin.display(description=_("evidence"))
    def evidence_list(self, obj: Refund):
        return bullet_list([(item.text, item.url) for item in refund_evidence(obj)])

    def decision_context(self, request, obj, spec, form):
        inputs = {}
        if form is not None and hasattr(form, "cleaned_data"):
            inputs = approve_inputs(form.cleaned_data)
        return refund_decision(obj, spec.name, refund_decision_facts(obj, **inputs))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # buyers ask through the storefront API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VendorRefundTerms)
class VendorRefundTermsAdmin(TransitionActionsMixin, SimpleHistoryAdmin):
    list_display = [
        "vendor",
        "product",
        "refund_percent_text",
        "effective_from_china",
        "status",
    ]
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

    refund_percent_text = percent(VendorRefundTerms, "refund_percent", scale=1)
    effective_from_china = china_time(VendorRefundTerms, "effective_from")
    decided_at_china = china_time(VendorRefundTerms, "decided_at")
    SHOWN = [
        "vendor",
        "product",
        "text",
        "refund_percent_text",
        "effective_from_china",
        "status",
        "decided_by",
        "decided_at_china",
        "decision_note",
    ]

    def get_fields(self, request: HttpRequest, obj: Any = None):
        # Recorded terms are shown, never edited: readable values instead of the form's.
        return self.SHOWN if obj is not None else super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return self.SHOWN if obj is not None else super().get_readonly_fields(request, obj)

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
    list_display = ["vendor", "order", "refund", "amount_cny", "status", "created_at_china"]
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

    amount_cny = money(Clawback, "amount")
    created_at_china = china_time(Clawback, "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.fields

    @admin.display(description=_("deposit ledger entry"))
    def deposit_entry_link(self, obj: Clawback):
        """The vendors' ledger row the deduction wrote: a link, not `ledger:<id>`."""
        if obj.deposit_entry_id is None:
            return EMPTY
        url = reverse("admin:vendors_depositentry_change", args=[obj.deposit_entry_id])
        return format_html('<a href="{}">#{}</a>', url, obj.deposit_entry_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The record's page: money as money, times in China time, the ledger entry as a link.
ClawbackAdmin.fields = [
    "deposit_entry_link" if name == "deposit_entry_id" else name
    for name in readable_fields(ClawbackAdmin, Clawback)
]
