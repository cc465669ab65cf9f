"""Per-rule locks so that two sweeps, or a sweep and a receiver, never act twice.

On PostgreSQL a transaction-scoped advisory lock per rule: the sweep *tries* it and skips a
rule another run is evaluating (cron starts the next run soon enough); a signal receiver
*waits* for it, so it sees what the sweep committed. Both are released at commit or rollback,
so a killed run leaves no lock behind. SQLite serialises writers anyway: a plain transaction.
"""

from __future__ import annotations

import hashlib

from django.db import connection, transaction


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
