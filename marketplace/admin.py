"""Admin for platform-wide data: the working calendar (MS-3.1.5 ③ ④ count working days).

Finance and onboarding reviewers maintain it: they enter the State Council's holiday notice
as overrides (each change with a reason) and confirm the year on its confirm page, which the
"not confirmed" banner links to. Every change goes through `marketplace.services`, which tells
the apps holding working-day deadlines to recompute them.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.admin_actions import ReasonForm
from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.holidays import HOLIDAY_LABELS, statutory_holiday_names
from marketplace.models import CalendarOverride, CalendarYear
from marketplace.services import calendar_override_save, calendar_year_confirm
from marketplace.timeutils import china_date
from marketplace.workcalendar import package_years

admin.site.site_header = _("Cloud marketplace operations")
admin.site.site_title = _("Marketplace operations")
admin.site.index_title = _("Back office")

CONFIRMABLE_YEARS_AHEAD = 2  # this year and the next two: the State Council publishes late


class CalendarOverrideForm(forms.ModelForm):
    reason = ReasonForm.base_fields["reason"]

    class Meta:
        model = CalendarOverride
        fields = ["day", "kind", "note"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(SimpleHistoryAdmin):
    form = CalendarOverrideForm
    list_display = ["day", "weekday", "kind", "note"]
    list_filter = ["kind"]
    date_hierarchy = "day"
    search_fields = ["note"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarOverride) -> str:
        return gettext(obj.day.strftime("%A"))

    def save_model(self, request, obj, form, change) -> None:
        previous = form.initial.get("day") if change else None
        calendar_override_save(
            override=obj,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            previous_day=previous,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # A wrong override is corrected by editing it (with a reason): every state of the
        # calendar that judged a deadline stays in the history.
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "status", "confirmed_at", "confirmed_by", "note", "confirm_link"]
    readonly_fields = ["confirmed_at", "confirmed_by"]
    fields = ["year", "note", "confirmed_at", "confirmed_by"]

    @admin.display(description=_("status"))
    def status(self, obj: CalendarYear) -> str:
        if obj.confirmed or obj.year in package_years():
            return gettext("Confirmed")
        return gettext("Not confirmed: deadlines in it are provisional")

    @admin.display(description="")
    def confirm_link(self, obj: CalendarYear) -> str:
        if obj.confirmed:
            return ""
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:marketplace_calendaryear_confirm", args=[obj.year]),
            gettext("Review and confirm"),
        )

    def save_model(self, request, obj, form, change) -> None:
        from marketplace.audit import save_audited

        save_audited(obj, actor=request.user, reason=gettext("calendar year edited in admin"))

    def get_urls(self):
        return [
            path(
                "confirm/<int:year>/",
                self.admin_site.admin_view(self.confirm_view),
                name="marketplace_calendaryear_confirm",
            ),
            *super().get_urls(),
        ]

    def confirm_view(self, request: HttpRequest, year: int) -> HttpResponse:
        """One year's page: what the calendar holds for it, and the confirmation with reason."""
        if not request.user.has_perm("marketplace.confirm_calendaryear"):
            raise PermissionDenied
        this_year = china_date(timezone.now()).year
        if not this_year - 1 <= year <= this_year + CONFIRMABLE_YEARS_AHEAD:
            raise Http404
        record = CalendarYear.objects.filter(year=year).first()
        form = ReasonForm(
            request.POST or None,
            help_text=_("Recorded in the history with your name, e.g. the notice's number."),
        )
        if request.method == "POST" and form.is_valid():
            try:
                calendar_year_confirm(
                    year=year, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    gettext(
                        "The working calendar of %(year)s is confirmed. Open deposit deadlines "
                        "were computed again, and vendors whose deadline moved are notified."
                    )
                    % {"year": year},
                )
                return HttpResponseRedirect(reverse("admin:marketplace_calendaryear_changelist"))
        overrides = CalendarOverride.objects.filter(day__year=year).order_by("day")
        overridden = {o.day for o in overrides}
        estimate = [
            {
                "day": day,
                "label": HOLIDAY_LABELS[key],
                "weekend": day.weekday() >= 5,
                "entered": day in overridden,
            }
            for day, key in statutory_holiday_names(year).items()
        ]
        add_url = reverse("admin:marketplace_calendaroverride_add")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Working calendar of %(year)s") % {"year": year},
            "year": year,
            "record": record,
            "official": year in package_years(),
            "overrides": overrides,
            "estimate": estimate,
            "add_holiday_url": f"{add_url}?kind={CalendarOverride.Kind.HOLIDAY}",
            "add_workday_url": f"{add_url}?kind={CalendarOverride.Kind.WORKDAY}",
            "first_day": dt.date(year, 1, 1),
            "form": form,
            "can_add_override": request.user.has_perm("marketplace.add_calendaroverride"),
        }
        return TemplateResponse(request, "admin/marketplace/calendar_year_confirm.html", context)


from marketplace import two_factor_admin  # noqa: E402,F401  (issue 8 §3: 2FA admin)
