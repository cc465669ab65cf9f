"""Template context shared by admin and vendor pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from marketplace.timeutils import china_date
from marketplace.workcalendar import unconfirmed_years


def calendar_warning(request: HttpRequest) -> dict:
    """Reviewers are warned on every admin page while next year's calendar is unconfirmed."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.is_staff):
        return {}
    return {"unconfirmed_calendar_years": unconfirmed_years(china_date(timezone.now()))}
