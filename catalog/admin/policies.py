"""Rule parameters (MS-2.8, MS-2.6): a row in force is never edited; add a later one."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from catalog.models import KindPolicy, ServiceFeeRate
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.timeutils import china_date


class EffectiveDatedAdmin(SimpleHistoryAdmin):
    """Rows already in force are read-only and kept: past orders were judged by them."""

    def _in_force(self, obj: Any) -> bool:
        return obj is not None and obj.effective_from <= china_date(timezone.now())

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self._in_force(obj):
            return [f.name for f in self.model._meta.fields]
        return list(super().get_readonly_fields(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._in_force(obj) and super().has_delete_permission(request, obj)


@admin.register(KindPolicy)
class KindPolicyAdmin(EffectiveDatedAdmin):
    list_display = [
        "kind",
        "effective_from",
        "review_period_rule",
        "review_period_days",
        "refundable",
        "note",
    ]
    list_filter = ["kind", "review_period_rule", "refundable"]


@admin.register(ServiceFeeRate)
class ServiceFeeRateAdmin(EffectiveDatedAdmin):
    list_display = ["category", "rate", "effective_from", "note"]
    list_filter = ["category"]
    list_select_related = ["category"]
