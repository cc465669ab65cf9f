"""Security review (安全审核) of a product submission or of a revision (MS-4.1.1, MS-6.1.2).

One `SecurityReview` per submission; one `SecurityReviewItem` per checklist item of
MS-4.1.4 ①–⑥ and MS-3.1.6. Approval is possible only when every item passed.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from catalog.models.products import REVIEW_PERMISSION, Product
from catalog.models.revisions import ProductRevision


class ReviewItem(models.TextChoices):
    """What the reviewer checks: MS-4.1.4 ①–⑥ (forbidden content) and MS-3.1.6."""

    INFRINGEMENT = "ms_4_1_4_1", _("① No content infringing third-party rights")
    MALWARE = "ms_4_1_4_2", _("② No malware, viruses or system vulnerabilities")
    DATA_HARVESTING = (
        "ms_4_1_4_3",
        _("③ No harvesting of ID numbers, e-mail, phone, bank or payment accounts"),
    )
    SEPARATE_USER_SYSTEM = (
        "ms_4_1_4_4",
        _("④ No built-in separate user system that makes users register again"),
    )
    DESCRIPTION = (
        "ms_4_1_4_5",
        _("⑤ Title, images, tags, price and description accurate; no outside links; not copied"),
    )
    UNLAWFUL = "ms_4_1_4_6", _("⑥ Nothing else unlawful")
    ON_THIS_CLOUD = (
        "ms_3_1_6",
        _("MS-3.1.6 Runs on this cloud's resources (or is a closely tied companion tool)"),
    )


class ItemResult(models.TextChoices):
    UNANSWERED = "unanswered", _("Not yet checked")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class SecurityReview(models.Model):
    class Outcome(models.TextChoices):
        OPEN = "open", _("In progress")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="reviews"
    )
    revision = models.ForeignKey(
        ProductRevision,
        verbose_name=_("revision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
        help_text=_("Empty when the product itself (first listing or relisting) is reviewed."),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = FSMField(_("outcome"), default=Outcome.OPEN, choices=Outcome.choices, protected=False)
    notes = models.TextField(_("reviewer notes"), blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    started_at = models.DateTimeField(_("started at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("security review")
        verbose_name_plural = _("security reviews")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(outcome="open"),
                name="security_review_one_open_per_product",
            ),
        ]

    def __str__(self) -> str:
        subject = self.revision or self.product
        return f"{subject} ({self.get_outcome_display()})"

    def all_items_passed(self) -> bool:
        """MS-4.1.4: approval needs a pass on every item (uses prefetched items if any)."""
        results = {item.item: item.result for item in self.items.all()}
        return set(results) == set(ReviewItem.values) and all(
            result == ItemResult.PASS for result in results.values()
        )

    @transition(
        field=outcome,
        source=Outcome.OPEN,
        target=Outcome.APPROVED,
        conditions=[all_items_passed],
        permission=REVIEW_PERMISSION,
    )
    def approve(self, *, at: dt.datetime, notes: str = "") -> None:
        self.decided_at = at
        if notes:
            self.notes = notes

    @transition(
        field=outcome, source=Outcome.OPEN, target=Outcome.REJECTED, permission=REVIEW_PERMISSION
    )
    def reject(self, *, at: dt.datetime, reason: str) -> None:
        self.decided_at = at
        self.rejection_reason = reason


class SecurityReviewItem(models.Model):
    review = models.ForeignKey(
        SecurityReview,
        verbose_name=_("security review"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    item = models.CharField(_("item"), max_length=16, choices=ReviewItem.choices)
    result = models.CharField(
        _("result"), max_length=16, choices=ItemResult.choices, default=ItemResult.UNANSWERED
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        ordering = ["review", "item"]
        constraints = [
            models.UniqueConstraint(fields=["review", "item"], name="review_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.get_result_display()}"
