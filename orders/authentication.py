"""API authentication: `Authorization: Bearer <token>` of a service account.

The account comes from the per-process reference-data cache (orders.refdata), checked
against the database's stamp on every request: a deactivated or rotated token is refused on
the next request of every worker. `request.auth` is that checked `RefData`, which the views
hand to the services so that one request reads the stamp once.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from orders import refdata
from orders.models import ServiceAccount
from orders.services.accounts import split_token


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[ServiceAccount, refdata.RefData] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed authorization header."))
        parts = split_token(header[1])
        account = checked = None
        if parts is not None:
            prefix, secret = parts
            checked = refdata.current()
            account = checked.account(prefix)
            if account is not None and not account.token_matches(secret):
                account = None
        if account is None:
            raise exceptions.AuthenticationFailed(_("Invalid or inactive token."))
        return account, checked

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class HasOperation(permissions.BasePermission):
    """Each token is allowed only its own operations (the view names the one it needs)."""

    message = _("This token is not allowed this operation.")

    def has_permission(self, request: Any, view: Any) -> bool:
        account = request.user
        return isinstance(account, ServiceAccount) and account.allows(view.required_operation)


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "orders.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Service account token"}
