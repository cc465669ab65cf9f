"""Buyer complaints about a vendor's service (MS-4.3, MS-4.4), reported by the storefront.

They are recorded against the vendor and feed the violation "vendor unreachable / will not
communicate" (UNREACHABLE): past a threshold in a window, a penalty case is reported for a
compliance reviewer to confirm (`compliance.services.complaints`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

__all__ = ["ComplaintKind", "ServiceComplaint"]


class ComplaintKind(models.TextChoices):
    # MS-4.4: QQ offline or phone unanswered between 09:00 and 18:00.
    UNREACHABLE = "unreachable", _("Unreachable during service hours")
    # MS-4.4: the product became unusable and no alternative, backup or migration was offered.
    NO_ALTERNATIVE = "no_alternative", _("No alternative, data backup or migration offered")


class ServiceComplaint(models.Model):
    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="service_complaints",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="service_complaints",
    )
    channel = models.CharField(_("sales channel"), max_length=40)
    external_id = models.CharField(_("storefront complaint ID"), max_length=64)
    kind = models.CharField(_("complaint"), max_length=32, choices=ComplaintKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    description = models.TextField(_("buyer's description"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    case = models.ForeignKey(
        "compliance.PenaltyCase",
        verbose_name=_("penalty case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service complaint")
        verbose_name_plural = _("service complaints")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            # Idempotency: a retried report of the same complaint creates nothing new.
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="compliance_complaint_once"
            )
        ]
        indexes = [models.Index(fields=["vendor", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.vendor}"
