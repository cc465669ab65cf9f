"""Updates to a listed product (MS-6.1.2).

The vendor edits a revision, not the product: the listed content stays on sale unchanged
while the revision goes through security review, and approving the revision publishes it
onto the product (`catalog.services.security_review_approve`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from catalog.models.products import REVIEW_PERMISSION, Product


class ProductRevision(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In security review")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW)

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("revision number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    tags = models.CharField(_("tags"), max_length=300, blank=True)
    deployment = models.CharField(
        _("where it is deployed"),
        max_length=200,
        blank=True,
        help_text=_("MS-3.1.6: must run on this cloud's resources"),
    )
    # The full set of specifications the product will sell once published: a list of
    # {"name", "price" (decimal string), "billing_period", "is_trial"}.
    specifications = models.JSONField(_("specifications"), default=list, blank=True)
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=False)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product revision")
        verbose_name_plural = _("product revisions")
        ordering = ["product", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="revision_number_unique"),
            # One update at a time per product: reviewers judge it against the listed content.
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(status__in=["draft", "submitted", "in_review"]),
                name="revision_one_open_per_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} #{self.number}"

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def submit(self) -> None:
        """MS-6.1.2: the update goes to security review before publication."""

    @transition(
        field=status,
        source=Status.SUBMITTED,
        target=Status.IN_REVIEW,
        permission=REVIEW_PERMISSION,
    )
    def start_review(self) -> None:
        pass

    @transition(
        field=status,
        source=Status.IN_REVIEW,
        target=Status.PUBLISHED,
        permission=REVIEW_PERMISSION,
    )
    def approve(self, *, at: dt.datetime) -> None:
        self.published_at = at

    @transition(
        field=status,
        source=Status.IN_REVIEW,
        target=Status.REJECTED,
        permission=REVIEW_PERMISSION,
    )
    def reject(self, *, reason: str) -> None:
        self.rejection_reason = reason
