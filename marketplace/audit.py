"""Audit helpers: every business change records who, when and why (simple-history)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models


def save_audited(
    obj: models.Model,
    *,
    actor: Any,
    reason: str,
    update_fields: Iterable[str] | None = None,
) -> None:
    """Save `obj` so that its history row names `actor` and `reason`.

    `actor` may be None for the system (the sweep, a signal receiver); the reason then says
    which rule acted.
    """
    obj._history_user = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save(update_fields=list(update_fields) if update_fields is not None else None)


def create_audited(model: type[models.Model], *, actor: Any, reason: str, **fields: Any):
    obj = model(**fields)
    save_audited(obj, actor=actor, reason=reason)
    return obj
