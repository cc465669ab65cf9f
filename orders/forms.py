"""Forms of the vendor pages (issue 13): order filters, refund answers, refund terms.

Every form refuses bad input with a translated message before anything is read or written;
choices the vendor may pick (its products) come from the scoping selectors.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from marketplace.timeutils import start_of_day
from orders.models import Order
from orders.selectors import SALES_MODE_DIRECTIONS
from vendors.validators import validate_document_file

# Dates a person may type: the marketplace did not exist before, and nothing is paid in the
# far future (also keeps `date + 1 day` inside Python's range).
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)
PLAIN_PERCENT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?", re.ASCII)


class VendorProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        return obj.title

    def to_python(self, value: Any) -> Any:
        # An id past every integer column (or not a number) is "not one of the choices"
        # before it reaches the database (SQLite overflows, PostgreSQL refuses NUL).
        if value not in self.empty_values and not re.fullmatch(r"[0-9]{1,18}", str(value)):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class PlainPercentField(forms.DecimalField):
    """A percent as a person types it: digits with at most two decimals (no 1e2, NaN, 1,5)."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str) and value.strip() and not PLAIN_PERCENT.fullmatch(value.strip()):
            raise forms.ValidationError(
                _("Type a number from 0 to 100 with at most two decimals."), code="invalid"
            )
        return super().to_python(value)


class OrderFilterForm(forms.Form):
    """The orders list's and the CSV export's filters; days are China days (MS time rule)."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        # Changing the state submits the form (static script; the CSP allows no inline one).
        widget=forms.Select(attrs={"data-autosubmit": ""}),
        choices=[("", _("All")), *list(Order.Status.choices)],
    )
    product = VendorProductChoice(
        label=_("Product"), required=False, queryset=Product.objects.none(), empty_label=_("All")
    )
    paid_from = forms.DateField(
        label=_("Paid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(EARLIEST_DAY), MaxValueValidator(LATEST_DAY)],
    )
    paid_to = forms.DateField(
        label=_("Paid to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(EARLIEST_DAY), MaxValueValidator(LATEST_DAY)],
    )

    q = forms.CharField(label=_("Order ID"), required=False, max_length=64, strip=True)

    def __init__(self, *args: Any, products: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the vendor's own products: another vendor's id is "not one of the choices".
        self.fields["product"].queryset = (
            products.select_related(None).only("pk", "title").order_by("title", "pk")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("paid_from"), data.get("paid_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The first day comes after the last day."), code="date_order"
            )
        return data

    def filter(self, orders: Any) -> Any:
        """The orders that match (call after `is_valid()`)."""
        data = self.cleaned_data
        if data.get("q"):
            orders = orders.filter(external_id=data["q"])
        if data.get("status"):
            orders = orders.filter(status=data["status"])
        if data.get("product"):
            orders = orders.filter(product=data["product"])
        # Days are counted in China time: "to 07-05" includes all of 07-05 in Beijing.
        if data.get("paid_from"):
            orders = orders.filter(paid_at__gte=start_of_day(data["paid_from"]))
        if data.get("paid_to"):
            orders = orders.filter(paid_at__lt=start_of_day(data["paid_to"] + dt.timedelta(days=1)))
        return orders

    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)


class RefundAnswerForm(forms.Form):
    """The vendor's answer to a refund request (MS-5.1): a statement and evidence."""

    note = forms.CharField(
        label=_("Your statement"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when you dispute; the buyer and the platform read it."),
    )
    evidence_url = forms.URLField(
        label=_("Evidence link"), required=False, max_length=500, assume_scheme="https"
    )
    # Issue 8 §4: the onboarding documents' types (PDF, JPG, PNG by content) and size limit.
    evidence_file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        help_text=_("PDF, JPG or PNG"),
        validators=[validate_document_file],
    )

    def __init__(self, *args: Any, disputing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disputing = disputing

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.disputing and not (data.get("note") or "").strip() and "note" not in self.errors:
            self.add_error("note", _("Say why you dispute the request."))
        return data


class RefundTermsForm(forms.Form):
    """MS-5.7.2: the vendor's own refund terms, used only once the platform approves them."""

    product = VendorProductChoice(
        label=_("Product"),
        required=False,
        queryset=Product.objects.none(),
        empty_label=_("All my products"),
    )
    refund_percent = PlainPercentField(
        label=_("Refund percent of the unconsumed part"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        help_text=_(
            "After the review period the buyer gets this share of the unconsumed part "
            "instead of the platform default (100%, pro rata)."
        ),
    )
    text = forms.CharField(
        label=_("Terms shown on the product page"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A China day; the terms apply from its start once approved."),
        validators=[MaxValueValidator(LATEST_DAY)],
    )

    def __init__(self, *args: Any, products: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = (
            products.select_related(None).only("pk", "title").order_by("title", "pk")
        )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("The terms' text is required."), code="required")
        return text

    def clean_effective_from(self) -> dt.date:
        day = self.cleaned_data["effective_from"]
        if start_of_day(day) < start_of_day(timezone.localdate()):
            raise forms.ValidationError(
                _("Terms cannot start in the past."), code="past_effective_from"
            )
        return day


class InvoiceFilterForm(forms.Form):
    """MS-4.5: the vendor's invoices by sales mode."""

    mode = forms.ChoiceField(
        label=_("Sales mode"),
        required=False,
        choices=[
            ("", _("All")),
            ("platform", _("Platform mode (vendor sells)")),
            ("consignment", _("Consignment (the cloud sells for the vendor)")),
        ],
    )
    red_letter = forms.BooleanField(label=_("Only red-letter work (MS-5.5)"), required=False)

    def filter(self, invoices: Any) -> Any:
        data = self.cleaned_data
        if data.get("mode"):
            invoices = invoices.filter(direction__in=SALES_MODE_DIRECTIONS[data["mode"]])
        if data.get("red_letter"):
            invoices = invoices.filter(
                Q(status__in=["red_letter_required", "red_form_recorded", "reversed"])
                | Q(refund_handling="red_letter")
            )
        return invoices
