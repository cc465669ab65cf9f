"""Writes of the sweep's records outside a run: the vendor reading its inbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.models import VendorNotification
from compliance.services.history import history_copy_rows
from compliance.sweep.selectors import notifications_for_vendor
from marketplace.audit import save_audited
from marketplace.exceptions import NotFound
from marketplace.service_helpers import lock_in_pk_order


def notification_mark_read(*, notification_id: int, actor: Any) -> VendorNotification:
    """Mark one of the actor's vendor's notifications read (idempotent).

    Scoped through the vendor selector: another vendor's notification is "not found".
    """
    with transaction.atomic():
        notification = (
            notifications_for_vendor(user=actor)
            .select_for_update(of=("self",))
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            raise NotFound()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            save_audited(notification, actor=actor, reason="read", update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: Any, rule_id: str = "") -> int:
    """Mark every unread notification of the actor's vendor read (optionally of one rule).

    Read state is per vendor (docs/decisions/vendors.md "Inbox"): a notice tells the company,
    whoever of its staff read it; the history row names who. One UPDATE and one history
    INSERT whatever the number of notices; the rows are locked first so a concurrent
    "mark one" does not write a second history row for the same notice.
    """
    with transaction.atomic():
        unread = notifications_for_vendor(user=actor).filter(read_at__isnull=True)
        if rule_id:
            unread = unread.filter(rule_id=rule_id)
        locked = lock_in_pk_order(unread)
        ids = list(locked.values_list("pk", flat=True))
        if not ids:
            return 0
        now = timezone.now()
        VendorNotification.objects.filter(pk__in=ids).update(read_at=now)  # history below
        history_copy_rows(
            VendorNotification, pks=ids, history_type="~", actor=actor, reason="read", at=now
        )
    return len(ids)
