"""The audit trail of two-factor sign-in (issue 8 §3): who enrolled, used a recovery code,
got new recovery codes, or had their second factor reset by whom and why.

Rows are written once and never changed (the admin shows them read-only), so they need no
simple-history of their own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TwoFactorEvent(models.Model):
    class Kind(models.TextChoices):
        ENROLLED = "enrolled", _("Authenticator enrolled")
        RECOVERY_CODES = "recovery_codes", _("New recovery codes generated")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        RESET = "reset", _("Two-factor sign-in reset by an administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="two_factor_events",
        verbose_name=_("user"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("two-factor sign-in event")
        verbose_name_plural = _("two-factor sign-in events")
        ordering = ["-created_at", "-pk"]
        permissions = [("reset_two_factor", _("Can reset another user's two-factor sign-in"))]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"
