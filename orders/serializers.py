"""Input and output serializers of the integration API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from marketplace.money import AmountSerializerField
from orders.models import Invoice, InvoiceType, Order, Refund, RefundReason, RenewalPart
from orders.services import DeliveryOutcome, InvoicePurpose


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO datetime that must carry its offset: naive input is refused, never guessed."""

    default_error_messages = {
        "naive": _("Give the time zone offset (e.g. 2026-07-01T10:00:00+08:00)."),
    }

    def to_internal_value(self, value: Any):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well-formed but impossible (02-30): DRF refuses it below
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


# The one money parser (marketplace.money.parse_amount): plain ASCII decimals within 14 digits.
AmountField = AmountSerializerField


def _money() -> serializers.DecimalField:
    return AmountField()


def text_max_length() -> int:
    """Cap of free text from the API where the model has no length (setting)."""
    return int(getattr(settings, "API_TEXT_MAX_LENGTH", 2000))


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField(required=False)


class OrderCreateIn(serializers.Serializer):
    external_id = serializers.CharField(max_length=64)
    buyer_account_id = serializers.CharField(max_length=64)
    specification_id = serializers.IntegerField(min_value=1)
    amount = _money()
    paid_at = AwareDateTimeField()
    # MS-2.7: an amount below the specification's price needs the discount's reason.
    discount_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="Required when amount is below the specification's price (MS-2.7).",
    )
    # MS-8.4.2: a renewal names the order it renews and which part of it is renewed.
    renewal_of = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        allow_null=True,
        default=None,
        help_text=(
            "For a renewal: the id of the earlier order (same channel, buyer and product) it "
            "renews. After the vendor's exit only a renewal with renewal_part=cloud is accepted "
            "(MS-8.4.2); any other order of its products is refused with 409 vendor_exited."
        ),
    )
    renewal_part = serializers.ChoiceField(
        choices=RenewalPart.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Which part a renewal is for: `vendor` (the vendor's product or service) or `cloud` "
            "(the cloud's own, self-operated part of the sold product, e.g. the instance under "
            "an image). Required with renewal_of."
        ),
    )


class OrderOut(serializers.ModelSerializer):
    in_review_period = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "external_id",
            "buyer_account_id",
            "vendor",
            "product",
            "specification",
            "kind",
            "sales_mode",
            "unit_price",
            "service_fee_rate",
            "amount",
            "discount_amount",
            "discount_reason",
            "renewal_of",
            "renewal_part",
            "paid_at",
            "status",
            "review_rule",
            "review_period_ends_at",
            "in_review_period",
            "refundable",
            "delivered_at",
            "service_confirmed_at",
        ]
        read_only_fields = fields

    def get_in_review_period(self, order: Order) -> bool:
        return order.in_review_period(timezone.now())


_CENT = Decimal("0.01")
_RATE_PLACES = Decimal("0.0001")


def _dt_out(value: dt.datetime | None) -> str | None:
    # As DRF's DateTimeField: in the current time zone, ISO 8601, "Z" for UTC.
    if value is None:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def order_out(order: Order) -> dict[str, Any]:
    """`OrderOut(order).data` without building a serializer: the order API's hot path.

    A ModelSerializer builds its 21 fields on every call (about a millisecond of the
    creation's few); this writes the same keys and formats directly. The schema stays
    `OrderOut`, and tests/orders/test_ingest.py asserts both give the same output.
    """
    return {
        "id": order.pk,
        "external_id": order.external_id,
        "buyer_account_id": order.buyer_account_id,
        "vendor": order.vendor_id,
        "product": order.product_id,
        "specification": order.specification_id,
        "kind": str(order.kind),
        "sales_mode": str(order.sales_mode),
        "unit_price": format(order.unit_price.quantize(_CENT), "f"),
        "service_fee_rate": format(order.service_fee_rate.quantize(_RATE_PLACES), "f"),
        "amount": format(order.amount.quantize(_CENT), "f"),
        "discount_amount": format(order.discount_amount.quantize(_CENT), "f"),
        "discount_reason": order.discount_reason,
        "paid_at": _dt_out(order.paid_at),
        "status": str(order.status),
        "review_rule": str(order.review_rule),
        "review_period_ends_at": _dt_out(order.review_period_ends_at),
        "in_review_period": order.in_review_period(timezone.now()),
        "refundable": order.refundable,
        "delivered_at": _dt_out(order.delivered_at),
        "service_confirmed_at": _dt_out(order.service_confirmed_at),
        "renewal_of": order.renewal_of_id,
        "renewal_part": order.renewal_part,
    }


class DeliveryIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=list(DeliveryOutcome.ALL))
    at = AwareDateTimeField()
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=text_max_length()
    )


class ServiceConfirmationIn(serializers.Serializer):
    confirmed_at = AwareDateTimeField()


class RefundCreateIn(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1)
    external_id = serializers.CharField(max_length=64)
    # The API's field stays `reason` (the storefront's contract); the model's is `reason_code`.
    reason = serializers.ChoiceField(choices=RefundReason.choices, source="reason_code")
    amount = _money()
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=text_max_length()
    )
    evidence = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list, max_length=20
    )
    requested_at = AwareDateTimeField(required=False)


class RefundOut(serializers.ModelSerializer):
    reason = serializers.CharField(source="reason_code", read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "order",
            "external_id",
            "reason",
            "counts_against_vendor",
            "amount_requested",
            "description",
            "evidence",
            "requested_at",
            "status",
            "basis",
            "computed_amount",
            "approved_amount",
            "paid_amount",
            "already_refunded",
            "in_review_period",
            "consumed_fraction",
            "compensation",
            "platform_ground",
            "full_refund_case",
            "vendor_terms_percent",
            "decision_reason",
            "refunded_at",
            "payment_reference",
        ]
        read_only_fields = fields


class RefundPaymentIn(serializers.Serializer):
    """Issue 14: billing paid a refund back to the buyer."""

    paid_at = AwareDateTimeField(help_text="When the money left, with its offset.")
    reference = serializers.CharField(
        max_length=64,
        help_text="Billing's payment reference; the same again is a retry (200, nothing new).",
    )


class RefundPaymentOut(RefundOut):
    order_status = serializers.CharField(source="order.status", read_only=True)

    class Meta(RefundOut.Meta):
        fields = [*RefundOut.Meta.fields, "order_status"]
        read_only_fields = fields


class EventsQuery(serializers.Serializer):
    """Issue 14: the event feed's query string."""

    after = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=2**63 - 1,
        help_text="The `next_cursor` of the previous page; 0 (or absent) from the start.",
    )
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=500)
    channel = serializers.ChoiceField(
        choices=["storefront", "billing"],
        required=False,
        help_text="Only for a token allowed both feeds: which one to read.",
    )


class EventSubjectOut(serializers.Serializer):
    type = serializers.CharField(help_text="app.model, e.g. orders.refund")
    id = serializers.CharField()


class EventOut(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="This event's position in the feed.")
    event_id = serializers.UUIDField(help_text="Same for the event's copy in the other feed.")
    kind = serializers.CharField()
    subject = EventSubjectOut()
    payload = serializers.JSONField(help_text="By kind; money as decimal strings in CNY.")
    created_at = serializers.DateTimeField()


class EventPageOut(serializers.Serializer):
    events = EventOut(many=True)
    next_cursor = serializers.IntegerField(help_text="Send as `after` for the next page.")
    has_more = serializers.BooleanField(help_text="True: ask again at once.")


def event_out(event: Any) -> dict[str, Any]:
    return {
        "cursor": event.position,
        "event_id": str(event.event_id),
        "kind": event.kind,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "payload": event.payload,
        "created_at": _dt_out(event.created_at),
    }


class InvoiceCreateIn(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1)
    external_id = serializers.CharField(max_length=64)
    purpose = serializers.ChoiceField(choices=list(InvoicePurpose.ALL))
    invoice_type = serializers.ChoiceField(choices=InvoiceType.choices)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    tax_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)


class InvoiceOut(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = [
            "id",
            "order",
            "external_id",
            "direction",
            "invoice_type",
            "amount",
            "title",
            "tax_id",
            "status",
            "number",
            "issued_on",
            "delivered_at",
            "refund_handling",
            "refunded_amount",
            "red_form_number",
            "red_invoice_number",
            "red_issued_on",
        ]
        read_only_fields = fields
