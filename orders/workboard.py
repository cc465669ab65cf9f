"""The orders app's queues on the reviewers' work board (marketplace.workboard)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketplace.workboard import Queue, register
from orders.models import Refund, VendorRefundTerms

AWAITING_ARBITRATION = [Refund.Status.VENDOR_DISPUTED, Refund.Status.ARBITRATION]


def register_statement_queues() -> None:
    """Finance's settlement queues (MS-4.5): to issue, waiting for the VAT invoice, to
    approve, disputes, to pay, fee invoices to issue; each one admin list filter."""
    from orders.statement_queues import QUEUES, queue_items

    spec = {
        "to_issue": ("orders.issue_statement", "generated_at", 40),
        "disputed": ("orders.resolve_statement_dispute", "answered_at", 41),
        "waiting_vat": ("orders.approve_statement", "issued_at", 42),
        "to_approve": ("orders.approve_statement", "answered_at", 43),
        "to_pay": ("orders.pay_statement", "approved_at", 44),
        "fee_invoice": ("orders.issue_fee_invoice", "fee_invoice_requested_at", 45),
    }
    for key, (permission, since, order) in spec.items():
        register(
            Queue(
                key=f"statements_{key}",
                label=QUEUES[key][0],
                help=_("Settlement statements"),
                permission=permission,
                items=lambda user, now, key=key: queue_items(key),
                waiting_since=since,
                changelist="admin:orders_statement_changelist",
                filters=lambda user, now, key=key: {"queue": key},
                order=order,
            )
        )


def register_queues() -> None:
    register_statement_queues()
    register(
        Queue(
            key="refunds_to_arbitrate",
            label=_("Refunds awaiting arbitration"),
            help=_("MS-5.1: the vendor and buyer did not agree"),
            permission="orders.arbitrate_refund",
            items=lambda user, now: Refund.objects.filter(status__in=AWAITING_ARBITRATION),
            waiting_since="requested_at",
            changelist="admin:orders_refund_changelist",
            filters=lambda user, now: {"status__in": ",".join(AWAITING_ARBITRATION)},
            order=30,
        )
    )
    register(
        Queue(
            key="refund_terms_to_decide",
            label=_("Vendor refund terms awaiting approval"),
            help=_("MS-5.7.2: the platform's written approval"),
            permission="orders.decide_vendorrefundterms",
            items=lambda user, now: VendorRefundTerms.objects.filter(
                status=VendorRefundTerms.Status.SUBMITTED
            ),
            waiting_since="submitted_at",  # issue 13 (empty on terms recorded before it)
            changelist="admin:orders_vendorrefundterms_changelist",
            filters=lambda user, now: {"status__exact": VendorRefundTerms.Status.SUBMITTED},
            order=31,
        )
    )
