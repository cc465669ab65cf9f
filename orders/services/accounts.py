"""Service-account services: create one and show its token once; rotate; deactivate."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from marketplace.audit import save_audited
from marketplace.exceptions import ValidationFailed
from marketplace.service_helpers import lock_row
from orders.models import ApiOperation, ServiceAccount
from orders.models.accounts import hash_token

__all__ = ["service_account_create", "service_account_rotate_token"]

TOKEN_LEADER = "mkt"


def _new_token() -> tuple[str, str, str]:
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_LEADER}_{prefix}_{secret}", prefix, hash_token(secret)


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_LEADER:
        return None
    return parts[1], parts[2]


@transaction.atomic
def service_account_create(
    *, name: str, channel: str, operations: list[str], actor: Any
) -> tuple[ServiceAccount, str]:
    """Returns (account, token). The token is not stored and can never be shown again."""
    unknown = sorted(set(operations) - set(ApiOperation.values))
    if unknown:
        raise ValidationFailed(
            _("Unknown operations: %(ops)s."), code="unknown_operation", ops=", ".join(unknown)
        )
    if not name.strip() or not channel.strip():
        raise ValidationFailed(_("Name and channel are required."), code="required")
    if ServiceAccount.objects.filter(name=name).exists():
        raise ValidationFailed(_("This name is taken."), code="name_taken")
    token, prefix, digest = _new_token()
    account = ServiceAccount(
        name=name,
        channel=channel,
        operations=sorted(set(operations)),
        token_prefix=prefix,
        token_hash=digest,
    )
    save_audited(account, actor=actor, reason="service account created")
    return account, token


@transaction.atomic
def service_account_rotate_token(*, account: ServiceAccount, actor: Any) -> str:
    """A new token replaces the old one at once (the old stops working)."""
    account = lock_row(ServiceAccount, account.pk)
    token, prefix, digest = _new_token()
    account.token_prefix, account.token_hash = prefix, digest
    save_audited(
        account, actor=actor, reason="token rotated", update_fields=["token_prefix", "token_hash"]
    )
    return token
