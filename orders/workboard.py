"""The orders app's queues on the reviewers' work board (marketplace.workboard)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from marketplace.workboard import Queue, register
from orders.models import Refund, VendorRefundTerms

AWAITING_ARBITRATION = [Refund.Status.VENDOR_DISPUTED, Refund.Status.ARBITRATION]


def register_queues() -> None:
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
            waiting_since=None,  # terms carry no submission time
            changelist="admin:orders_vendorrefundterms_changelist",
            filters=lambda user, now: {"status__exact": VendorRefundTerms.Status.SUBMITTED},
            order=31,
        )
    )
