"""Reads of the orders app: scoping for vendor users and API callers, work queues, the facts
of a refund decision."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.money import ZERO, format_cny, to_money
from orders.models import Invoice, Order, Refund, ServiceAccount, VendorRefundTerms
from orders.refund_amount import RefundInputs, RefundQuote, compute_refund
from vendors.selectors import vendor_for_user

# --- vendor scoping (isolation): every vendor page goes through these ---------------------


def orders_for_vendor(*, user: Any) -> QuerySet[Order]:
    vendor = vendor_for_user(user=user)
    # Prefetched, not joined: a deep page (OFFSET 9,000 for the busiest vendor) joined to
    # products made PostgreSQL hash all 50,000 products and sort every row of the vendor
    # (100 ms); alone the orders read sorts one vendor's rows (10 ms), and two small
    # `IN` queries fetch the page's products and specifications (issue 11, vendor pages).
    return Order.objects.filter(vendor=vendor).prefetch_related("product", "specification")


def refunds_for_vendor(*, user: Any) -> QuerySet[Refund]:
    vendor = vendor_for_user(user=user)
    return Refund.objects.filter(vendor=vendor).select_related("order", "order__product")


def refund_for_vendor(*, user: Any, pk: int) -> Refund:
    """The vendor's own refund, or 404 (another vendor's ID looks like a missing one)."""
    refund = refunds_for_vendor(user=user).filter(pk=pk).first()
    if refund is None:
        raise Http404
    return refund


# --- API caller scoping: a service account sees its own channel only ----------------------


def orders_for_caller(*, caller: ServiceAccount) -> QuerySet[Order]:
    return Order.objects.filter(channel=caller.channel)


def order_for_caller(*, caller: ServiceAccount, pk: int) -> Order:
    order = orders_for_caller(caller=caller).filter(pk=pk).first()
    if order is None:
        raise Http404
    return order


def refund_for_caller(*, caller: ServiceAccount, pk: int) -> Refund:
    refund = (
        Refund.objects.filter(order__channel=caller.channel, pk=pk).select_related("order").first()
    )
    if refund is None:
        raise Http404
    return refund


def invoice_for_caller(*, caller: ServiceAccount, pk: int) -> Invoice:
    invoice = (
        Invoice.objects.filter(order__channel=caller.channel, pk=pk).select_related("order").first()
    )
    if invoice is None:
        raise Http404
    return invoice


# --- work queues ---------------------------------------------------------------------------


def refunds_awaiting_arbitration() -> QuerySet[Refund]:
    """Disputed requests and cases the platform took up (MS-5.1 arbitration)."""
    return Refund.objects.filter(
        status__in=[Refund.Status.VENDOR_DISPUTED, Refund.Status.ARBITRATION]
    ).select_related("order", "vendor")


def invoices_needing_red_letter() -> QuerySet[Invoice]:
    """MS-5.5 ②: invoices waiting for a red-letter form or the red invoice."""
    return Invoice.objects.filter(
        status__in=[Invoice.Status.RED_LETTER_REQUIRED, Invoice.Status.RED_LETTER_FORM_RECORDED]
    ).select_related("order", "vendor")


def review_period_passed_q(at: dt.datetime | None = None) -> Q:
    """Orders whose review period is over at `at` (or that never had one)."""
    at = at or timezone.now()
    return Q(review_rule="none") | Q(review_period_closed=True) | Q(review_period_ends_at__lt=at)


# --- exit checks (MS-3.1.5 ④, MS-8.4.1) ----------------------------------------------------


def vendor_outstanding_orders(vendor: Any) -> list[str]:
    """Registered with vendors.exit_checks: unfinished orders and open refund disputes."""
    reasons = []
    unfinished = Order.objects.filter(vendor=vendor, status__in=Order.UNFINISHED).count()
    if unfinished:
        reasons.append(
            _("%(n)s orders whose service is unfinished or not started (MS-8.4.1).")
            % {"n": unfinished}
        )
    disputes = Refund.objects.filter(vendor=vendor, status__in=Refund.OPEN).count()
    if disputes:
        reasons.append(_("%(n)s refund requests or disputes still open.") % {"n": disputes})
    return reasons


def refund_deduction_refusal(vendor: Any, reference: str, amount: Any) -> str | None:
    """MS-3.1.5 ② / MS-5.6: a deduction for a refund compensation names `refund:<id>`, a refund
    of this vendor that was agreed, approved or paid (a clawback deducts with it)."""
    prefix, _sep, number = (reference or "").partition(":")
    if prefix != "refund" or not number.isdigit() or len(number) > 18:
        return _("a refund deduction names its refund as refund:<number>.")
    if not Refund.objects.filter(
        pk=int(number), vendor_id=vendor.pk, status__in=Refund.COMMITTED
    ).exists():
        return _("there is no agreed, approved or paid refund %(reference)s of this vendor.") % {
            "reference": reference
        }
    return None


# --- refund arbitration: the facts of a decision (issue 12 §3) -----------------------------


@dataclass(frozen=True)
class RefundDecisionFacts:
    """What an arbitrator decides from: what was paid, what is asked, what the rules compute
    and why. `quote.amount` is what `refund_approve` approves when no amount is typed, for the
    same inputs (the inputs are built as the service builds them, with today's committed total).
    """

    refund: Refund
    order: Order
    inputs: RefundInputs
    quote: RefundQuote
    remaining: Decimal  # paid − what other refunds already took or hold on the order
    unconsumed: Decimal  # the unconsumed part, pro rata, less what was already refunded
    vendor_terms: VendorRefundTerms | None
    ground_required: bool  # approving before the vendor answered needs a MS-5.2 ground

    @property
    def consumed_percent(self) -> Decimal:
        return self.inputs.consumed_fraction * 100

    @property
    def capped_by_rules(self) -> bool:
        """The buyer asked more than the rules allow: the allowed amount is what is paid."""
        return self.inputs.requested > self.quote.entitled


def refund_decision_facts(
    refund: Refund,
    *,
    platform_ground: str = "",
    full_refund_case: str = "",
    compensation: Decimal | str | None = None,
    consumed: Decimal | str | None = None,
) -> RefundDecisionFacts:
    """The facts of approving `refund` with the arbitrator's inputs (as `refund_approve` takes
    them: an empty ground or case keeps the recorded one, None keeps the recorded figure)."""
    from orders.services.refunds import FRACTION

    order = refund.order
    # What other refunds took or hold on the order, as `refund_approve` counts it (this refund
    # is open when it is decided, so not among them; once approved it is not "other").
    already = to_money(
        Refund.objects.filter(order=order, status__in=Refund.COMMITTED)
        .exclude(pk=refund.pk)
        .aggregate(s=Sum("approved_amount"))["s"]
        or ZERO
    )
    inputs = RefundInputs(
        paid=refund.paid_amount,
        already_refunded=already,
        requested=refund.amount_requested,
        refundable=order.refundable,
        review_rule=refund.review_rule,
        in_review_period=refund.in_review_period,
        consumed_fraction=(
            refund.consumed_fraction
            if consumed in (None, "")
            else Decimal(str(consumed)).quantize(FRACTION)
        ),
        compensation=(
            refund.compensation if compensation in (None, "") else to_money(compensation)
        ),
        full_refund_case=full_refund_case or refund.full_refund_case,
        platform_ground=platform_ground or refund.platform_ground,
        vendor_terms_percent=refund.vendor_terms_percent,
    )
    # The unconsumed part is what the rules give on a MS-5.2 ground outside the review period.
    pro_rata = replace(
        inputs, in_review_period=False, full_refund_case="", platform_ground="-", requested=ZERO
    )
    return RefundDecisionFacts(
        refund=refund,
        order=order,
        inputs=inputs,
        quote=compute_refund(inputs),
        remaining=max(ZERO, inputs.paid - already),
        unconsumed=compute_refund(pro_rata).entitled if order.refundable else ZERO,
        vendor_terms=refund.vendor_terms,
        ground_required=refund.status == Refund.Status.REQUESTED,
    )


@dataclass(frozen=True)
class EvidenceItem:
    text: str
    url: str = ""  # empty: shown as text (not a link we can vouch for)
    private: bool = False  # served by the authenticated file view


_PRIVATE_REFERENCE = re.compile(r"^(?:/files/)?(?P<kind>[a-z][a-z0-9-]*)[:/](?P<pk>[0-9]{1,18})/?$")


def refund_evidence(refund: Refund) -> list[EvidenceItem]:
    """The buyer's evidence as a list: web links (http/https only), references to uploaded
    files (`<kind>:<id>` or `/files/<kind>/<id>/`) through the authenticated file view, and
    anything else as plain text. At most 20 entries (the API's limit)."""
    items = []
    for raw in refund.evidence if isinstance(refund.evidence, list) else [refund.evidence]:
        text = str(raw).strip()
        if not text:
            continue
        items.append(_evidence_item(text))
    return items


def _evidence_item(text: str) -> EvidenceItem:
    parsed = urlsplit(text)
    if parsed.scheme.lower() in ("http", "https") and parsed.netloc:
        return EvidenceItem(text=text, url=text)
    match = _PRIVATE_REFERENCE.match(text)
    if match:
        from marketplace import files

        entry = files._BY_KIND.get(match["kind"])
        if entry is not None:
            record = entry.model._default_manager.filter(pk=int(match["pk"])).first()
            if record is not None and getattr(record, entry.field):
                name = getattr(record, entry.field).name.rsplit("/", 1)[-1]
                return EvidenceItem(
                    text=name,
                    url=reverse("private-file", args=[entry.kind, record.pk]),
                    private=True,
                )
    return EvidenceItem(text=text)


# --- MS-8.4.1 exit progress (registered with vendors.exit_progress) -----------------------


def exit_refund_counts(exit_: Any) -> tuple[int, int, Decimal]:
    """(refunds paid, refunds raised, amount still to pay) of an exit's refunds (one query)."""
    from orders.services.exit import exit_external_id

    rows = (
        Refund.objects.filter(vendor_id=exit_.vendor_id, external_id=exit_external_id(exit_.pk))
        .values("status")
        .annotate(n=Count("pk"), s=Sum("approved_amount"))
    )
    paid = total = 0
    unpaid = Decimal("0.00")
    for row in rows:
        total += row["n"]
        if row["status"] == Refund.Status.REFUNDED:
            paid += row["n"]
        else:
            unpaid += row["s"] or 0
    return paid, total, unpaid


def exit_progress_lines(exit_: Any) -> list:
    from vendors.exit_progress import ORDERS_STAGE, ProgressLine

    if not exit_.started_at:
        return []
    paid, total, unpaid = exit_refund_counts(exit_)
    value = _("%(paid)s / %(total)s paid back to buyers") % {"paid": paid, "total": total}
    if unpaid:
        value = f"{value} · " + str(_("%(amount)s still to pay")) % {"amount": format_cny(unpaid)}
    return [
        ProgressLine(
            label=_("Orders refunded in full (MS-8.4.1)"),
            value=value,
            done=paid == total,
            stage=ORDERS_STAGE,
            url=reverse("admin:orders_refund_changelist") + f"?q=exit:{exit_.pk}",
        )
    ]


# --- vendor pages of issue 13: one order, its timeline, refund deadlines, invoices, terms --


def order_for_vendor(*, user: Any, pk: int) -> Order:
    """The vendor's own order with its product and specification, or 404."""
    order = (
        Order.objects.filter(vendor=vendor_for_user(user=user), pk=pk)
        .select_related("product", "specification")
        .first()
    )
    if order is None:
        raise Http404
    return order


def invoices_for_vendor(*, user: Any) -> QuerySet[Invoice]:
    vendor = vendor_for_user(user=user)
    return Invoice.objects.filter(vendor=vendor).select_related("order")


def refund_terms_for_vendor(*, user: Any) -> QuerySet[VendorRefundTerms]:
    vendor = vendor_for_user(user=user)
    return VendorRefundTerms.objects.filter(vendor=vendor).select_related("product")


# MS-4.5: which invoices belong to which sales mode (issuer → recipient).
SALES_MODE_DIRECTIONS = {
    "platform": ("vendor_to_buyer", "platform_to_vendor"),
    "consignment": ("platform_to_buyer", "vendor_to_platform"),
}

# ASSUMPTION (issue 13, docs/decisions/orders.md): the rule book names no time for the
# vendor's answer to a refund request (MS-5.1 "the vendor negotiates"); we give it this many
# working days after the China day of the request. Past it the vendor is "late or stalling",
# a MS-5.2 ① ground on which the platform may refund directly.
DEFAULT_REFUND_REPLY_WORKING_DAYS = 3


def refund_reply_working_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "REFUND_REPLY_WORKING_DAYS", DEFAULT_REFUND_REPLY_WORKING_DAYS))


