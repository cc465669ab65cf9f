"""Pages of two-factor sign-in (issue 8 §3): overview, enrol, verify, new recovery codes, and
the administrators' audited reset. Thin: the rules and writes are in `two_factor`."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace import two_factor
from marketplace.exceptions import DomainError


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}
        ),
    )


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy("Recorded with your name, e.g. the ticket of the lost phone."),
    )


def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("Two-factor sign-in is for platform staff."))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    # The back office's frame without its app menu: these pages come before the admin's.
    return {
        **admin.site.each_context(request),
        "title": title,
        "is_nav_sidebar_enabled": False,
        "available_apps": [],
        "next": _next_url(request),
        **extra,
    }


def _codes_response(request: HttpRequest, codes: list[str], title: str) -> HttpResponse:
    """Recovery codes appear in this one response only: never stored in a message or cache."""
    response = TemplateResponse(
        request, "two_factor/recovery_codes.html", _context(request, title, codes=codes)
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    user = request.user
    if two_factor.has_confirmed_device(user) and not two_factor.is_verified(user):
        return HttpResponseRedirect(reverse("two-factor-verify"))
    context = _context(
        request,
        _("Two-factor sign-in"),
        device=two_factor.totp_device(user),
        codes_left=two_factor.recovery_codes_left(user),
        required=two_factor.two_factor_required(user),
    )
    return TemplateResponse(request, "two_factor/overview.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    user = request.user
    if two_factor.has_confirmed_device(user) and not two_factor.is_verified(user):
        # Whoever holds only the password must not replace the authenticator.
        return HttpResponseRedirect(f"{reverse('two-factor-verify')}?next={reverse('two-factor')}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.two_factor_enrol_confirm(
            user=user, device=device, token="".join(form.cleaned_data["code"].split())
        )
        device.refresh_from_db()
        if codes is None and not device.verify_is_allowed()[0]:
            form.add_error(None, _("Too many wrong codes. Wait a minute, then try again."))
        elif codes is not None:
            otp_login(request, device)
            request.session.pop(two_factor.PENDING_SESSION_KEY, None)
            return _codes_response(request, codes, _("Two-factor sign-in is on"))
        else:
            form.add_error(
                "code",
                _(
                    "The code is not correct. Enter the 6-digit code the app shows now, "
                    "after adding the key."
                ),
            )
    secret = b32encode(device.bin_key).decode()
    qr_svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", svgclass="two-factor-qr", lineclass=None, omitsize=True
    )
    context = _context(
        request,
        _("Set up two-factor sign-in"),
        form=form,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        otpauth_url=device.config_url,
        qr_svg=mark_safe(qr_svg),  # noqa: S308 - generated by segno from our own data, no user markup
        required=two_factor.two_factor_required(user),
        replacing=two_factor.has_confirmed_device(user),
    )
    return TemplateResponse(request, "two_factor/enrol.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    user = request.user
    if not two_factor.has_confirmed_device(user):
        # Reset meanwhile, or nothing enrolled: nothing to verify.
        request.session.pop(two_factor.PENDING_SESSION_KEY, None)
        if two_factor.two_factor_required(user):
            return HttpResponseRedirect(f"{reverse('two-factor-enrol')}?next={_next_url(request)}")
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.two_factor_verify(user=user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            request.session.pop(two_factor.PENDING_SESSION_KEY, None)
            if device.persistent_id.startswith("otp_static"):
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; %(left)d remain. Generate new ones "
                        "on the two-factor page if you are running out."
                    )
                    % {"left": two_factor.recovery_codes_left(user)},
                )
            return HttpResponseRedirect(_next_url(request))
        if two_factor.verification_blocked(user, form.cleaned_data["code"]):
            form.add_error(None, _("Too many wrong codes. Wait a minute, then try again."))
        else:
            form.add_error(
                "code",
                _(
                    "The code is not correct or has expired. Enter the code your "
                    "authenticator app shows now, or one unused recovery code."
                ),
            )
    context = _context(request, _("Enter your two-factor code"), form=form)
    return TemplateResponse(request, "two_factor/verify.html", context)


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    if not two_factor.is_verified(request.user):
        return HttpResponseRedirect(reverse("two-factor-verify"))
    codes = two_factor.recovery_codes_regenerate(user=request.user)
    return _codes_response(request, codes, _("New recovery codes"))


@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """Administrators remove a user's devices so the user enrols again (audited, with reason).

    Wrapped in `admin.site.admin_view` by the URL map (staff sign-in, CSRF, no cache).
    """
    if not request.user.has_perm("marketplace.reset_two_factor"):
        raise PermissionDenied
    target = get_object_or_404(get_user_model(), pk=user_id)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_reset(
                user=target, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _(
                    "Two-factor sign-in of %(user)s was reset: they enrol again at their "
                    "next sign-in."
                )
                % {"user": target.get_username()},
            )
            return HttpResponseRedirect(reverse("admin:auth_user_change", args=[target.pk]))
    context = {
        **admin.site.each_context(request),
        "title": _("Reset two-factor sign-in"),
        "form": form,
        "target": target,
        "device": two_factor.totp_device(target),
        "codes_left": two_factor.recovery_codes_left(target),
        "self_reset": target.pk == request.user.pk,
    }
    return TemplateResponse(request, "two_factor/reset.html", context)
