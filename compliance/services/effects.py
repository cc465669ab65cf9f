"""The one-shot acts of some measures, carried out through the lower apps' services.

DESIGN: a higher app calls a lower one's services and never writes its tables. These wrappers
import lazily so the dependency on `vendors` and `catalog` stays in one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from catalog.models import Product
from compliance.models import EVICTING_KINDS, AppliedMeasure, MeasureKind


def product_delist(*, product: Product, actor: Any, reason: str) -> bool:
    """Delist a listed product through catalog's service; False if it was not listed."""
    if product.status != Product.Status.LISTED:
        return False
    from catalog.services import product_delist as delist

    delist(product=product, actor=actor, reason=reason)
    return True


def measure_execute(*, measure: AppliedMeasure, at: dt.datetime, actor: Any) -> str:
    """Carry out a one-shot measure once; returns what was done, kept as `execution_ref`.

    MS-7 annex: delist product; MS-4.2: delist all SaaS products; MS-3.1.5 ② deduction;
    MS-8.3 evict / ban for ever.
    """
    reason = f"{measure.get_kind_display()}: {measure.reason}"
    if measure.kind == MeasureKind.DELIST_PRODUCT:
        done = measure.product_id is not None and product_delist(
            product=Product.objects.get(pk=measure.product_id), actor=actor, reason=reason
        )
        return f"product:{measure.product_id}" if done else "not listed"
    if measure.kind == MeasureKind.DELIST_SAAS_PRODUCTS:
        delisted = [
            product.pk
            for product in Product.objects.filter(
                vendor_id=measure.vendor_id, saas_delivered=True, status=Product.Status.LISTED
            ).order_by("pk")
            if product_delist(product=product, actor=actor, reason=reason)
        ]
        return ("products:" + ",".join(map(str, delisted)))[:100] if delisted else "none listed"
    if measure.kind == MeasureKind.DEDUCT_DEPOSIT:
        from vendors.services import deposit_deduct

        entry = deposit_deduct(
            vendor=measure.vendor,
            amount=measure.amount,
            cause="violation",
            # MS-3.1.5 ②: the entry names its penalty case (checked by compliance's hook).
            reference=measure.penalty_case.reference if measure.penalty_case_id else "",
            actor=actor,
            reason=reason,
        )
        return f"ledger:{entry.pk}"
    if measure.kind in EVICTING_KINDS:
        from vendors.models import Vendor

        vendor = Vendor.objects.get(pk=measure.vendor_id)
        if vendor.status == Vendor.Status.EVICTED:
            return "already evicted"
        from vendors.services import exit_start_on_eviction, vendor_evict

        vendor_evict(vendor=vendor, actor=actor, reason=reason)
        # MS-8.3 → MS-8.4: the evicted vendor's exit starts at once (orders refunded in full).
        exit_start_on_eviction(vendor=vendor, actor=actor, reason=reason)
        return "evicted"
    raise ValueError(f"{measure.kind} is not a one-shot measure")


def deduction_reverse(*, measure: AppliedMeasure, actor: Any, reason: str) -> str:
    """Give back a carried-out deposit deduction with a reversing ledger entry (revocation)."""
    from vendors.models import DepositEntry
    from vendors.services import deposit_reverse

    if not measure.execution_ref.startswith("ledger:"):
        return ""
    entry = DepositEntry.objects.get(pk=int(measure.execution_ref.removeprefix("ledger:")))
    # MS-7: revoking the case is the one way a violation deduction is given back.
    reversal = deposit_reverse(entry=entry, actor=actor, reason=reason, case_revoked=True)
    return f"ledger:{reversal.pk}"
