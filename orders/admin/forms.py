"""Intermediate-page forms of the orders admin actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from marketplace.admin_actions import ReasonForm
from marketplace.money import AmountFormField, is_plain_amount
from orders.models import FullRefundCase, PlatformRefundGround


class PercentFormField(forms.DecimalField):
    """A share in percent typed as a plain ASCII decimal (no "1e2", no full-width digits),
    as amounts are (issue 9 §2)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not is_plain_amount(value):
            raise ValidationError(
                _("Enter the share as a plain number from 0 to 100 in digits 0-9, such as 12.5."),
                code="invalid",
            )
        return super().to_python(value)


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
    consumed_percent = PercentFormField(
        label=_("Consumed share of the service (%), if the recorded one is wrong"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: the recorded share shown above."),
    )


def approve_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """The approval form's inputs as `refund_approve` and `refund_decision_facts` take them
    (the consumed share is typed in percent, stored as a fraction)."""
    percent = data.get("consumed_percent")
    return {
        "platform_ground": data.get("platform_ground") or "",
        "full_refund_case": data.get("full_refund_case") or "",
        "compensation": data.get("compensation"),
        "consumed": None if percent is None else percent / 100,
    }


class InvoiceNumberForm(ReasonForm):
    number = forms.CharField(label=_("Invoice number"), max_length=32)
    issued_on = forms.DateField(
        label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RedLetterFormForm(ReasonForm):
    form_number = forms.CharField(label=_("Red-letter information form number"), max_length=32)
