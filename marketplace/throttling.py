"""API throttling per service account (issue 8 §3): rates are settings, a 429 says when to retry.

Service accounts are the API's callers (`orders.ServiceAccount`); Django users reaching DRF
views (staff reading the schema) are not throttled here, sign-in lockout guards them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class ServiceAccountRateThrottle(SimpleRateThrottle):
    """`DEFAULT_THROTTLE_RATES["service_account"]`, e.g. "600/minute", per account.

    The rate cache is the default cache: per process with the local-memory cache, shared by
    all workers once `CACHES` points at a shared backend (see README, production).
    """

    scope = "service_account"

    def get_rate(self) -> str | None:
        # Read at request time, not at import, so a changed setting applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        account = request.user
        if not getattr(account, "is_authenticated", False) or isinstance(
            account, AbstractBaseUser
        ):
            return None
        # The creation time keeps a new account that reuses a deleted one's id apart from it.
        created = getattr(account, "created_at", None)
        ident = f"{account._meta.label_lower}:{account.pk}:{created.timestamp() if created else ''}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
