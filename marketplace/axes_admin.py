"""django-axes' own admin action "Clean up expired attempts" is a 500 (issue 9 §4 crawl).

Its handler reads `request.axes_attempt_time`, which axes sets only on sign-in requests.
Installed once from `MarketplaceConfig.ready()`: the action first stamps the request the way
axes' handlers do.
"""

from __future__ import annotations

import functools

from django.utils.translation import gettext_noop


def install() -> None:
    from axes.admin import AccessAttemptAdmin
    from axes.handlers.proxy import AxesProxyHandler

    # The unlock list (issue 8 §3) shows who, from where, how often; the long user-agent
    # column pushed the status off the page, so it stays on the detail page only.
    AccessAttemptAdmin.list_display = [
        f for f in AccessAttemptAdmin.list_display if f != "user_agent"
    ]
    original = AccessAttemptAdmin.cleanup_expired_attempts
    if getattr(original, "_stamped", False):
        return

    @functools.wraps(original)
    def cleanup_expired_attempts(self, request, queryset):
        AxesProxyHandler.update_request(request)
        return original(self, request, queryset)

    cleanup_expired_attempts._stamped = True
    AccessAttemptAdmin.cleanup_expired_attempts = cleanup_expired_attempts


# django-axes ships no Chinese: its admin strings, listed so makemessages keeps them in the
# marketplace catalogue (Django looks a msgid up in every catalogue).
AXES_STRINGS = [
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
]
