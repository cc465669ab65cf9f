"""Reference data: the rows the rules need before anyone can work (issue 10).

Each app that owns such rows has a `reference_data.py` with an idempotent
`load_reference_data(apps=None, *, using="default")`:

- `vendors`: the default categories with their deposit tiers, the first service agreement;
- `catalog`: the kind refund policies and the default service-fee rate;
- `orders`: the stamp row of the order API's reference-data cache;
- `compliance`: the violation table (MS-7 annex).

The app's data migrations call it with their historical app registry (so they keep working
on the models as they were at that migration); the test suite calls it with the real one
after a transactional test flushed every table (the root `conftest.py`). A row that exists
is left as it is: reviewers edit these tables in the admin, with history, and a later
revision is a new row effective from its own date, never an edit of the loaded one.

The role groups are not loaded here: they need every app's permissions, which exist only
after all migrations ran, so `marketplace.roles.sync_role_groups` syncs them on
`post_migrate` (which a flush sends again).

This module holds the two helpers the loaders share and `load_every_app()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.apps import apps as global_apps

MODULE = "reference_data"


def get_or_add(
    model: Any, lookup: dict[str, Any], defaults: dict[str, Any], *, using: str
) -> tuple[Any, bool]:
    """`get_or_create` that writes no history: the loaders write the history row themselves
    (`add_history`), as the first data migrations did, because historical models send no
    simple-history signals and the real models would. Same rows from either registry."""
    obj = model._default_manager.using(using).filter(**lookup).first()
    if obj is not None:
        return obj, False
    obj = model(**lookup, **defaults)
    obj.skip_history_when_saving = True  # read by simple-history; plain attribute otherwise
    obj.save(using=using, force_insert=True)
    return obj, True


def add_history(
    history_model: Any,
    obj: Any,
    fields: Iterable[str],
    *,
    when: dt.datetime,
    reason: str,
    using: str,
) -> None:
    """The "+" history row of a loaded row (no user: the rule book loaded it)."""
    history_model._default_manager.using(using).create(
        **{field: getattr(obj, field) for field in fields},
        history_date=when,
        history_type="+",
        history_change_reason=reason,
    )


def load_every_app(*, using: str = "default") -> None:
    """Every app's `load_reference_data()`, in the order of INSTALLED_APPS (lower apps first,
    as the imports go), with the real models."""
    for config in global_apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.{MODULE}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{MODULE}":
                raise
            continue
        load = getattr(module, "load_reference_data", None)
        if load is not None:
            load(using=using)
