"""Per-rule locks so that two sweeps, or a sweep and a receiver, never act twice.

On PostgreSQL a transaction-scoped advisory lock per rule: the sweep *tries* it and skips a
rule another run is evaluating (cron starts the next run soon enough); the background task
that acts for one vendor *waits* for it, so it sees what the sweep committed. A signal
receiver runs inside a web request, which must never wait for a sweep's batch: it waits at
most a short `lock_timeout` (`bound_lock_waits`) for this lock and for every row lock its
transaction takes, and when that is not enough it hands the work to the task
(compliance/receivers.py). All are released at commit or rollback, so a killed run leaves no
lock behind. SQLite serialises writers anyway: a plain transaction.
"""

from __future__ import annotations

import hashlib

from django.db import OperationalError, connection, transaction

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout that ran out


def lock_key(rule_name: str) -> int:
    """A stable signed 64-bit key per rule (advisory locks are bigint)."""
    digest = hashlib.blake2b(f"compliance.sweep:{rule_name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rule locks are transaction-scoped: call inside transaction.atomic()")


def try_rule_lock(rule_name: str) -> bool:
    """Take the rule's lock if free; False when another run holds it."""
    _require_transaction()
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_key(rule_name)])
        return bool(cursor.fetchone()[0])


def wait_rule_lock(rule_name: str) -> None:
    """Wait for the rule's lock (receivers: acting at once must not race the sweep)."""
    _require_transaction()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(rule_name)])


def bound_lock_waits(timeout_ms: int) -> str | None:
    """Make every lock wait of the current transaction give up after `timeout_ms` (the
    rule's advisory lock and the row locks alike): PostgreSQL `lock_timeout`, set local to
    the transaction. Returns the previous value for `restore_lock_waits` (None on SQLite,
    where there is nothing to bound)."""
    _require_transaction()
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
            [f"{int(timeout_ms)}ms"],
        )
        return cursor.fetchone()[0]


def restore_lock_waits(previous: str | None) -> None:
    """Put back the `lock_timeout` in force before `bound_lock_waits` (an enclosing
    transaction keeps its own)."""
    if previous is None:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether `exc` is a lock wait that ran out of its `lock_timeout`."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE
