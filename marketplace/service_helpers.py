"""The building blocks every app's services share: the audit reason, state transitions with
their permission, and locking several rows without deadlocks.

Where permissions are checked (one rule for every app, docs/decisions/platform.md): the
service that makes a change checks that its `actor` may make it. A transition's permission is
the `permission=` on the model's `@transition`, checked by `run_transition`; a change that is
not a transition calls `require_perm`. `actor=None` is the platform acting under a rule (the
compliance sweep, a receiver of a domain signal). A REST API service account is authorised by
its token's scopes, which the API view checks; the orders services name it in the audit
reason and pass no person on. Admin actions and vendor pages check the same permission first
only to decide what to offer.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

from marketplace.exceptions import PermissionDenied, ReasonRequired, TransitionRefused

M = TypeVar("M", bound=models.Model)


def require_reason(reason: str | None) -> str:
    """The audit reason of a change: required, trimmed."""
    text = (reason or "").strip()
    if not text:
        raise ReasonRequired()
    return text


def require_perm(actor: Any, perm: str) -> None:
    """A person needs `perm`; the platform acting under a rule (`actor=None`) needs none."""
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied()


def transition_allowed(obj: models.Model, name: str, actor: Any) -> bool:
    """Whether `actor` may run transition `name` on `obj` now (state, conditions, permission):
    what admin actions and pages ask before offering it."""
    method = getattr(obj, name)
    return can_proceed(method) and (actor is None or has_transition_perm(method, actor))


def state_label(obj: models.Model, name: str) -> str:
    """The current state of `obj`, as people read it, in the field transition `name` moves."""
    field = getattr(obj, name)._django_fsm.field
    field_name = field if isinstance(field, str) else field.name
    return str(getattr(obj, f"get_{field_name}_display")())


def run_transition(obj: models.Model, name: str, *, actor: Any, **kwargs: Any) -> Any:
    """Run the FSM transition `name` on `obj` in memory (the caller saves it, with its reason).

    Refused with `TransitionRefused` (409) when the current state or the transition's
    conditions do not allow it, and with `PermissionDenied` (403) when `actor` lacks the
    transition's `permission=`. `kwargs` go to the transition method.
    """
    method = getattr(obj, name)
    if not can_proceed(method):
        raise TransitionRefused(
            _("This action is not allowed while the %(object)s is %(state)s."),
            object=obj._meta.verbose_name,
            state=state_label(obj, name),
        )
    if actor is not None and not has_transition_perm(method, actor):
        raise PermissionDenied()
    return method(**kwargs)


def lock_in_pk_order(queryset: QuerySet[M], *, no_key: bool = False) -> QuerySet[M]:
    """The rows of `queryset` locked (PostgreSQL row locks, only the rows themselves) in
    primary-key order.

    Every service that locks more than one row of a table goes through here: two
    transactions that lock the same rows always take them in the same order, so they queue
    instead of deadlocking. `no_key` takes FOR NO KEY UPDATE, which leaves inserts of rows
    that refer to these ones free (the sweep's batches). Evaluate it inside
    `transaction.atomic()`.
    """
    return queryset.select_for_update(of=("self",), no_key=no_key).order_by("pk")


def lock_row(model: type[M], pk: Any) -> M:
    """Re-read one row under a row lock; `DoesNotExist` when it is gone."""
    return model.objects.select_for_update(of=("self",)).get(pk=pk)
