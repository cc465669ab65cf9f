"""Settlement statements in the admin (MS-2.6, MS-4.5, MS-5.5, MS-5.6): finance's queues,
the statement with its lines (read-only, each linking to its order, refund or clawback), the
transitions on reason pages, and XLSX of a statement or of a month."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.admin_actions import ReasonForm
from marketplace.admin_readonly import ReadOnlyAdminMixin, ReadOnlyTabularInline
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import AmountFormField
from orders.admin.display import EMPTY, TIMES_NOTE, admin_link, china_time, cny, money
from orders.admin.forms import InvoiceNumberForm
from orders.admin.transitions import TransitionAction, TransitionActionsMixin
from orders.models import Statement, StatementAdjustment, StatementLine
from orders.services.settlement import (
    parse_period,
    statement_approve,
    statement_issue,
    statement_issue_fee_invoice,
    statement_mark_paid,
    statement_resolve_dispute,
)
from orders.statement_export import month_workbook, statement_workbook, xlsx_response
from orders.statement_queues import QUEUES
from orders.statement_selectors import statement_lines


class QueueFilter(admin.SimpleListFilter):
    title = _("work queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any):
        return [(key, label) for key, (label, _q) in QUEUES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        entry = QUEUES.get(self.value() or "")
        return queryset.filter(entry[1]) if entry else queryset


class PeriodFilter(admin.SimpleListFilter):
    title = _("month")
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: Any):
        months = Statement.objects.order_by("-period").values_list("period", flat=True).distinct()
        return [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months[:24]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        try:
            return queryset.filter(period=parse_period(self.value()))
        except Exception:
            return queryset.none()


class ResolveDisputeForm(ReasonForm):
    amount = AmountFormField(
        label=_("Adjustment on the next statement (CNY)"),
        required=False,
        help_text=_(
            "Positive: owed to the vendor; negative: owed by it; empty or 0: the claim is "
            "refused. The disputed statement itself is never edited."
        ),
    )


class PaymentForm(ReasonForm):
    reference = forms.CharField(label=_("Payment reference"), max_length=64)


class StatementLineInline(ReadOnlyTabularInline):
    model = StatementLine
    fields = ["kind", "source", "occurred_at_china", "gross", "fee", "net", "fee_invoice_handling"]
    readonly_fields = fields
    verbose_name_plural = _("lines")
    classes = ["no-row-title"]  # the columns say what each line is

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("order", "refund", "clawback", "adjustment__source_statement__vendor")
        )

    @admin.display(description=_("order, refund or clawback"))
    def source(self, line: StatementLine):
        if line.kind == StatementLine.Kind.ADJUSTMENT:
            return admin_link(line.adjustment.source_statement) if line.adjustment_id else EMPTY
        order = admin_link(line.order, line.order.external_id) if line.order_id else EMPTY
        if line.kind == StatementLine.Kind.REFUND:
            return format_html("{} / {}", order, admin_link(line.refund, line.refund.external_id))
        if line.kind == StatementLine.Kind.CLAWBACK:
            return format_html("{} / {}", order, admin_link(line.clawback, _("clawback")))
        return order

    occurred_at_china = china_time(StatementLine, "occurred_at")
    gross = money(StatementLine, "gross_amount")
    fee = money(StatementLine, "fee_amount")
    net = money(StatementLine, "net_amount")


@admin.register(Statement)
class StatementAdmin(TransitionActionsMixin, SimpleHistoryAdmin):
    list_display = [
        "statement_column",
        "sales_mode",
        "status",
        "gross_cny",
        "fee_cny",
        "net_column",
        "invoice_column",
    ]
    list_display_links = ["statement_column"]
    list_select_related = ["vendor"]
    list_filter = [QueueFilter, "status", PeriodFilter, "sales_mode"]
    search_fields = ["vendor__name", "payment_reference__exact", "vat_invoice_number__exact"]
    show_full_result_count = False
    inlines = [StatementLineInline]
    actions = ["export_xlsx"]
    fieldsets = [
        (
            None,
            {
                "description": TIMES_NOTE,
                "fields": ["vendor", "period_text", "sales_mode", "status", "downloads"],
            },
        ),
        (
            _("Amounts (CNY; each line's fee rounded half up to the cent once)"),
            {
                "fields": [
                    "gross_cny",
                    "fee_cny",
                    "refund_cny",
                    "fee_returned_cny",
                    "clawback_cny",
                    "adjustment_cny",
                    "net_cny",
                    "line_count",
                ]
            },
        ),
        (
            _("Progress"),
            {
                "fields": [
                    "generated_at_china",
                    "issued_at_china",
                    "answered_at_china",
                    "dispute_reason",
                    "dispute_resolution",
                    "dispute_resolved_at_china",
                    "approved_by",
                    "approved_at_china",
                    "paid_at_china",
                    "payment_reference",
                ]
            },
        ),
        (
            _("Invoices (MS-4.5)"),
            {
                "fields": [
                    "vat_invoice_number",
                    "vat_invoice_date",
                    "vat_invoice_cny",
                    "fee_invoice_requested_at_china",
                    "fee_invoice_number",
                    "fee_invoice_issued_on",
                    "fee_invoice_cny",
                ]
            },
        ),
    ]
    readonly_fields = [f for _n, opts in fieldsets for f in opts["fields"]]
    transition_actions = [
        TransitionAction(
            "issue",
            _("Issue to the vendor"),
            "issue",
            lambda s, u, d: statement_issue(statement=s, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "resolve_dispute",
            _("Resolve the dispute"),
            None,
            lambda s, u, d: statement_resolve_dispute(
                statement=s, actor=u, reason=d["reason"], amount=d.get("amount")
            ),
            form_class=ResolveDisputeForm,
            permission="orders.resolve_statement_dispute",
        ),
        TransitionAction(
            "approve",
            _("Approve for payment"),
            "approve",
            lambda s, u, d: statement_approve(statement=s, actor=u, reason=d["reason"]),
        ),
        TransitionAction(
            "mark_paid",
            _("Record the payment"),
            "mark_paid",
            lambda s, u, d: statement_mark_paid(
                statement=s, actor=u, reason=d["reason"], reference=d["reference"]
            ),
            form_class=PaymentForm,
        ),
        TransitionAction(
            "issue_fee_invoice",
            _("Issue the service fee invoice"),
            None,
            lambda s, u, d: statement_issue_fee_invoice(
                statement=s,
                actor=u,
                reason=d["reason"],
                number=d["number"],
                issued_on=d["issued_on"],
            ),
            form_class=InvoiceNumberForm,
            permission="orders.issue_fee_invoice",
        ),
    ]

    gross_cny = money(Statement, "gross_amount", _("gross paid"))
    fee_cny = money(Statement, "fee_amount", _("service fee"))
    refund_cny = money(Statement, "refund_amount")
    fee_returned_cny = money(Statement, "fee_returned")
    clawback_cny = money(Statement, "clawback_amount")
    adjustment_cny = money(Statement, "adjustment_amount")
    net_cny = money(Statement, "net_amount")
    vat_invoice_cny = money(Statement, "vat_invoice_amount")
    fee_invoice_cny = money(Statement, "fee_invoice_amount")
    generated_at_china = china_time(Statement, "generated_at")
    issued_at_china = china_time(Statement, "issued_at")
    answered_at_china = china_time(Statement, "answered_at")
    dispute_resolved_at_china = china_time(Statement, "dispute_resolved_at")
    approved_at_china = china_time(Statement, "approved_at")
    paid_at_china = china_time(Statement, "paid_at")
    fee_invoice_requested_at_china = china_time(Statement, "fee_invoice_requested_at")

    class Media:
        css = {"all": ["orders/admin.css"]}

    def get_urls(self):
        return [
            path(
                "<int:pk>/xlsx/",
                self.admin_site.admin_view(self.statement_xlsx),
                name="orders_statement_xlsx",
            ),
            path(
                "month/<str:month>/xlsx/",
                self.admin_site.admin_view(self.month_xlsx),
                name="orders_statement_month_xlsx",
            ),
            *super().get_urls(),
        ]

    def statement_xlsx(self, request: HttpRequest, pk: int) -> HttpResponse:
        statement = Statement.objects.select_related("vendor").filter(pk=pk).first()
        if statement is None:
            raise Http404
        if not self.has_view_permission(request, statement):
            raise PermissionDenied
        content = statement_workbook(statement, statement_lines(statement))
        return xlsx_response(content, f"statement-{statement.period:%Y-%m}-{statement.pk}.xlsx")

    def month_xlsx(self, request: HttpRequest, month: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            period = parse_period(month)
        except Exception as exc:
            raise Http404 from exc
        return xlsx_response(
            month_workbook(Statement.objects.filter(period=period)),
            f"statements-{period:%Y-%m}.xlsx",
        )

    @admin.action(description=_("Download the selected statements as XLSX"))
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return xlsx_response(month_workbook(queryset), "statements.xlsx")

    @admin.display(description=_("vendor / month"), ordering="period")
    def statement_column(self, obj: Statement):
        return format_html(
            '{}<br><span class="quiet">{}</span>', obj.vendor.name, f"{obj.period:%Y-%m}"
        )

    @admin.display(description=_("month"))
    def period_text(self, obj: Statement) -> str:
        return f"{obj.period:%Y-%m}"

    @admin.display(description=_("net payable"), ordering="net_amount")
    def net_column(self, obj: Statement):
        if obj.net_amount < 0:
            return format_html(
                '{}<br><span class="quiet">{}</span>', cny(obj.net_amount), _("receivable")
            )
        return cny(obj.net_amount)

    @admin.display(description=_("invoice"))
    def invoice_column(self, obj: Statement) -> str:
        if obj.needs_vat_invoice:
            return obj.vat_invoice_number or str(_("VAT invoice awaited"))
        if obj.fee_invoice_requested_at and not obj.fee_invoice_number:
            return str(_("fee invoice to issue"))
        return obj.fee_invoice_number or EMPTY

    @admin.display(description=_("downloads"))
    def downloads(self, obj: Statement):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:orders_statement_xlsx", args=[obj.pk]),
            _("this statement (XLSX)"),
            reverse("admin:orders_statement_month_xlsx", args=[f"{obj.period:%Y-%m}"]),
            _("the whole month (XLSX)"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by run_settlement only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StatementAdjustment)
class StatementAdjustmentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Adjustments are made by resolving a dispute (`statement_resolve_dispute`); read here."""

    list_display = ["source_statement", "amount_cny", "created_at_china", "created_by", "carried"]
    list_select_related = ["source_statement__vendor", "created_by"]
    fields = [
        "source_statement",
        "sales_mode",
        "amount_cny",
        "reason",
        "created_at_china",
        "created_by",
    ]
    readonly_fields = fields
    amount_cny = money(StatementAdjustment, "amount")
    created_at_china = china_time(StatementAdjustment, "created_at")

    @admin.display(description=_("carried by"))
    def carried(self, obj: StatementAdjustment):
        line = StatementLine.objects.filter(adjustment=obj).select_related("statement").first()
        return admin_link(line.statement) if line else _("the next statement")
