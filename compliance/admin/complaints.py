"""Service complaints reported by the storefront (MS-4.3 / MS-4.4), read only."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import ServiceComplaint
from marketplace.history_admin import SimpleHistoryAdmin


@admin.register(ServiceComplaint)
class ServiceComplaintAdmin(SimpleHistoryAdmin):
    """MS-4.3 / MS-4.4: complaints as the storefront reported them; read only here (the
    case they opened is decided on the case's own page)."""

    list_display = ["occurred", "vendor", "kind", "order", "case"]
    list_filter = ["kind"]
    list_select_related = ["vendor", "order", "case"]
    search_fields = ["external_id__exact", "vendor__name"]
    fields = [
        "vendor",
        "order",
        "channel",
        "external_id",
        "kind",
        "occurred",
        "description",
        "case",
    ]
    readonly_fields = fields

    @admin.display(description=_("occurred at (China time)"), ordering="occurred_at")
    def occurred(self, obj: ServiceComplaint) -> str:
        return timezone.localtime(obj.occurred_at).strftime("%Y-%m-%d %H:%M")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
