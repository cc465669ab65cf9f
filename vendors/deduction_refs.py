"""What a deposit deduction's reference must name (MS-3.1.5 ②), checked by the app that owns it.

A deduction for a violation names a penalty case (compliance); one for a refund compensation
names a refund or clawback (orders). This app cannot import those apps, so they register a
checker per cause in their `AppConfig.ready()`, as `exit_checks` does:

    from vendors import deduction_refs
    deduction_refs.register("violation", check_case_reference)

A checker is `fn(vendor, reference, amount) -> str | None`: a translated reason why the
reference is not acceptable, or None. It runs inside `deposit_deduct`'s transaction, with the
vendor row locked. A cause nobody checks is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vendors.models import Vendor

ReferenceCheck = Callable[["Vendor", str, Decimal], "str | None"]

_checks: dict[str, ReferenceCheck] = {}


def register(cause: str, fn: ReferenceCheck) -> ReferenceCheck:
    """The one checker of `cause` (registering again replaces it)."""
    _checks[str(cause)] = fn
    return fn


def checker(cause: str) -> ReferenceCheck | None:
    return _checks.get(str(cause))


def refusal(vendor: Vendor, cause: str, reference: str, amount: Decimal) -> str | None:
    """Why this reference cannot back a deduction of this cause, or None when it can."""
    check = _checks.get(str(cause))
    if check is None:
        return "unchecked"
    reason = check(vendor, reference, amount)
    return str(reason) if reason else None
