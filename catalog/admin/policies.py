"""Rule parameters (MS-2.8, MS-2.6): a row in force is never edited; add a later one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
    list_display = ["applies_to", "rate_percent", "effective_from", "note"]
    list_filter = ["category"]
    list_select_related = ["category"]

    @admin.display(description=_("category"), ordering="category__name")
    def applies_to(self, obj: ServiceFeeRate) -> Any:
        return obj.category or _("Every category without its own rate (default)")

    @admin.display(description=_("rate"), ordering="rate")
    def rate_percent(self, obj: ServiceFeeRate) -> str:
        """0.1000 → "10%": the rate as people say it (issue 12 §2)."""
        return percent_text(obj.rate)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self._in_force(obj):  # read-only: the percentage, not the stored fraction
            return ["applies_to", "rate_percent", "effective_from", "note"]
        return list(super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "rate_percent", "applies_to"] if self._in_force(obj) else readonly


def percent_text(rate: Decimal | None) -> str:
    if rate is None:
        return "-"
    number = (Decimal(rate) * 100).quantize(Decimal("0.01"))
    return f"{number:f}".rstrip("0").rstrip(".") + "%"
