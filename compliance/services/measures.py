"""The measure overlay (DESIGN "Measures are overlays").

- `measure_apply` records one sanction, idempotently per (vendor, kind, product, cause).
- `measure_lift` ends one; `measures_lift` ends every measure of a cause, set-based.
- `measures_create_bulk` / `measures_lift_bulk`: the sweep's set-based rules create and lift
  many at once (a fixed number of queries). Every path that writes a measure is here, and
  all lifting goes through one write (`_stamp_lifted`).
- `measure_approve` gives the second approval evict / ban / deduction need.
- `measures_execute_due` carries out the one-shot measures that came into force (delist,
  deduct, evict, ban) through the lower apps' services.
- `vendor_state_recompute` is the ONE writer of the effective-state fields of the lower apps:
  `Store.displayed/trading/closed`, `Vendor.can_publish/marketing_eligible`,
  `Product.searchable/hidden_reason/content_shielded`. It derives them from all the vendor's
  measures in force, so overlapping measures compose and lifting one never undoes another.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Model, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from compliance.models import (
    EVICTING_KINDS,
    HIDE_ALL_PRODUCTS,
    ONE_SHOT_KINDS,
    PRODUCT_KINDS,
    AppliedMeasure,
    CauseType,
    MeasureKind,
)
from compliance.services.effects import measure_execute
from compliance.services.history import ADDED, CHANGED, history_copy_rows
from compliance.sweep.bulk import insert_instances
from marketplace.audit import save_audited
from marketplace.exceptions import PermissionDenied, ValidationFailed
from marketplace.money import to_money
from marketplace.outbox import EventKind, event_emit_many
from marketplace.service_helpers import lock_in_pk_order, lock_row, require_reason
from vendors.models import Store, Vendor

K = MeasureKind
# What each kind does while in force (HIDE_ALL_PRODUCTS: every product of the vendor, models).
STORE_HIDDEN = frozenset({K.SHIELD_STORE, K.CLOSE_STORE, K.EVICT, K.BAN})
STORE_NOT_TRADING = frozenset({K.SUSPEND_TRADING, K.CLOSE_STORE, K.EVICT, K.BAN})
STORE_CLOSED = frozenset({K.CLOSE_STORE, K.EVICT, K.BAN})
NO_PUBLISHING = frozenset({K.RESTRICT_PUBLISHING, K.EVICT, K.BAN})
NO_MARKETING = frozenset({K.MARKETING_INELIGIBLE, K.EVICT, K.BAN})

VENDOR_FIELDS = ("can_publish", "marketing_eligible")
STORE_FIELDS = ("displayed", "trading", "closed")
PRODUCT_FIELDS = ("searchable", "hidden_reason", "content_shielded")


def _now(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else timezone.now()


def measure_apply(
    *,
    vendor: Vendor,
    kind: str,
    cause_type: str,
    cause_id: str = "",
    product: Product | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    days: int | None = None,
    amount: Decimal | str | None = None,
    penalty_case: Any = None,
    awaiting_approval: bool = False,
    actor: Any,
    reason: str,
    recompute: bool = True,
) -> AppliedMeasure:
    """Record a sanction and bring its effect into force; idempotent per cause.

    If the same (vendor, kind, product, cause) is already recorded and not lifted, that record
    is returned and nothing changes (a retried click, a sweep run twice, or two concurrent
    callers: the partial unique constraint lets only one insert win, the other reads it back).
    `days` sets `ends_at` to `starts_at` + N days (MS-7 annex "for N days").
    """
    reason = require_reason(reason)
    if kind not in MeasureKind.values:
        raise ValidationFailed(_("Unknown measure kind."), code="unknown_measure")
    if kind in PRODUCT_KINDS and product is None and kind != K.SHIELD_CONTENT:
        raise ValidationFailed(_("This measure needs a product."), code="product_required")
    if product is not None and product.vendor_id != vendor.pk:
        raise ValidationFailed(
            _("The product does not belong to this vendor."), code="product_vendor"
        )
    if kind == K.DEDUCT_DEPOSIT:
        if amount is None or to_money(amount) <= 0:
            raise ValidationFailed(_("A deduction needs a positive amount."), code="amount")
        if penalty_case is None:
            # MS-3.1.5 ② / MS-7: the ledger entry names the penalty case it carries out.
            raise ValidationFailed(
                _("A deposit deduction is a measure of a penalty case."), code="deduction_case"
            )
        amount = to_money(amount)
    else:
        amount = None
    start = _now(starts_at)
    if days is not None:
        ends_at = start + dt.timedelta(days=days)
    if ends_at is not None and ends_at <= start:
        raise ValidationFailed(_("A measure must end after it starts."), code="ends_before")
    key = {
        "vendor_id": vendor.pk,
        "kind": kind,
        "product_id": product.pk if product else None,
        "cause_type": cause_type,
        "cause_id": str(cause_id),
    }
    with transaction.atomic():
        existing = AppliedMeasure.objects.select_for_update(of=("self",)).filter(
            lifted_at__isnull=True, **key
        )
        found = existing.first()
        if found is not None and found.ends_at is not None and found.ends_at <= start:
            # Ran its course and nobody stamped it: close it so the cause can act anew.
            _stamp_lifted([found], at=found.ends_at, actor=None, reason="ended")
            found = None
        if found is not None:
            return found
        measure = AppliedMeasure(
            **key,
            starts_at=start,
            ends_at=ends_at,
            amount=amount,
            penalty_case=penalty_case,
            awaiting_approval=awaiting_approval,
            reason=reason,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        try:
            with transaction.atomic():  # savepoint: a concurrent twin may have won
                save_audited(measure, actor=actor, reason=reason)
        except IntegrityError:
            return AppliedMeasure.objects.get(lifted_at__isnull=True, **key)
        if recompute and not awaiting_approval:
            measures_execute_due(vendor_ids=[vendor.pk], at=start, actor=actor)
            vendor_state_recompute(vendor_ids=[vendor.pk], at=start, actor=actor, reason=reason)
    return measure


def _stamp_lifted(
    measures: Sequence[AppliedMeasure],
    *,
    at: dt.datetime,
    actor: Any,
    reason: str,
    at_end: bool = False,
) -> None:
    """The one lifting write: stamp these locked, unlifted measures lifted (one `UPDATE`, one
    history `INSERT … SELECT` with `actor` and `reason`), whoever lifts them: a reviewer, the
    end of a cause, a measure that ran its course, the sweep.

    `at_end`: stamp each at its own `ends_at` (a measure that ran its course, "ended") rather
    than at `at`.
    """
    if not measures:
        return
    by = actor if getattr(actor, "pk", None) else None
    for measure in measures:
        measure.lifted_at = measure.ends_at if at_end and measure.ends_at else at
        measure.lifted_by = by
        measure.lift_reason = reason
    pks = [m.pk for m in measures]
    # Each at its own end: one UPDATE setting lifted_at from the row's ends_at.
    lifted_at = Coalesce(F("ends_at"), Value(at)) if at_end else Value(at)
    AppliedMeasure.objects.filter(pk__in=pks).update(
        lifted_at=lifted_at, lifted_by=by, lift_reason=reason
    )
    history_copy_rows(AppliedMeasure, pks=pks, history_type=CHANGED, actor=actor, reason=reason)


def measure_lift(
    *,
    measure: AppliedMeasure,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
    recompute: bool = True,
) -> AppliedMeasure:
    """End one measure early. Idempotent: lifting a lifted measure changes nothing.

    The vendor's state is re-derived from the measures still in force, so another measure
    with the same effect keeps it (overlays compose).
    """
    reason = require_reason(reason)
    moment = _now(at)
    with transaction.atomic():
        locked = lock_row(AppliedMeasure, measure.pk)
        if locked.lifted_at is not None:
            return locked
        _stamp_lifted([locked], at=moment, actor=actor, reason=reason)
        if recompute:
            vendor_state_recompute(
                vendor_ids=[locked.vendor_id], at=moment, actor=actor, reason=reason
            )
    return locked


def measures_lift(
    *,
    cause_type: str,
    cause_ids: Iterable[str] | None = None,
    vendor_ids: Iterable[int] | None = None,
    kinds: Iterable[str] | None = None,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
) -> list[AppliedMeasure]:
    """Lift every unlifted measure of a cause (e.g. a deposit made whole, failures repaired),
    then recompute the vendors concerned once. Returns the measures lifted."""
    moment = _now(at)
    query = AppliedMeasure.objects.select_for_update(of=("self",)).filter(
        lifted_at__isnull=True, cause_type=cause_type
    )
    if cause_ids is not None:
        query = query.filter(cause_id__in=[str(c) for c in cause_ids])
    if vendor_ids is not None:
        query = query.filter(vendor_id__in=list(vendor_ids))
    if kinds is not None:
        query = query.filter(kind__in=list(kinds))
    with transaction.atomic():
        lifted = list(query.order_by("pk"))
        _stamp_lifted(lifted, at=moment, actor=actor, reason=reason)
        if lifted:
            vendor_state_recompute(
                vendor_ids={m.vendor_id for m in lifted}, at=moment, actor=actor, reason=reason
            )
    return lifted


def measures_create_bulk(
    *, measures: Sequence[AppliedMeasure], reason: str
) -> list[AppliedMeasure]:
    """Insert new measures with their "+" history rows (two queries): the sweep's set-based
    rules, under their rule lock, after their plan excluded what is already in place (the
    partial unique constraints on unlifted measures stay the last line of defence). The
    caller then runs `measures_execute_due` where one-shot kinds are created, and
    `vendor_state_recompute` once for all the vendors."""
    if not measures:
        return []
    created = insert_instances(measures)
    history_copy_rows(
        AppliedMeasure, pks=[m.pk for m in created], history_type=ADDED, actor=None, reason=reason
    )
    return created


def measures_lift_bulk(
    *,
    measure_ids: Iterable[int],
    at: dt.datetime,
    reason: str,
    at_end: bool = False,
    actor: Any = None,
) -> list[AppliedMeasure]:
    """Lift the still-unlifted measures among `measure_ids` (lock, update, history: three
    queries), for the sweep's set-based rules; the caller recomputes the vendors once.
    `at_end`: see `_stamp_lifted`."""
    ids = sorted(set(measure_ids))
    if not ids:
        return []
    locked = list(
        lock_in_pk_order(
            AppliedMeasure.objects.filter(pk__in=ids, lifted_at__isnull=True), no_key=True
        )
    )
    _stamp_lifted(locked, at=at, actor=actor, reason=reason, at_end=at_end)
    return locked


def measure_approve(
    *, measure: AppliedMeasure, actor: Any, reason: str, recompute: bool = True
) -> AppliedMeasure:
    """Second approval of an evict, ban or deduction: a compliance lead other than the
    reviewer who proposed it (MS-7, MS-8.3); the measure then comes into force."""
    reason = require_reason(reason)
    if not getattr(actor, "has_perm", None) or not actor.has_perm("compliance.approve_penaltycase"):
        raise PermissionDenied(_("Only a compliance lead may give the second approval."))
    with transaction.atomic():
        locked = lock_row(AppliedMeasure, measure.pk)
        if not locked.awaiting_approval or locked.lifted_at is not None:
            return locked
        if locked.created_by_id == actor.pk:
            raise PermissionDenied(
                _("The second approver must be another compliance lead than the proposer."),
                code="same_approver",
            )
        now = timezone.now()
        locked.awaiting_approval = False
        locked.approved_by = actor
        locked.approved_at = now
        if locked.starts_at < now:
            # Timed measures run from approval, not from the proposal.
            if locked.ends_at is not None:
                locked.ends_at = now + (locked.ends_at - locked.starts_at)
            locked.starts_at = now
        save_audited(
            locked,
            actor=actor,
            reason=reason,
            update_fields=[
                "awaiting_approval",
                "approved_by",
                "approved_at",
                "starts_at",
                "ends_at",
            ],
        )
        if recompute:
            measures_execute_due(vendor_ids=[locked.vendor_id], at=now, actor=actor)
            vendor_state_recompute(
                vendor_ids=[locked.vendor_id], at=now, actor=actor, reason=reason
            )
    return locked


def measures_execute_due(
    *, vendor_ids: Iterable[int], at: dt.datetime | None = None, actor: Any = None
) -> None:
    """Carry out the one-shot measures of these vendors that are in force and not yet carried
    out (delist, deduct, evict, ban), through the lower apps' services, and stamp each
    `executed_at` / `execution_ref`. Called where a measure comes into force (applied without
    a second approver, approved, added; the sweep's SaaS rule), before
    `vendor_state_recompute`. One query when nothing is due; none without vendors.
    """
    ids = sorted(set(vendor_ids))
    if not ids:
        return
    with transaction.atomic():
        _execute_due(ids, _now(at), actor)


def _execute_due(vendor_ids: list[int], at: dt.datetime, actor: Any) -> None:
    due = lock_in_pk_order(
        AppliedMeasure.objects.in_force(at)
        .filter(vendor_id__in=vendor_ids, kind__in=ONE_SHOT_KINDS, executed_at__isnull=True)
        .select_related("vendor", "created_by", "approved_by")
    )
    delist_all = [m for m in due if m.kind == K.DELIST_SAAS_PRODUCTS]
    # Eviction first: a vendor that leaves owes no top-up of what is then deducted
    # (MS-3.1.5 ③ applies to vendors still trading), whatever order the measures came in.
    for measure in sorted(due, key=lambda m: (m.kind not in EVICTING_KINDS, m.pk)):
        if measure.kind == K.DELIST_SAAS_PRODUCTS:
            continue
        by = measure.approved_by or measure.created_by or actor
        measure.execution_ref = measure_execute(measure=measure, at=at, actor=by)
        measure.executed_at = at
        save_audited(
            measure,
            actor=by,
            reason=f"carried out: {measure.execution_ref}",
            update_fields=["executed_at", "execution_ref"],
        )
    if delist_all:
        _delist_saas_products(delist_all, at=at, actor=actor)


def _delist_saas_products(measures: list[AppliedMeasure], *, at: dt.datetime, actor: Any) -> None:
    """MS-4.2 (30 days): delist every listed SaaS product of these vendors, set-based.

    One read of the products, one call of catalog's `products_delist_bulk` per (actor,
    reason) — the sweep's measures all share one — then the measures' `executed_at` /
    `execution_ref` in one bulk update with their history rows (each with its own actor and
    "carried out: …" reason, as the one-by-one path writes them).
    """
    from catalog.services import products_delist_bulk

    listed: dict[int, list[int]] = defaultdict(list)
    for pk, vendor_id in (
        Product.objects.filter(
            vendor_id__in={m.vendor_id for m in measures},
            saas_delivered=True,
            status=Product.Status.LISTED,
        )
        .order_by("pk")
        .values_list("pk", "vendor_id")
    ):
        listed[vendor_id].append(pk)
    # The first measure of a vendor delists its products; a second one finds none listed.
    first: dict[int, AppliedMeasure] = {}
    groups: dict[tuple[Any, str], list[AppliedMeasure]] = defaultdict(list)
    for measure in measures:
        if measure.vendor_id in first:
            continue
        first[measure.vendor_id] = measure
        by = measure.approved_by or measure.created_by or actor
        groups[(by, f"{measure.get_kind_display()}: {measure.reason}")].append(measure)
    delisted: dict[int, list[int]] = defaultdict(list)
    for (by, reason), group in groups.items():
        ids = [pk for m in group for pk in listed.get(m.vendor_id, [])]
        for product in products_delist_bulk(product_ids=ids, actor=by, reason=reason):
            delisted[product.vendor_id].append(product.pk)
    for measure in measures:
        done = delisted.get(measure.vendor_id) if first[measure.vendor_id] is measure else None
        measure.execution_ref = (
            ("products:" + ",".join(map(str, sorted(done))))[:100] if done else "none listed"
        )
        measure.executed_at = at
        measure._history_user = measure.approved_by or measure.created_by or actor  # type: ignore[attr-defined]
        measure._change_reason = f"carried out: {measure.execution_ref}"  # type: ignore[attr-defined]
    AppliedMeasure.objects.bulk_update(measures, ["executed_at", "execution_ref"])
    # Explicit bulk path writing the history rows itself (per-row actor and reason).
    AppliedMeasure.history.bulk_history_create(measures, update=True)


def vendor_state_recompute(
    *,
    vendor_ids: Iterable[int],
    at: dt.datetime | None = None,
    actor: Any = None,
    reason: str,
) -> dict[str, int]:
    """Derive each vendor's effective state from all its measures in force and write it.

    Set-based: a fixed number of queries whatever the number of vendors (lock vendors,
    measures in force, stores, products, then per changed model one `UPDATE` and one history
    `INSERT … SELECT`). It only recomputes: one-shot acts that came into force are carried out
    by `measures_execute_due`, which the callers run first. History rows are written only
    for rows that change, with `actor` and `reason`. Returns how many rows of each model
    changed.
    """
    moment = _now(at)
    ids = sorted(set(vendor_ids))
    changed = {"vendors": 0, "stores": 0, "products": 0}
    if not ids:
        return changed
    with transaction.atomic():
        # Lock the vendors in primary-key order: concurrent recomputes of the same vendor
        # serialise here instead of writing interleaved states. NO KEY UPDATE: rows that
        # merely reference the vendor (an order, a delivery failure) can still be inserted
        # while a sweep's batch holds thousands of vendors (issue 11).
        vendors = list(
            lock_in_pk_order(Vendor.objects.filter(pk__in=ids), no_key=True).values_list(
                "pk", *VENDOR_FIELDS
            )
        )
        previous: dict[str, dict[int, tuple]] = {"stores": {}, "products": {}}
        vendor_changes, store_changes, product_changes = (
            {pk: want for pk, (_vendor, want) in rows.items()}
            for rows in _state_differences(ids, moment, vendors=vendors, previous=previous)
        )

        for model, rows, fields, key in (
            (Vendor, vendor_changes, VENDOR_FIELDS, "vendors"),
            (Store, store_changes, STORE_FIELDS, "stores"),
            (Product, product_changes, PRODUCT_FIELDS, "products"),
        ):
            if rows:
                # Explicit bulk path that writes the history rows itself (DESIGN: no bulk ops
                # on audited models unless they write history).
                _update_grouped(model, fields, rows)
                history_copy_rows(model, pks=rows, history_type=CHANGED, actor=actor, reason=reason)
                changed[key] = len(rows)
        _emit_state_events(store_changes, product_changes, previous, moment)
    return changed


def _emit_state_events(
    store_changes: dict[int, tuple],
    product_changes: dict[int, tuple],
    previous: dict[str, dict[int, tuple]],
    moment: dt.datetime,
) -> None:
    """Issue 14: tell the storefront, in this transaction, what it must show differently.

    Only real changes: a product whose searchability flips (hidden / shown again; a new
    hiding reason on a product already hidden is no news to the storefront), a store whose
    display or trading flags change (suspended while any restriction holds, resumed when
    none is left). One insert per kind whatever the number of rows (set-based).
    """
    at = moment.isoformat()
    hidden, shown = [], []
    for pk, (searchable, hidden_reason, _shielded) in product_changes.items():
        was_searchable = previous["products"][pk][0]
        if was_searchable and not searchable:
            hidden.append((pk, {"product_id": pk, "reasons": hidden_reason, "at": at}))
        elif searchable and not was_searchable:
            shown.append((pk, {"product_id": pk, "at": at}))
    suspended, resumed = [], []
    for pk, (displayed, trading, closed) in store_changes.items():
        state = {
            "store_id": pk,
            "vendor_id": previous["stores"][pk][0],
            "displayed": displayed,
            "trading": trading,
            "closed": closed,
            "at": at,
        }
        (resumed if displayed and trading and not closed else suspended).append((pk, state))
    storefront = ["storefront"]
    for kind, model, items in (
        (EventKind.PRODUCT_HIDDEN, Product, hidden),
        (EventKind.PRODUCT_SHOWN, Product, shown),
        (EventKind.STORE_SUSPENDED, Store, suspended),
        (EventKind.STORE_RESUMED, Store, resumed),
    ):
        event_emit_many(kind=kind, model=model, items=items, channels=storefront)


def state_differences(
    *, vendor_ids: Iterable[int], at: dt.datetime | None = None
) -> dict[str, dict[int, tuple[int, tuple]]]:
    """What `vendor_state_recompute` would write, without writing (read-only, 4 queries).

    `{"vendors"|"stores"|"products": {pk: (vendor_id, wanted values)}}` for the rows whose
    stored effective state differs from the measures in force at `at`; the sweep's safety net
    (issue 9 §5) plans with it.
    """
    ids = sorted(set(vendor_ids))
    vendors = list(
        Vendor.objects.filter(pk__in=ids).order_by("pk").values_list("pk", *VENDOR_FIELDS)
    )
    rows = _state_differences(ids, _now(at), vendors=vendors)
    return dict(zip(("vendors", "stores", "products"), rows, strict=True))


def _state_differences(
    ids: list[int],
    moment: dt.datetime,
    *,
    vendors: list[tuple],
    previous: dict[str, dict[int, tuple]] | None = None,
) -> tuple[dict[int, tuple[int, tuple]], ...]:
    """Derive the effective state of these vendors from their measures in force at `moment`
    and compare it with the stored rows (`vendors`: tuples of pk and VENDOR_FIELDS).

    Returns (vendor, store, product) changes, each `{pk: (vendor_id, wanted values)}`. Rows
    are read as tuples, not model instances; only rows that differ are returned.
    `previous`, when given, receives the stored values of the changed stores and products
    (`{"stores"|"products": {pk: (vendor_id, *stored values)}}`) for the recompute's events.
    """
    kinds_by_vendor: dict[int, set[str]] = defaultdict(set)
    kinds_by_product: dict[int, set[str]] = defaultdict(set)
    for vendor_id, kind, product_id in (
        AppliedMeasure.objects.in_force(moment)
        .filter(vendor_id__in=ids)
        .values_list("vendor_id", "kind", "product_id")
    ):
        kinds_by_vendor[vendor_id].add(kind)
        if product_id is not None:
            kinds_by_product[product_id].add(kind)

    vendor_changes: dict[int, tuple[int, tuple]] = {}
    for pk, *current in vendors:
        kinds = kinds_by_vendor.get(pk, set())
        want = (not (kinds & NO_PUBLISHING), not (kinds & NO_MARKETING))
        if tuple(current) != want:
            vendor_changes[pk] = (pk, want)

    store_changes: dict[int, tuple[int, tuple]] = {}
    stores = Store.objects.filter(vendor_id__in=ids).order_by("pk")
    for pk, vendor_id, *current in stores.values_list("pk", "vendor_id", *STORE_FIELDS):
        kinds = kinds_by_vendor.get(vendor_id, set())
        want = (
            not (kinds & STORE_HIDDEN),
            not (kinds & STORE_NOT_TRADING),
            bool(kinds & STORE_CLOSED),
        )
        if tuple(current) != want:
            store_changes[pk] = (vendor_id, want)
            if previous is not None:
                previous["stores"][pk] = (vendor_id, *current)

    product_changes: dict[int, tuple[int, tuple]] = {}
    products = Product.objects.filter(vendor_id__in=ids).order_by("pk")
    for pk, vendor_id, saas_delivered, *current in products.values_list(
        "pk", "vendor_id", "saas_delivered", *PRODUCT_FIELDS
    ):
        vendor_kinds = kinds_by_vendor.get(vendor_id, set())
        own = kinds_by_product.get(pk, set())
        hiding = (vendor_kinds & HIDE_ALL_PRODUCTS) | (own & {K.HIDE_PRODUCT})
        if saas_delivered and K.HIDE_SAAS_PRODUCTS in vendor_kinds:
            hiding.add(K.HIDE_SAAS_PRODUCTS)
        want = (not hiding, ", ".join(sorted(hiding))[:300], K.SHIELD_CONTENT in own)
        if tuple(current) != want:
            product_changes[pk] = (vendor_id, want)
            if previous is not None:
                previous["products"][pk] = tuple(current)
    return vendor_changes, store_changes, product_changes


def _update_grouped(model: type[Model], fields: Sequence[str], rows: dict[int, tuple]) -> None:
    """Write `rows` (pk -> new values of `fields`) with ONE `UPDATE … WHERE pk IN (…)`.

    Each field's new values are grouped (a handful: booleans, the few combinations of hiding
    kinds): `CASE WHEN pk IN (…) THEN v … END` when they differ, a plain value when they do
    not, instead of bulk_update's `WHEN pk = … THEN …` for every row and field.
    """
    pks = sorted(rows)
    assignments: dict[str, Any] = {}
    for index, name in enumerate(fields):
        groups: dict[Any, list[int]] = defaultdict(list)
        for pk in pks:
            groups[rows[pk][index]].append(pk)
        *others, (last_value, _members) = groups.items()
        field = model._meta.get_field(name)
        last = Value(last_value, output_field=field)
        assignments[name] = (
            Case(
                *(When(pk__in=members, then=Value(v, output_field=field)) for v, members in others),
                default=last,
                output_field=field,
            )
            if others
            else last
        )
    model._base_manager.filter(pk__in=pks).update(**assignments)


__all__ = [
    "CauseType",
    "measure_apply",
    "measure_approve",
    "measure_lift",
    "measures_create_bulk",
    "measures_execute_due",
    "measures_lift",
    "measures_lift_bulk",
    "state_differences",
    "vendor_state_recompute",
]
