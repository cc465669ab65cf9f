"""Two-factor sign-in for staff (issue 8 §3): who must use it, the checks, the audited writes.

django-otp holds the devices: one TOTP authenticator and one static device whose tokens are
the recovery codes. The password sign-in is unchanged (django-axes guards it); afterwards a
staff user who has a confirmed device is "pending" until they enter a code on the verify page,
and with `TWO_FACTOR_REQUIRED` staff holding any of `TWO_FACTOR_REQUIRED_PERMISSIONS` must
enrol and verify before any back-office page. Views live in `two_factor_views`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.exceptions import DomainError
from marketplace.two_factor_models import TwoFactorEvent

logger = logging.getLogger("marketplace.two_factor")

# Set at password sign-in for a user with a confirmed device; cleared by a verified code.
PENDING_SESSION_KEY = "two_factor_pending"
RECOVERY_DEVICE_NAME = "recovery codes"


def two_factor_required(user: Any) -> bool:
    """True if the production rule demands a verified second factor from this staff user."""
    if not settings.TWO_FACTOR_REQUIRED or not user.is_authenticated or not user.is_staff:
        return False
    return any(user.has_perm(perm) for perm in settings.TWO_FACTOR_REQUIRED_PERMISSIONS)


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def has_confirmed_device(user: Any) -> bool:
    return user_has_device(user, confirmed=True)


def totp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- writes ---------------------------------------------------------------------------------


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_enrol_confirm(*, user: Any, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm a pending authenticator with its first code; returns the new recovery codes.

    Returns None (and writes nothing but the device's throttle) when the code is wrong. The
    new authenticator replaces any earlier one; the recovery codes are all new.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if not device.verify_token(token):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        TwoFactorEvent.objects.create(user=user, actor=user, kind=TwoFactorEvent.Kind.ENROLLED)
    return codes


def recovery_codes_regenerate(*, user: Any) -> list[str]:
    """New recovery codes for a verified user; the old ones stop working."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        TwoFactorEvent.objects.create(
            user=user, actor=user, kind=TwoFactorEvent.Kind.RECOVERY_CODES
        )
    return codes


def _normalise(token: str) -> str:
    return "".join(token.split()).lower()


def _device_model_for(token: str) -> type[TOTPDevice] | type[StaticDevice]:
    return TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice


def two_factor_verify(*, user: Any, token: str):
    """Check a code against the user's authenticator, or a recovery code (used up).

    Six digits are tried on the authenticator only, anything else on the recovery codes only,
    so a wrong code throttles one device, not both. Returns the device or None.
    """
    token = _normalise(token)
    if not token:
        return None
    model = _device_model_for(token)
    with transaction.atomic():
        for device in devices_for_user(user, for_verify=True):
            if isinstance(device, model) and device.verify_token(token):
                if isinstance(device, StaticDevice):
                    TwoFactorEvent.objects.create(
                        user=user, actor=user, kind=TwoFactorEvent.Kind.RECOVERY_CODE_USED
                    )
                return device
    logger.warning("two-factor code refused for user %s", user.pk)
    return None


def verification_blocked(user: Any, token: str) -> bool:
    """True if the device this code is meant for waits out django-otp's back-off."""
    model = _device_model_for(_normalise(token))
    allowed = [d.verify_is_allowed()[0] for d in devices_for_user(user) if isinstance(d, model)]
    return bool(allowed) and not any(allowed)


def two_factor_reset(*, user: Any, actor: Any, reason: str) -> int:
    """Remove every device of `user` so they enrol again; audited with who and why.

    Only holders of `marketplace.reset_two_factor` (superusers by default), never for
    themselves (a stolen password plus that right must not switch off one's own second factor).
    """
    reason = (reason or "").strip()
    if not actor.has_perm("marketplace.reset_two_factor"):
        raise DomainError(_("You may not reset two-factor sign-in."), code="forbidden")
    if actor.pk == user.pk:
        raise DomainError(
            _("You cannot reset your own two-factor sign-in; ask another administrator."),
            code="two_factor_self_reset",
        )
    if not reason:
        raise DomainError(_("Give a reason for the reset."), code="reason_required")
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        TwoFactorEvent.objects.create(
            user=user, actor=actor, kind=TwoFactorEvent.Kind.RESET, reason=reason
        )
    logger.info("two-factor sign-in of user %s reset by %s", user.pk, actor.pk)
    return removed


# --- sign-in hook and middleware ------------------------------------------------------------


def mark_pending_on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """After the password: a staff user with a confirmed device still owes the second factor."""
    if request is None or not hasattr(request, "session"):
        return
    if user.is_staff and has_confirmed_device(user):
        request.session[PENDING_SESSION_KEY] = True
    else:
        request.session.pop(PENDING_SESSION_KEY, None)


user_logged_in.connect(mark_pending_on_login, dispatch_uid="marketplace.two_factor.pending")


def _exempt_prefixes() -> tuple[str, ...]:
    return (
        reverse("two-factor-verify"),
        reverse("two-factor-enrol"),
        reverse("admin:login"),
        reverse("admin:logout"),
        reverse("login"),
        reverse("logout"),
        "/i18n/",
        settings.STATIC_URL,
        reverse("healthz"),
        "/api/v1/",  # token-authenticated service accounts, no staff session
    )


def _redirect(url_name: str, request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(
        f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"
    )


class TwoFactorMiddleware:
    """Send staff who owe a second factor to verify (or enrol) before any other page.

    Costs no query for users who owe nothing: the pending flag lives in the session and the
    requirement reads the permission cache the admin fills anyway.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            if self._exempt is None:
                self._exempt = _exempt_prefixes()
            if not request.path.startswith(self._exempt) and not is_verified(user):
                if request.session.get(PENDING_SESSION_KEY):
                    return _redirect("two-factor-verify", request)
                if two_factor_required(user):
                    enrolled = has_confirmed_device(user)
                    return _redirect(
                        "two-factor-verify" if enrolled else "two-factor-enrol", request
                    )
        return self.get_response(request)
