"""Template context shared by admin and vendor pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from marketplace.timeutils import china_date
from marketplace.workcalendar import unconfirmed_years


def calendar_warning(request: HttpRequest) -> dict:
    """Reviewers are warned on every admin page while next year's calendar is unconfirmed."""
    user = getattr(request, "user", None)
    # An API token's caller (a service account, e.g. on /api/docs/) has no is_staff.
    if not (user and user.is_authenticated and getattr(user, "is_staff", False)):
        return {}
    years = unconfirmed_years(china_date(timezone.now()))
    # The banner links each year to its confirm page for those who may confirm it.
    can_confirm = bool(years) and user.has_perm("marketplace.confirm_calendaryear")
    return {
        "unconfirmed_calendar_years": years,
        "calendar_confirm_links": [
            (year, reverse("admin:marketplace_calendaryear_confirm", args=[year]))
            for year in years
        ]
        if can_confirm
        else [],
    }
