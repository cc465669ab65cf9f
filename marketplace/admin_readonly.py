"""Read-only admin bases: records that only services write (ledgers, logs, sweep results,
decisions) are read in the admin, never added, changed or deleted by hand there."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """For a ModelAdmin: viewable by whoever may view the model; no add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Rows shown under their parent as a table; no blank rows, no delete boxes."""

    extra = 0
    can_delete = False