def refund_reply_deadline(refund: Refund, calendar: Any = None) -> Any:
    """MS-5.1 / MS-5.2 ①: the end of the vendor's time to answer, a `Deadline` (provisional
    when the working calendar of that year is not confirmed); None once it answered."""
    from marketplace.workcalendar import WorkCalendar

    if refund.status != Refund.Status.REQUESTED:
        return None
    calendar = calendar or WorkCalendar()
    return calendar.deadline_after(refund.requested_at, refund_reply_working_days())


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime | None  # None: a state without a moment (e.g. "not settled yet")
    label: str
    detail: str = ""
    rule: str = ""  # the rule ID that applies, shown beside the event
    url: str = ""  # a page of the vendor's own that tells more (a refund)
    future: bool = False  # a moment still ahead (the review period's end)
    date_only: bool = False  # a day without a time (an invoice's issue day)


def order_timeline(order: Order, *, now: dt.datetime | None = None) -> list[TimelineEvent]:
    """What happened to the order, in time order: payment, delivery or failures and repairs
    (MS-4.2), review period end (MS-5.1), service confirmation (MS-5.4.1), refunds (MS-5),
    clawbacks (MS-5.6), invoices (MS-4.5, MS-5.5), settlement. Five queries whatever the order.
    """
    from marketplace.money import format_cny
    from marketplace.timeutils import end_of_day
    from orders.models import Clawback, DeliveryFailure

    now = now or timezone.now()
    events: list[TimelineEvent] = [
        TimelineEvent(order.paid_at, _("Paid"), format_cny(order.amount)),
    ]
    if order.delivered_at:
        events.append(TimelineEvent(order.delivered_at, _("Delivered")))
    for failure in DeliveryFailure.objects.filter(order=order).order_by("failed_at", "pk"):
        events.append(
            TimelineEvent(failure.failed_at, _("Delivery failed"), failure.reason, "MS-4.2")
        )
        if failure.repaired_at:
            events.append(TimelineEvent(failure.repaired_at, _("Delivery repaired"), "", "MS-4.2"))
        else:
            events.append(TimelineEvent(None, _("Delivery failure not repaired yet"), "", "MS-4.2"))
    if order.review_rule == "none":
        events.append(
            TimelineEvent(
                None, _("No review period: tool products cannot be refunded"), "", "MS-5.1"
            )
        )
    elif order.review_period_ends_at:
        ended = order.review_period_ends_at <= now or order.review_period_closed
        events.append(
            TimelineEvent(
                order.review_period_ends_at,
                _("Review period ended") if ended else _("Review period ends"),
                "",
                "MS-5.1",
                future=not ended,
            )
        )
    elif order.review_rule == "until_service_confirmed" and not order.service_confirmed_at:
        events.append(
            TimelineEvent(
                None, _("Review period runs until the service is confirmed"), "", "MS-5.4.1"
            )
        )
    if order.service_confirmed_at:
        events.append(
            TimelineEvent(
                order.service_confirmed_at, _("Service confirmed complete"), "", "MS-5.4.1"
            )
        )
    if order.completed_at:
        events.append(TimelineEvent(order.completed_at, _("Completed")))
    for refund in Refund.objects.filter(order=order).order_by("requested_at", "pk"):
        url = reverse("vendor:refund", args=[refund.pk])
        asked = _("Refund requested: %(amount)s, %(reason)s") % {
            "amount": format_cny(refund.amount_requested),
            "reason": refund.get_reason_code_display(),
        }
        events.append(
            TimelineEvent(refund.requested_at, asked, refund.get_status_display(), "MS-5.1", url)
        )
        if refund.decided_at:
            events.append(
                TimelineEvent(
                    refund.decided_at,
                    _("Refund decided by the platform"),
                    refund.get_status_display(),
                    "MS-5.1",
                    url,
                )
            )
        if refund.refunded_at:
            events.append(
                TimelineEvent(
                    refund.refunded_at,
                    _("Refund paid: %(amount)s") % {"amount": format_cny(refund.payable_amount)},
                    "",
                    "MS-5.1",
                    url,
                )
            )
    for clawback in Clawback.objects.filter(order=order).order_by("created_at", "pk"):
        events.append(
            TimelineEvent(
                clawback.created_at,
                _("Settled money clawed back: %(amount)s")
                % {"amount": format_cny(clawback.amount)},
                clawback.get_status_display(),
                "MS-5.6",
            )
        )
    for invoice in Invoice.objects.filter(order=order).order_by("requested_at", "pk"):
        kind = invoice.get_direction_display()
        events.append(TimelineEvent(invoice.requested_at, _("Invoice requested"), kind, "MS-4.5"))
        if invoice.issued_on:
            events.append(
                TimelineEvent(
                    end_of_day(invoice.issued_on),
                    _("Invoice issued: %(number)s") % {"number": invoice.number or "-"},
                    kind,
                    "MS-4.5",
                    date_only=True,
                )
            )
        if invoice.delivered_at:
            events.append(
                TimelineEvent(invoice.delivered_at, _("Invoice delivered"), kind, "MS-4.5")
            )
        if invoice.voided_at:
            events.append(TimelineEvent(invoice.voided_at, _("Invoice voided"), kind, "MS-5.5"))
        if invoice.status in (
            Invoice.Status.RED_LETTER_REQUIRED,
            Invoice.Status.RED_LETTER_FORM_RECORDED,
        ):
            events.append(TimelineEvent(None, invoice.get_status_display(), kind, "MS-5.5"))
        if invoice.red_issued_on:
            events.append(
                TimelineEvent(
                    end_of_day(invoice.red_issued_on),
                    _("Red invoice issued: %(number)s")
                    % {"number": invoice.red_invoice_number or "-"},
                    kind,
                    "MS-5.5",
                    date_only=True,
                )
            )
    if order.settled_at:
        events.append(
            TimelineEvent(
                order.settled_at,
                _("Settled to you: %(amount)s")
                % {"amount": format_cny(order.settled_amount or ZERO)},
            )
        )
    else:
        events.append(TimelineEvent(None, _("Not settled to you yet")))
    # Moments first in time order; states without a moment after them, in the order added.
    timed = sorted((e for e in events if e.at), key=lambda e: e.at)
    return timed + [e for e in events if not e.at]
