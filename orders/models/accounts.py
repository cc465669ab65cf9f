"""Service accounts of the integration API: the storefront and billing systems."""

from __future__ import annotations

import hashlib
import hmac

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

__all__ = ["FEED_OPERATIONS", "SCOPE_PRESETS", "ApiOperation", "ServiceAccount"]


class ApiOperation(models.TextChoices):
    CREATE_ORDER = "orders.create", _("Create orders")
    REPORT_DELIVERY = "orders.delivery", _("Report delivery results")
    CONFIRM_SERVICE = "orders.service_confirmation", _("Confirm services complete")
    CREATE_REFUND = "refunds.create", _("Request refunds")
    READ_REFUND = "refunds.read", _("Read refunds")
    CREATE_INVOICE = "invoices.create", _("Request invoices")
    READ_INVOICE = "invoices.read", _("Read invoices")
    # MS-4.3 / MS-4.4: buyers' complaints about a vendor's service (compliance's endpoint).
    REPORT_COMPLAINT = "complaints.create", _("Report service complaints")
    # Issue 14: billing reports refunds paid back; each system reads its own event feed.
    REPORT_REFUND_PAYMENT = "refunds.payment", _("Report refunds paid back")
    READ_STOREFRONT_EVENTS = "events.storefront", _("Read the storefront's event feed")
    READ_BILLING_EVENTS = "events.billing", _("Read the billing system's event feed")


# The event feed a token reads (marketplace.outbox.EventChannel), by its operation.
FEED_OPERATIONS: dict[str, str] = {
    "storefront": ApiOperation.READ_STOREFRONT_EVENTS,
    "billing": ApiOperation.READ_BILLING_EVENTS,
}


# The storefront sells and reports delivery; billing handles invoices.
SCOPE_PRESETS: dict[str, list[str]] = {
    "storefront": [
        ApiOperation.CREATE_ORDER,
        ApiOperation.REPORT_DELIVERY,
        ApiOperation.CONFIRM_SERVICE,
        ApiOperation.CREATE_REFUND,
        ApiOperation.READ_REFUND,
        ApiOperation.REPORT_COMPLAINT,
        ApiOperation.READ_STOREFRONT_EVENTS,
    ],
    "billing": [
        ApiOperation.CREATE_INVOICE,
        ApiOperation.READ_INVOICE,
        ApiOperation.READ_REFUND,
        ApiOperation.REPORT_REFUND_PAYMENT,
        ApiOperation.READ_BILLING_EVENTS,
    ],
}


def hash_token(secret: str) -> str:
    # Tokens are 256-bit random values, so a fast hash is safe (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


class ServiceAccount(models.Model):
    """A machine caller. Its token is shown once; only its SHA-256 is stored."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(
        _("sales channel"),
        max_length=40,
        help_text=_("Callers see and act on the orders of their own channel only."),
    )
    operations = models.JSONField(_("allowed operations"), default=list)
    token_prefix = models.CharField(_("token prefix"), max_length=12, unique=True)
    token_hash = models.CharField(_("token hash"), max_length=64)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        verbose_name = _("API service account")
        verbose_name_plural = _("API service accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    # DRF's IsAuthenticated asks the principal this.
    is_authenticated = True

    def allows(self, operation: str) -> bool:
        return self.active and operation in self.operations

    def event_feeds(self) -> list[str]:
        """The event channels this token may read (issue 14): one, by the service's check."""
        return [feed for feed, op in FEED_OPERATIONS.items() if self.allows(op)]

    def token_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_token(secret))
