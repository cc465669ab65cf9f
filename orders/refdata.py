"""Reference data of the order API, cached per process and checked on every request (issue 11).

Every order creation needs its caller's service account, the product kind's refund policy and
the service-fee rate; a reviewer changes them a few times a year. Each process keeps them in
memory under the value of `RefDataStamp` it read them at. A request reads the stamp (one
primary-key query, in `current()`) and starts from an empty cache when the value changed.

Why a stamp in the database and not Django's cache: the default local-memory cache lives in
one gunicorn worker and cannot be cleared from another worker, let alone another app server,
so a deactivated token or a new fee rate would stay in use until every worker happened to
expire it. A shared cache server (Redis, memcached) would be a new service to run; Django's
database cache costs one query per read just as the stamp does. Saving or deleting a cached
row gives the stamp a new random value in the same transaction (orders.models.refdata), so
the next request of any worker on any server sees it the moment the change commits.

Writes that bypass save()/delete() (a queryset update, raw SQL, a migration's historical
models) send no signal; none exists for these models today, and `MAX_AGE` bounds the damage
if one appears.

Specifications are not cached: whether one is on sale depends on its product, vendor and
store, which compliance changes with set-based updates that send no signals.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connections
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import NotFound
from marketplace.timeutils import china_date
from orders.models.refdata import STAMP_PK, RefDataStamp

if TYPE_CHECKING:
    from catalog.models import KindPolicy
    from orders.models import ServiceAccount

__all__ = ["MAX_AGE", "RefData", "current"]

# Seconds a process trusts its cache without a stamp change (a safety net only, see above).
MAX_AGE = 60.0
# Unknown token prefixes remembered per stamp (probing with random tokens costs a query each
# once this many were seen).
MAX_UNKNOWN_PREFIXES = 1000

_STAMP_SQL = f'SELECT "value" FROM "{RefDataStamp._meta.db_table}" WHERE "id" = %s'  # noqa: S608


class RefData:
    """The cached reference data at one stamp. Read-only: never modify what it returns."""

    def __init__(self, stamp: str | None, using: str = "default") -> None:
        self.stamp = stamp
        self.using = using
        self.loaded_at = time.monotonic()
        self._accounts: dict[str, ServiceAccount | None] = {}
        self._unknown = 0
        self._policies: dict[str, list[KindPolicy]] | None = None
        self._rates: dict[int | None, list[tuple[dt.date, Decimal]]] | None = None

    # --- service accounts ---------------------------------------------------------------

    def account(self, token_prefix: str) -> ServiceAccount | None:
        """The active service account of a token prefix (None: no such active account)."""
        try:
            return self._accounts[token_prefix]
        except KeyError:
            pass
        from orders.models import ServiceAccount

        account = (
            ServiceAccount.objects.using(self.using)
            .filter(token_prefix=token_prefix, active=True)
            .first()
        )
        if account is not None or self._unknown < MAX_UNKNOWN_PREFIXES:
            self._unknown += account is None
            self._accounts[token_prefix] = account
        return account

    # --- rule parameters (the same answers as catalog.selectors, without a query) --------

    def kind_policy(self, kind: str, on: dt.date | dt.datetime) -> KindPolicy:
        """As `catalog.selectors.kind_policy`: the policy of `kind` in force on `on`."""
        if self._policies is None:
            from catalog.models import KindPolicy

            policies: dict[str, list[KindPolicy]] = {}
            rows = KindPolicy.objects.using(self.using).order_by("kind", "-effective_from")
            for policy in rows:
                policies.setdefault(policy.kind, []).append(policy)
            self._policies = policies
        day = _as_china_date(on)
        for policy in self._policies.get(kind, ()):  # newest first
            if policy.effective_from <= day:
                return policy
        raise NotFound(
            _("No refund policy is in force for product kind %(kind)s on %(day)s."),
            code="no_kind_policy",
            kind=kind,
            day=day.isoformat(),
        )

    def service_fee_rate(self, category_id: int | None, on: dt.date | dt.datetime) -> Decimal:
        """As `catalog.selectors.service_fee_rate`: the category's own rate, else the default."""
        if self._rates is None:
            from catalog.models import ServiceFeeRate

            rates: dict[int | None, list[tuple[dt.date, Decimal]]] = {}
            rows = (
                ServiceFeeRate.objects.using(self.using)
                .order_by("-effective_from")
                .values_list("category_id", "effective_from", "rate")
            )
            for category, since, rate in rows:
                rates.setdefault(category, []).append((since, rate))
            self._rates = rates
        day = _as_china_date(on)
        keys = (category_id, None) if category_id is not None else (None,)
        for key in keys:
            for since, rate in self._rates.get(key, ()):  # newest first
                if since <= day:
                    return rate
        raise NotFound(
            _("No service fee rate is in force on %(day)s."),
            code="no_service_fee_rate",
            day=day.isoformat(),
        )


def _as_china_date(on: dt.date | dt.datetime) -> dt.date:
    return china_date(on) if isinstance(on, dt.datetime) else on


_current: dict[str, RefData] = {}  # per database alias; replaced, never changed in place


def read_stamp(using: str = "default") -> str | None:
    with connections[using].cursor() as cursor:
        cursor.execute(_STAMP_SQL, [STAMP_PK])
        row = cursor.fetchone()
    return row[0] if row else None


def current(using: str = "default") -> RefData:
    """The reference data as of now: one query (the stamp), the rest from memory."""
    stamp = read_stamp(using)
    cached = _current.get(using)
    if (
        cached is not None
        and stamp is not None
        and cached.stamp == stamp
        and time.monotonic() - cached.loaded_at < MAX_AGE
    ):
        return cached
    fresh = RefData(stamp, using)
    if stamp is not None:  # no stamp row (a flushed test database): never reuse
        _current[using] = fresh
    else:
        _current.pop(using, None)
    return fresh


def clear() -> None:
    """Forget every process cache (tests)."""
    _current.clear()
