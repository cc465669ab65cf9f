"""One-time form tokens: a form that creates something is sent once (issue 9 §4).

A double click, a reload of the POST or a flaky network resent "new product" and made two
drafts. Each create form carries a random token (`{% form_token %}` from
`marketplace.templatetags.form_tokens`); `SingleSubmissionMiddleware` records the token in
`UsedFormToken` (a unique column, so two requests racing on it cannot both pass) before the
view runs, and answers a token seen before with a message and a redirect, writing nothing.
A re-rendered form (invalid input) carries a new token. A POST without a token is served as
before (API-like callers and tests); the token guards people's browsers, not attackers.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

FIELD = "form_token"
# Tokens are kept this long: a resend after a day is a new intent, not a double click.
KEEP = dt.timedelta(days=1)


class UsedFormToken(models.Model):
    token = models.CharField(_("form token"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    path = models.CharField(_("path"), max_length=200)
    used_at = models.DateTimeField(_("used at"), default=timezone.now, db_index=True)

    class Meta:
        app_label = "marketplace"
        verbose_name = _("used form token")
        verbose_name_plural = _("used form tokens")

    def __str__(self) -> str:
        return self.token


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_claim(*, token: str, user, path: str) -> bool:
    """Record the token as used; False when it was used before (or by a racing request)."""
    try:
        with transaction.atomic():
            UsedFormToken.objects.create(
                token=token[:64], user=user if user.is_authenticated else None, path=path[:200]
            )
    except IntegrityError:
        return False
    UsedFormToken.objects.filter(used_at__lt=timezone.now() - KEEP).delete()
    return True


class SingleSubmissionMiddleware:
    """Refuse a POST whose form token was used before: a message and a redirect back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and not request.path.startswith("/api/"):
            token = request.POST.get(FIELD, "")
            if token and not token_claim(token=token, user=request.user, path=request.path):
                messages.error(
                    request,
                    gettext(
                        "This form was already sent; it was not sent again. Check the result "
                        "below before sending a new one."
                    ),
                )
                return HttpResponseRedirect(_back(request))
        return self.get_response(request)


def _back(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/vendor/"
