"""django-axes' own admin action "Clean up expired attempts" is a 500 (issue 9 §4 crawl).

Its handler reads `request.axes_attempt_time`, which axes sets only on sign-in requests.
Installed once from `MarketplaceConfig.ready()`: the action first stamps the request the way
axes' handlers do.
"""

from __future__ import annotations

import functools


def install() -> None:
    from axes.admin import AccessAttemptAdmin
    from axes.handlers.proxy import AxesProxyHandler

    original = AccessAttemptAdmin.cleanup_expired_attempts
    if getattr(original, "_stamped", False):
        return

    @functools.wraps(original)
    def cleanup_expired_attempts(self, request, queryset):
        AxesProxyHandler.update_request(request)
        return original(self, request, queryset)

    cleanup_expired_attempts._stamped = True
    AccessAttemptAdmin.cleanup_expired_attempts = cleanup_expired_attempts
