"""Writes of the sweep's records outside a run: the vendor reading its inbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.models import VendorNotification
from compliance.sweep.selectors import notifications_for_vendor
from marketplace.audit import save_audited
from marketplace.exceptions import NotFound


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
