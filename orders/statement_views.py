"""Vendor pages of settlement statements: list, detail with lines, confirm or dispute, the
VAT special invoice (consignment, MS-4.5), the service fee invoice request (platform mode,
MS-4.5) and the XLSX download. Every read goes through the vendor-scoped selectors, so
another vendor's statement answers 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from marketplace.exceptions import DomainError
from marketplace.money import AmountFormField
from orders.models import Statement
from orders.services.settlement import (
    statement_record_vat_invoice,
    statement_request_fee_invoice,
    statement_vendor_confirm,
    statement_vendor_dispute,
)
from orders.statement_export import statement_workbook, xlsx_response
from orders.statement_selectors import statement_for_vendor, statement_lines, statements_for_vendor
from orders.views import _page
from vendors.pages import vendor_page


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why you dispute it"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VatInvoiceForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Invoice number"), max_length=20)
    date = forms.DateField(
        label=gettext_lazy("Invoice date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = AmountFormField(label=gettext_lazy("Amount (CNY)"))


@vendor_page
def statement_list(request: HttpRequest) -> HttpResponse:
    statements = statements_for_vendor(user=request.user)
    status = request.GET.get("status", "")
    if status in Statement.Status.values:
        statements = statements.filter(status=status)
    context = {
        "vendor": request.vendor,
        "page": _page(request, statements.order_by("-period", "sales_mode", "-pk")),
        "statuses": [c for c in Statement.Status.choices if c[0] != Statement.Status.DRAFT],
        "status": status,
    }
    return render(request, "orders/statement_list.html", context)


def _detail(request: HttpRequest, statement: Statement, **forms_: forms.Form) -> HttpResponse:
    context = {
        "vendor": request.vendor,
        "statement": statement,
        "lines": statement_lines(statement),
        "dispute_form": forms_.get("dispute_form") or DisputeForm(),
        "vat_form": forms_.get("vat_form")
        or VatInvoiceForm(initial={"amount": statement.net_amount}),
    }
    if forms_:  # the bound, refused form (also as "form": what a crawl reads errors from)
        context["form"] = next(iter(forms_.values()))
    status = 400 if forms_ else 200
    return render(request, "orders/statement_detail.html", context, status=status)


@vendor_page
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, statement_for_vendor(user=request.user, pk=pk))


def _done(request: HttpRequest, statement: Statement, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("vendor:statement", pk=statement.pk)


@require_POST
@vendor_page
def statement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    statement = statement_for_vendor(user=request.user, pk=pk)
    try:
        statement_vendor_confirm(statement=statement, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("vendor:statement", pk=statement.pk)
    return _done(request, statement, _("You confirmed the statement."))


@require_POST
@vendor_page
def statement_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    statement = statement_for_vendor(user=request.user, pk=pk)
    form = DisputeForm(request.POST)
    if not form.is_valid():
        return _detail(request, statement, dispute_form=form)
    try:
        statement_vendor_dispute(
            statement=statement, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("vendor:statement", pk=statement.pk)
    return _done(
        request,
        statement,
        _("You disputed the statement; finance settles it on your next statement."),
    )


@require_POST
@vendor_page
def statement_vat_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    statement = statement_for_vendor(user=request.user, pk=pk)
    form = VatInvoiceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            statement_record_vat_invoice(
                statement=statement,
                actor=request.user,
                number=data["number"],
                date=data["date"],
                amount=data["amount"],
            )
        except DomainError as exc:
            form.add_error(None, ValidationError(str(exc)))
        else:
            return _done(request, statement, _("Your VAT special invoice was recorded."))
    return _detail(request, statement, vat_form=form)


@require_POST
@vendor_page
def statement_fee_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    statement = statement_for_vendor(user=request.user, pk=pk)
    try:
        statement_request_fee_invoice(statement=statement, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("vendor:statement", pk=statement.pk)
    return _done(request, statement, _("The platform will issue the service fee invoice."))


@vendor_page
def statement_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    statement = statement_for_vendor(user=request.user, pk=pk)
    content = statement_workbook(statement, statement_lines(statement))
    name = f"statement-{statement.period:%Y-%m}-{statement.sales_mode}-{statement.pk}.xlsx"
    return xlsx_response(content, name)
