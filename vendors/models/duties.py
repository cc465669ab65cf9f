"""The vendor's standing duties (issue 13 "Duties from the rule book").

- `AgreementVersion` / `AgreementSignature`: the vendor access agreement (服务商接入协议,
  MS-3.1.4) as data. The version in force is the latest whose effective date (China date) has
  come; a new version asks every vendor to sign again.
- `ServiceCommitment`: the vendor's service channels and after-sales hours (MS-4.3, MS-4.4).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from vendors.models.core import Vendor
from vendors.validators import validate_mainland_mobile, validate_qq

# MS-4.4: after-sales service in real time 09:00-18:00, Monday to Sunday.
SERVICE_HOURS_START = dt.time(9, 0)
SERVICE_HOURS_END = dt.time(18, 0)


class AgreementVersion(models.Model):
    """One version of the vendor access agreement (MS-3.1.4), edited in the admin."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(
        _("summary of changes"), blank=True, help_text=_("Shown to vendors above the text.")
    )
    text = models.TextField(_("agreement text"))
    effective_from = models.DateField(
        _("effective from"), help_text=_("China date from which vendors must have signed it.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor access agreement version")
        verbose_name_plural = _("vendor access agreement versions")
        ordering = ["-effective_from", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["effective_from"], name="vendors_agreement_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class AgreementSignature(models.Model):
    """MS-3.1.4: who signed which version for the vendor, and when. Never edited."""

    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="agreement_signatures",
    )
    version = models.ForeignKey(
        AgreementVersion,
        verbose_name=_("agreement version"),
        on_delete=models.PROTECT,
        related_name="signatures",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreement signature")
        verbose_name_plural = _("agreement signatures")
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "version"], name="vendors_one_signature_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor} · {self.version.version}"


def validate_service_hours(start: dt.time | None, end: dt.time | None) -> list[str]:
    """MS-4.4: the hours must cover 09:00-18:00 (they may be longer, never shorter)."""
    errors = []
    if start is None or end is None:
        errors.append(str(_("Give the start and end of the after-sales hours.")))
    elif start > SERVICE_HOURS_START or end < SERVICE_HOURS_END:
        errors.append(
            str(
                _(
                    "After-sales service must be reachable at least from 09:00 to 18:00 "
                    "every day (MS-4.4)."
                )
            )
        )
    return errors


class ServiceCommitment(models.Model):
    """MS-4.3 / MS-4.4: how buyers reach the vendor, and when."""

    vendor = models.OneToOneField(
        Vendor,
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="service_commitment",
    )
    online_channel = models.URLField(
        _("online customer-service link"),
        max_length=300,
        help_text=_("MS-4.3: opens a conversation at once, without adding a friend."),
    )
    phone = models.CharField(
        _("after-sales phone"), max_length=20, validators=[validate_mainland_mobile]
    )
    qq = models.CharField(_("after-sales QQ"), max_length=12, validators=[validate_qq])
    hours_start = models.TimeField(_("after-sales hours from"), default=SERVICE_HOURS_START)
    hours_end = models.TimeField(_("after-sales hours until"), default=SERVICE_HOURS_END)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service commitment")
        verbose_name_plural = _("service commitments")
        constraints = [
            # MS-4.4 at the database too: never shorter than 09:00-18:00.
            models.CheckConstraint(
                condition=models.Q(hours_start__lte=SERVICE_HOURS_START)
                & models.Q(hours_end__gte=SERVICE_HOURS_END),
                name="vendors_service_hours_cover_rule",
            )
        ]

    def __str__(self) -> str:
        return str(self.vendor)

    def clean(self) -> None:
        super().clean()
        errors = validate_service_hours(self.hours_start, self.hours_end)
        if errors:
            raise ValidationError({"hours_end": errors})
