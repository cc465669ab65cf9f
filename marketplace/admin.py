"""Admin for platform-wide data: the working calendar."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.models import CalendarOverride, CalendarYear
from marketplace.timeutils import china_date
from marketplace.workcalendar import unconfirmed_years

admin.site.site_header = _("Cloud marketplace operations")
admin.site.site_title = _("Marketplace operations")
admin.site.index_title = _("Back office")


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(SimpleHistoryAdmin):
    list_display = ["day", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "day"
    search_fields = ["note"]


@admin.register(CalendarYear)
class CalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "confirmed_at", "confirmed_by", "note"]
    readonly_fields = ["confirmed_at", "confirmed_by"]
    actions = ["confirm_years"]

    def changelist_view(self, request, extra_context=None):
        for year in unconfirmed_years(china_date(timezone.now())):
            messages.warning(
                request,
                _(
                    "The working calendar of %(year)s is not confirmed: deadlines in it are "
                    "provisional. Enter its holidays as overrides, then confirm the year."
                )
                % {"year": year},
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Confirm the selected years' calendars"), permissions=["confirm"])
    def confirm_years(self, request, queryset):
        from marketplace.services import calendar_year_confirm

        for year in queryset:
            calendar_year_confirm(year=year.year, actor=request.user, reason="confirmed in admin")
        self.message_user(request, _("Confirmed."), messages.SUCCESS)

    def has_confirm_permission(self, request) -> bool:
        return request.user.has_perm("marketplace.confirm_calendaryear")
