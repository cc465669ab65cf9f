"""Receivers of the platform's domain signals (marketplace.signals)."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def on_calendar_changed(sender: Any, years: list[int], actor: Any, reason: str, **kwargs: Any):
    """MS-3.1.5 ③ ④: a confirmed year or a corrected day moves the open deposit deadlines."""
    from vendors.services.deadlines import deposit_deadlines_recompute

    try:
        deposit_deadlines_recompute(actor=actor, reason=reason)
    except Exception:
        # The calendar change itself is committed; the next change recomputes again.
        logger.exception("recomputing deposit deadlines after calendar change %s failed", years)


def connect() -> None:
    from marketplace.signals import calendar_changed

    calendar_changed.connect(on_calendar_changed, dispatch_uid="vendors.calendar_changed")
