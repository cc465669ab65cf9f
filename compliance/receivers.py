"""Receivers of the lower apps' domain signals: act at once, with the sweep's own rule code.

DESIGN "Apps and their direction": `orders`, `vendors` and `catalog` send these signals on
commit; the receivers run the same rule the sweep runs, for the one vendor. The sweep
re-derives the same state later (safety net), so a receiver that fails only delays the
effect; it is logged, never raised into the sender.

No request waits for the sweep (issue 11): these receivers run inside the sender's web
request (a storefront reporting a failed delivery, finance recording a top-up), while a sweep
may hold the rule's lock, or the vendor's rows, for its whole batch (seconds on a first run).
So the receiver waits at most `RECEIVER_LOCK_TIMEOUT_MS` for any lock; when that is not
enough, nothing is written and the same work is enqueued as a task
(`compliance.tasks.run_rule_for_vendor`), which waits for the lock in the worker and acts as
soon as the sweep's batch commits (docs/decisions/sweep.md).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from compliance.models import SweepRule
from compliance.sweep.runner import run_rule_now

logger = logging.getLogger(__name__)

# How long a request may wait for a lock the sweep holds before handing the work to a task.
RECEIVER_LOCK_TIMEOUT_MS = 100


def _run(rule: str, vendor_id: Any) -> None:
    timeout = getattr(settings, "COMPLIANCE_RECEIVER_LOCK_TIMEOUT_MS", RECEIVER_LOCK_TIMEOUT_MS)
    try:
        report = run_rule_now(rule, vendor_id=int(vendor_id), lock_timeout_ms=timeout)
    except Exception:
        logger.exception("compliance receiver %s failed for vendor %s", rule, vendor_id)
        return
    if report.skipped:
        _defer(rule, int(vendor_id))


def _defer(rule: str, vendor_id: int) -> None:
    """The sweep holds a lock this vendor's change needs: the task does it after the sweep."""
    from compliance.tasks import run_rule_for_vendor

    try:
        run_rule_for_vendor.enqueue(rule=str(rule), vendor_id=vendor_id)
    except Exception:
        # The next sweep still derives the effect; the delay is logged.
        logger.exception("compliance: deferring %s for vendor %s failed", rule, vendor_id)
    else:
        logger.info("compliance %s for vendor %s deferred to a task (lock busy)", rule, vendor_id)


def on_deposit_made_whole(sender: Any, vendor_id: int, **kwargs: Any) -> None:
    """MS-3.1.5 ③: topping up lifts the deposit measures at once."""
    _run(SweepRule.DEPOSIT_TOPUP, vendor_id)


def on_saas_delivery_failed(sender: Any, vendor_id: int, **kwargs: Any) -> None:
    """MS-4.2: the product of a failed SaaS delivery is hidden at once."""
    _run(SweepRule.SAAS_DELIVERY, vendor_id)


def on_saas_delivery_repaired(sender: Any, vendor_id: int, **kwargs: Any) -> None:
    """MS-4.2: once every failure of the vendor is repaired, the hide measures are lifted."""
    _run(SweepRule.SAAS_DELIVERY, vendor_id)


def on_product_listed(sender: Any, vendor_id: int, **kwargs: Any) -> None:
    """MS-4.2 / MS-3.1.5 ③ / MS-7: a product entering a listed state gets the visibility the
    measures in force give it, at once (the measure-expiry rule re-derives stale state)."""
    _run(SweepRule.MEASURE_EXPIRY, vendor_id)


def on_deposit_deadlines_moved(sender: Any, moves: list, **kwargs: Any) -> None:
    """MS-3.1.5 ③ ④: vendors are told when a calendar change moved their deadlines."""
    from compliance.deadline_notices import notify_deadline_moves

    try:
        notify_deadline_moves(moves)
    except Exception:
        logger.exception("compliance: notifying %d moved deposit deadlines failed", len(moves))


def connect() -> None:
    from catalog.signals import product_listed
    from orders.signals import saas_delivery_failed, saas_delivery_repaired
    from vendors.signals import deposit_deadlines_moved, deposit_made_whole

    deposit_made_whole.connect(on_deposit_made_whole, dispatch_uid="compliance.deposit_whole")
    deposit_deadlines_moved.connect(
        on_deposit_deadlines_moved, dispatch_uid="compliance.deadlines_moved"
    )
    product_listed.connect(on_product_listed, dispatch_uid="compliance.product_listed")
    saas_delivery_failed.connect(on_saas_delivery_failed, dispatch_uid="compliance.saas_failed")
    saas_delivery_repaired.connect(
        on_saas_delivery_repaired, dispatch_uid="compliance.saas_repaired"
    )
