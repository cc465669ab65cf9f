"""Bulk paths over the measure overlay, for the sweep's set-based rules.

`compliance.services.measures.measure_apply` / `measures_lift` act on one record at a time
(a few queries each). The sweep acts on many vendors at once and must cost a fixed number of
queries, so it creates and lifts measures in bulk here, under its rule lock, after its plan
excluded what is already in place (the partial unique constraints on unlifted measures stay
the last line of defence), writing the history rows itself (copied from the stored rows),
then calls the one writer of effective state, `vendor_state_recompute`, once for all vendors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import F, Value
from django.db.models.functions import Coalesce

from compliance.models import AppliedMeasure
from compliance.services.history import ADDED, CHANGED, history_copy_rows
from compliance.services.measures import vendor_state_recompute
from compliance.sweep.bulk import insert_instances

SWEEP_ACTOR = None  # the system; history rows name the rule in their reason


def measures_create_bulk(
    *, measures: Sequence[AppliedMeasure], reason: str
) -> list[AppliedMeasure]:
    """Insert new measures with their "+" history rows (two queries)."""
    if not measures:
        return []
    created = insert_instances(measures)
    history_copy_rows(
        AppliedMeasure, pks=[m.pk for m in created], history_type=ADDED, actor=None, reason=reason
    )
    return created


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
        AppliedMeasure.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=ids, lifted_at__isnull=True)
        .order_by("pk")
    )
    for measure in locked:
        measure.lifted_at = measure.ends_at if at_end and measure.ends_at else at
        measure.lifted_by = None
        measure.lift_reason = reason
    if locked:
        pks = [m.pk for m in locked]
        if at_end:
            # Each at its own end: one UPDATE setting lifted_at from the row's ends_at.
            lifted_at = Coalesce(F("ends_at"), Value(at))
        else:
            lifted_at = Value(at)
        AppliedMeasure.objects.filter(pk__in=pks).update(
            lifted_at=lifted_at, lifted_by=None, lift_reason=reason
        )
        history_copy_rows(AppliedMeasure, pks=pks, history_type=CHANGED, actor=None, reason=reason)
    return locked


def recompute(vendor_ids: Iterable[int], *, at: dt.datetime, reason: str) -> None:
    ids = set(vendor_ids)
    if ids:
        vendor_state_recompute(vendor_ids=ids, at=at, actor=SWEEP_ACTOR, reason=reason)
