"""Vendor status writes: activate, suspend, reinstate, exit, evict (MS-3.1, MS-8).

Each service checks its actor's transition permission (`run_transition`); `actor=None` is the
platform acting under a rule. Eviction is only ever the effect of a penalty that two compliance
leads approved (MS-8.3), so nobody holds `vendors.evict_vendor`: it runs on that authority.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.audit import save_audited
from marketplace.exceptions import StateConflict
from marketplace.service_helpers import require_reason, run_transition
from vendors.models import BannedIdentity, OnboardingApplication, Vendor
from vendors.selectors import DepositPosition, deposit_position
from vendors.services.common import lock_vendor


def _activation_blockers(vendor: Vendor, position: DepositPosition) -> list[str]:
    blockers: list[str] = []
    if not vendor.applications.filter(status=OnboardingApplication.Status.APPROVED).exists():
        blockers.append(str(_("No approved onboarding application.")))
    if position.required <= 0:
        blockers.append(str(_("No deposit tier applies: choose the vendor's categories.")))
    elif not position.whole:
        blockers.append(
            str(_("The onboarding deposit is not paid in full: ¥%(due)s still due."))
            % {"due": position.to_top_up}
        )
    return blockers


def activate_if_ready(vendor: Vendor, *, actor: Any, position: DepositPosition) -> bool:
    """Activate an applying vendor once approved and its deposit paid (MS-3.1.5 ①).

    Called inside a service's transaction with the vendor row locked.
    """
    if vendor.status != Vendor.Status.APPLYING or _activation_blockers(vendor, position):
        return False
    vendor.activate()
    save_audited(
        vendor,
        actor=actor,
        reason="MS-3.1.5 ①: application approved and onboarding deposit paid",
        update_fields=["status"],
    )
    return True


def vendor_activate(*, vendor: Vendor, actor: Any, reason: str) -> Vendor:
    """Activate by hand; refused unless approved and the deposit paid (MS-3.1.5 ①)."""
    reason = require_reason(reason)
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        if vendor.status != Vendor.Status.APPLYING:
            raise StateConflict(_("Only an applying vendor can be activated."))
        blockers = _activation_blockers(vendor, deposit_position(vendor))
        if blockers:
            raise StateConflict(
                _("The vendor cannot be activated yet: %(items)s"),
                code="activation_blocked",
                items=" ".join(blockers),
            )
        vendor.activate()
        save_audited(vendor, actor=actor, reason=reason, update_fields=["status"])
    return vendor


def _transition(
    vendor: Vendor, name: str, *, actor: Any, reason: str, authorised: bool = False
) -> Vendor:
    reason = require_reason(reason)
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        run_transition(vendor, name, actor=None if authorised else actor)
        save_audited(vendor, actor=actor, reason=reason, update_fields=["status"])
    return vendor


def vendor_suspend(*, vendor: Vendor, actor: Any, reason: str) -> Vendor:
    return _transition(vendor, "suspend", actor=actor, reason=reason)


def vendor_reinstate(*, vendor: Vendor, actor: Any, reason: str) -> Vendor:
    return _transition(vendor, "reinstate", actor=actor, reason=reason)


def vendor_exit_begin(*, vendor: Vendor, actor: Any, reason: str) -> Vendor:
    """MS-8.1 / MS-8.2: the term ends or either side ends it."""
    return _transition(vendor, "begin_exit", actor=actor, reason=reason)


def vendor_exit_complete(*, vendor: Vendor, actor: Any, reason: str) -> Vendor:
    """MS-8.4: exit handling done."""
    return _transition(vendor, "complete_exit", actor=actor, reason=reason)


def vendor_evict(*, vendor: Vendor, actor: Any, reason: str) -> Vendor:
    """MS-8.3: evict and ban the credit code and the cloud account for ever."""
    reason = require_reason(reason)
    with transaction.atomic():
        # The penalty's second approver authorised it (compliance checks that before here).
        vendor = _transition(vendor, "evict", actor=actor, reason=reason, authorised=True)
        now = timezone.now()
        for kind, value in (
            (BannedIdentity.Kind.CREDIT_CODE, vendor.credit_code),
            (BannedIdentity.Kind.CLOUD_ACCOUNT, vendor.cloud_account_id),
        ):
            if BannedIdentity.objects.filter(kind=kind, value=value).exists():
                continue  # banned already (an earlier vendor of the same identity)
            ban = BannedIdentity(
                kind=kind,
                value=value,
                vendor=vendor,
                reason=reason,
                banned_at=now,
                banned_by=actor if getattr(actor, "pk", None) else None,
            )
            save_audited(ban, actor=actor, reason=reason)
    return vendor
