"""A vendor's exit (退出, MS-8): one record per exit, from the request to the closing.

States:
    requested (MS-8.2, the vendor asked), or proposed (MS-8.1, the platform ends the term
    early; a second compliance lead approves) -> approve -> started, or reject -> rejected;
    term end (MS-8.1, the sweep) and eviction (MS-8.3) start at once;
    started -> orders_refunded -> settled -> deposit_refunded -> closed.

`started`: the vendor is exiting, its unfinished orders were refunded in full (MS-8.4.1) and
it sells nothing new (MS-8.4.2). `orders_refunded`: every exit refund was paid back to the
buyer. `settled`: nothing else outstanding (statements paid, penalties executed, disputes
closed: `vendors.exit_checks`), the deposit refund is opened (MS-3.1.5 ④).
`deposit_refunded`: finance paid the deposit back (or there was none). `closed`: the vendor
has exited; `vendor.exited` went to the storefront and billing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from vendors.models.core import Vendor


class VendorExit(models.Model):
    class Cause(models.TextChoices):
        TERM_ENDED = "term_ended", _("Agreement term ended without renewal (MS-8.1)")
        PLATFORM_EARLY = "platform_early", _("Ended early by the platform (MS-8.1)")
        VENDOR_REQUEST = "vendor_request", _("The vendor asked to leave (MS-8.1, MS-8.2)")
        EVICTION = "eviction", _("Evicted for serious violations (MS-8.3)")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested by the vendor, to review")
        PROPOSED = "proposed", _("Proposed, awaiting a second approver")
        REJECTED = "rejected", _("Rejected")
        STARTED = "started", _("Exit started, orders being refunded")
        ORDERS_REFUNDED = "orders_refunded", _("Orders refunded")
        SETTLED = "settled", _("Settled, deposit refund open")
        DEPOSIT_REFUNDED = "deposit_refunded", _("Deposit refunded")
        CLOSED = "closed", _("Closed")

    PENDING = (Status.REQUESTED, Status.PROPOSED)
    IN_PROGRESS = (
        Status.STARTED,
        Status.ORDERS_REFUNDED,
        Status.SETTLED,
        Status.DEPOSIT_REFUNDED,
    )
    # An exit that has begun: the vendor may only read (MS-8.4.3).
    BEGUN = (*IN_PROGRESS, Status.CLOSED)

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="exits"
    )
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    status = FSMField(
        _("status"), default=Status.REQUESTED, choices=Status.choices, protected=False
    )
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested or proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    started_at = models.DateTimeField(_("exit started at"), null=True, blank=True)
    orders_to_refund = models.PositiveIntegerField(
        _("orders refunded on exit"),
        default=0,
        help_text=_("Unfinished or not started orders refunded in full on exit (MS-8.4.1)."),
    )
    # MS-8.4.3: after exit the vendor itself owes its buyers after-sales service.
    after_sales_duty = models.TextField(
        _("after-sales duty to buyers"),
        blank=True,
        help_text=_("What the vendor still owes its buyers after exit, and how to reach it."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor exit")
        verbose_name_plural = _("vendor exits")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One live exit per vendor: a rejected request may be followed by another.
            models.UniqueConstraint(
                fields=["vendor"], condition=~Q(status="rejected"), name="one_live_exit_per_vendor"
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="exit_status_queue")]
        permissions = [
            ("review_vendorexit", _("Can approve or reject a vendor's request to leave")),
            ("propose_vendorexit", _("Can propose ending a vendor's term early")),
            ("approve_vendorexit", _("Can approve the platform ending a term early")),
            ("advance_vendorexit", _("Can check and advance a vendor's exit")),
        ]

    def __str__(self) -> str:
        return _("Exit of %(vendor)s") % {"vendor": self.vendor}

    @property
    def begun(self) -> bool:
        return self.status in self.BEGUN

    @transition(field=status, source=[Status.REQUESTED, Status.PROPOSED], target=Status.STARTED)
    def start(self) -> None:
        """Approved (MS-8.2 review, MS-8.1 second approver): exit handling starts."""

    @transition(field=status, source=[Status.REQUESTED, Status.PROPOSED], target=Status.REJECTED)
    def reject(self) -> None:
        """The request or proposal is refused; the vendor keeps trading."""

    @transition(field=status, source=Status.STARTED, target=Status.ORDERS_REFUNDED)
    def orders_refunded(self) -> None:
        """MS-8.4.1: every exit refund was paid back to its buyer."""

    @transition(field=status, source=Status.ORDERS_REFUNDED, target=Status.SETTLED)
    def settle(self) -> None:
        """Nothing outstanding any more: the deposit refund may be opened (MS-3.1.5 ④)."""

    @transition(field=status, source=Status.SETTLED, target=Status.DEPOSIT_REFUNDED)
    def deposit_refunded(self) -> None:
        """MS-3.1.5 ④: the deposit was paid back (or nothing was left of it)."""

    @transition(field=status, source=Status.DEPOSIT_REFUNDED, target=Status.CLOSED)
    def close(self) -> None:
        """The vendor has exited."""
