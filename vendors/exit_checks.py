"""What must be settled before a deposit is refunded (MS-3.1.5 ④).

This app checks what it owns (vendor state, open top-up obligations, amounts owed). Higher
apps add their own checks (unfinished orders, open penalties, disputes) without this app
importing them:

    from vendors import exit_checks
    exit_checks.register(my_check)  # in AppConfig.ready()

A check is `fn(vendor) -> list[str]`: translated reasons why the refund must wait; an empty
list when nothing is outstanding. Checks run inside the refund service's transaction, with
the vendor row locked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vendors.models import Vendor

ExitCheck = Callable[["Vendor"], list[str]]

_checks: list[ExitCheck] = []


def register(fn: ExitCheck) -> ExitCheck:
    """Register a check once (registering the same function again does nothing)."""
    if fn not in _checks:
        _checks.append(fn)
    return fn


def unregister(fn: ExitCheck) -> None:
    if fn in _checks:
        _checks.remove(fn)


def registered() -> list[ExitCheck]:
    return list(_checks)


def outstanding_reasons(vendor: Vendor) -> list[str]:
    """Every registered check's reasons, in registration order."""
    reasons: list[str] = []
    for check in _checks:
        reasons.extend(str(r) for r in check(vendor))
    return reasons
