"""Invoices in the admin, with the red-letter work queue (MS-5.5 ②)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from marketplace.history_admin import SimpleHistoryAdmin
from orders.admin.display import money, readable_fields
from orders.admin.forms import InvoiceNumberForm, RedLetterFormForm
from orders.admin.search import OrderIdSearchMixin
from orders.admin.transitions import TransitionAction, TransitionActionsMixin
from orders.models import Invoice
from orders.services import (
    invoice_deliver,
    invoice_issue,
    invoice_issue_red,
    invoice_mark_certified,
    invoice_record_red_letter_form,
)


class RedLetterQueueFilter(admin.SimpleListFilter):
    title = _("red-letter work")
    parameter_name = "red_letter"

    def lookups(self, request: HttpRequest, model_admin: Any):
        return [
            ("form", _("Needs a red-letter form")),
            ("red", _("Needs the red invoice")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "form":
            return queryset.filter(status=Invoice.Status.RED_LETTER_REQUIRED)
        if self.value() == "red":
            return queryset.filter(status=Invoice.Status.RED_LETTER_FORM_RECORDED)
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(OrderIdSearchMixin, TransitionActionsMixin, SimpleHistoryAdmin):
    own_id_fields = ("external_id", "number")
    list_display = [
        "__str__",
        "order",
        "vendor",
        "direction",
        "invoice_type",
        "amount_cny",
        "status",
        "refund_handling",
        "issued_on",
    ]
    list_select_related = ["order", "vendor"]
    list_filter = [RedLetterQueueFilter, "status", "direction", "invoice_type", "refund_handling"]
    search_fields = [
        "number__exact",
        "order__external_id__exact",
        "order__buyer_account_id__exact",
        "external_id__exact",
    ]
    show_full_result_count = False
    transition_actions = [
        TransitionAction(
            "issue",
            _("Record the issued invoice"),
            "issue",
            lambda i, u, d: invoice_issue(
                invoice=i, number=d["number"], issued_on=d["issued_on"], actor=u, reason=d["reason"]
            ),
            form_class=InvoiceNumberForm,
        ),
        TransitionAction(
            "deliver",
            _("Mark delivered to the recipient"),
            "deliver",
            lambda i, u, d: invoice_deliver(invoice=i, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "certify",
            _("Mark certified for tax deduction"),
            None,
            lambda i, u, d: invoice_mark_certified(invoice=i, actor=u, reason=d["reason"]),
            permission="orders.process_invoice",
        ),
        TransitionAction(
            "record_red_letter_form",
            _("Record the red-letter information form (MS-5.5 ②)"),
            "record_red_letter_form",
            lambda i, u, d: invoice_record_red_letter_form(
                invoice=i, form_number=d["form_number"], actor=u, reason=d["reason"]
            ),
            form_class=RedLetterFormForm,
        ),
        TransitionAction(
            "issue_red",
            _("Record the red invoice (reverses it)"),
            "issue_red_invoice",
            lambda i, u, d: invoice_issue_red(
                invoice=i, number=d["number"], issued_on=d["issued_on"], actor=u, reason=d["reason"]
            ),
            form_class=InvoiceNumberForm,
        ),
    ]

    amount_cny = money(Invoice, "amount")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an issued invoice is never deleted: it is reversed


# The record's page: money as money and times in China time (issue 12 §2).
InvoiceAdmin.fields = readable_fields(InvoiceAdmin, Invoice)
