"""Intermediate-page forms of the orders admin actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.money import AmountFormField
from orders.admin.transitions import ReasonForm
from orders.models import FullRefundCase, PlatformRefundGround


class ApproveRefundForm(ReasonForm):
    """MS-5.1/5.2/5.3/5.4.1: the inputs the arbitrator records; the amount is recomputed."""

    amount = AmountFormField(
        label=_("Amount to approve (CNY)"),
        min_value=0,
        required=False,
        help_text=_("Empty: what the rules compute from the inputs below."),
    )
    platform_ground = forms.ChoiceField(
        label=_("MS-5.2 ground for a direct platform refund"),
        choices=[("", "---"), *PlatformRefundGround.choices],
        required=False,
    )
    full_refund_case = forms.ChoiceField(
        label=_("MS-5.3 full refund case"),
        choices=[("", "---"), *FullRefundCase.choices],
        required=False,
    )
    compensation = AmountFormField(
        label=_("Agreed compensation withheld (MS-5.4.1)"),
        min_value=0,
        required=False,
    )
    consumed = forms.DecimalField(
        label=_("Consumed fraction (0–1), if the default is wrong"),
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
        required=False,
    )


class InvoiceNumberForm(ReasonForm):
    number = forms.CharField(label=_("Invoice number"), max_length=32)
    issued_on = forms.DateField(
        label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RedLetterFormForm(ReasonForm):
    form_number = forms.CharField(label=_("Red-letter information form number"), max_length=32)
