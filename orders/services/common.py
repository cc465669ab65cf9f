"""Helpers shared by the services: transitions that become domain errors, locking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed

from orders.exceptions import TransitionNotAllowed

M = TypeVar("M", bound=models.Model)


def run_transition(obj: models.Model, method: Callable[..., Any], **kwargs: Any) -> None:
    """Run an FSM transition; a refused one is a 409 with the current state in the message."""
    try:
        method(**kwargs)
    except FSMTransitionNotAllowed as exc:
        status = obj.get_status_display()  # type: ignore[attr-defined]
        raise TransitionNotAllowed(status=str(status)) from exc


def lock(model: type[M], pk: Any) -> M:
    """Re-read a row under a row lock (PostgreSQL), only the row itself (no joined rows)."""
    return model.objects.select_for_update(of=("self",)).get(pk=pk)


def reason_with_caller(reason: str, caller: Any) -> str:
    """History reason for API calls: the user is None, so name the service account."""
    return f"[api:{caller}] {reason}" if caller is not None else reason
