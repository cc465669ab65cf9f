"""The stamp of the order API's cached reference data (issue 11, see orders.refdata).

Service accounts, kind refund policies and service-fee rates are cached in each process's
memory. This one row holds a random value that is replaced, in the same transaction, whenever
any of those rows is saved or deleted; every API request reads it (one primary-key query)
and drops its process's cache when it changed. A random value, not a counter: a rolled-back
change must never leave a value behind that a later change could repeat.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

__all__ = ["REFDATA_MODELS", "RefDataStamp", "bump_refdata_stamp"]

# The rows the API caches; saving or deleting one of them changes the stamp.
REFDATA_MODELS = ("catalog.KindPolicy", "catalog.ServiceFeeRate", "orders.ServiceAccount")
STAMP_PK = 1


class RefDataStamp(models.Model):
    """One row (pk 1): changes whenever the API's cached reference data changes."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=STAMP_PK)
    value = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("reference data stamp")
        default_permissions = ()

    def __str__(self) -> str:
        return self.value


def bump_refdata_stamp(using: str = "default") -> str:
    """Give the stamp a new value inside the caller's transaction; returns it."""
    value = uuid.uuid4().hex
    if not RefDataStamp.objects.using(using).filter(pk=STAMP_PK).update(value=value):
        # The row is missing (a flushed test database): put it back.
        try:
            with transaction.atomic(using=using):
                RefDataStamp.objects.using(using).create(pk=STAMP_PK, value=value)
        except IntegrityError:  # a concurrent writer put it back first
            RefDataStamp.objects.using(using).filter(pk=STAMP_PK).update(value=value)
    return value


def _changed(sender: Any, using: str = "default", **kwargs: Any) -> None:
    bump_refdata_stamp(using)


# Lazy senders ("app.Model"): connected once the catalog models are loaded, without editing
# the catalog app. Historical models of migrations are other classes and do not fire these;
# the cache's maximum age (orders.refdata) covers writes that bypass save() and delete().
for _label in REFDATA_MODELS:
    post_save.connect(_changed, sender=_label, dispatch_uid=f"refdata-save-{_label}")
    post_delete.connect(_changed, sender=_label, dispatch_uid=f"refdata-delete-{_label}")
