"""The violation table (editable by the compliance lead only)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from compliance.admin.common import (
    measure_phrase,
)
from compliance.models import (
    ViolationLevel,
    ViolationMeasure,
    ViolationType,
    ViolationVersion,
)
from marketplace.admin_readonly import ReadOnlyTabularInline
from marketplace.history_admin import SimpleHistoryAdmin

# --- the violation table --------------------------------------------------------------------


class ViolationMeasureInline(admin.TabularInline):
    model = ViolationMeasure
    extra = 0
    fields = ("kind", "duration_days", "amount")

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.cases.exists()

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(ViolationVersion)
class ViolationVersionAdmin(SimpleHistoryAdmin):
    """A version that has judged a case is frozen (MS-9.2): change the rules with a new
    version effective from a later date."""

    list_display = ("violation", "effective_from", "level", "name_zh", "name_en", "measure_list")
    list_select_related = ("violation",)
    list_filter = ("level", "effective_from")
    search_fields = ("violation__code", "name_zh", "name_en")
    inlines = [ViolationMeasureInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("measures")

    @admin.display(description=_("measures"))
    def measure_list(self, obj: ViolationVersion):
        return format_html_join(
            ", ",
            "{}",
            (
                (
                    measure_phrase(
                        kind=m.kind,
                        amount=m.amount,
                        days=m.duration_days,
                    ),
                )
                for m in obj.measures.all()
            ),
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.cases.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(ReadOnlyTabularInline):
    model = ViolationVersion
    fields = ("effective_from", "level", "name_zh", "name_en")
    readonly_fields = fields
    show_change_link = True


@admin.register(ViolationType)
class ViolationTypeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "current_name", "current_level", "retired")
    list_filter = ("retired",)
    search_fields = ("code",)
    inlines = [VersionInline]

    def get_queryset(self, request):
        latest = ViolationVersion.objects.filter(
            violation=OuterRef("pk"), effective_from__lte=timezone.localdate()
        ).order_by("-effective_from")
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_name_zh=Subquery(latest.values("name_zh")[:1]),
                current_name_en=Subquery(latest.values("name_en")[:1]),
                current_level=Subquery(latest.values("level")[:1]),
            )
        )

    @admin.display(description=_("type (in force today)"))
    def current_name(self, obj) -> str:
        chinese = (get_language() or "zh-hans").startswith("zh")
        return (obj.current_name_zh if chinese else obj.current_name_en) or "-"

    @admin.display(description=_("level"))
    def current_level(self, obj) -> str:
        levels = dict(ViolationLevel.choices)
        return str(levels.get(obj.current_level, obj.current_level or "-"))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
