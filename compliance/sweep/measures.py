"""Bulk paths over the measure overlay, for the sweep's set-based rules.

`compliance.services.measures.measure_apply` / `measures_lift` act on one record at a time
(a few queries each). The sweep acts on many vendors at once and must cost a fixed number of
queries, so it creates and lifts measures in bulk here, under its rule lock, after its plan
excluded what is already in place (the partial unique constraints on unlifted measures stay
the last line of defence), writing the history rows itself (simple-history's bulk helpers),
then calls the one writer of effective state, `vendor_state_recompute`, once for all vendors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from compliance.models import AppliedMeasure
from compliance.services.measures import vendor_state_recompute

SWEEP_ACTOR = None  # the system; history rows name the rule in their reason


def measures_create_bulk(
    *, measures: Sequence[AppliedMeasure], reason: str
) -> list[AppliedMeasure]:
    """Insert new measures with their history rows (two queries)."""
    if not measures:
        return []
    return bulk_create_with_history(list(measures), AppliedMeasure, default_change_reason=reason)


def measures_lift_bulk(
    *, measure_ids: Iterable[int], at: dt.datetime, reason: str, at_end: bool = False
) -> list[AppliedMeasure]:
    """Lift the still-unlifted measures among `measure_ids` (lock, update, history).

    `at_end`: stamp each at its own `ends_at` (a measure that ran its course, "ended" as the
    measure services stamp it) rather than at `at`.
    """
    ids = sorted(set(measure_ids))
    if not ids:
        return []
    locked = list(
        AppliedMeasure.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, lifted_at__isnull=True)
        .order_by("pk")
    )
    for measure in locked:
        measure.lifted_at = measure.ends_at if at_end and measure.ends_at else at
        measure.lifted_by = None
        measure.lift_reason = reason
    if locked:
        bulk_update_with_history(
            locked,
            AppliedMeasure,
            ["lifted_at", "lifted_by", "lift_reason"],
            default_change_reason=reason,
        )
    return locked


def recompute(vendor_ids: Iterable[int], *, at: dt.datetime, reason: str) -> None:
    ids = set(vendor_ids)
    if ids:
        vendor_state_recompute(vendor_ids=ids, at=at, actor=SWEEP_ACTOR, reason=reason)
