"""Receivers of the lower apps' domain signals: act at once, with the sweep's own rule code.

DESIGN "Apps and their direction": `orders` and `vendors` send these signals on commit;
the receivers run the same rule the sweep runs, for the one vendor, waiting for the rule's
lock so they never race a sweep. The sweep re-derives the same state later (safety net), so a
receiver that fails only delays the effect; it is logged, never raised into the sender.
"""

from __future__ import annotations

import logging
from typing import Any

from compliance.models import SweepRule
from compliance.sweep.runner import run_rule_now

logger = logging.getLogger(__name__)


def _run(rule: str, vendor_id: Any) -> None:
    try:
        run_rule_now(rule, vendor_id=int(vendor_id))
    except Exception:
        logger.exception("compliance receiver %s failed for vendor %s", rule, vendor_id)


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
