"""Onboarding (入驻, MS-3.1): applications, their checklist, documents and bans (MS-8.3)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from vendors.identity import NormalisedCharField
from vendors.models.core import Vendor
from vendors.validators import (
    validate_contact_email,
    validate_document_file,
    validate_mainland_mobile,
    validate_qq,
)

EXPIRY_WARNING_DAYS = 30  # MS-6.1.1: changes and expiries must be reported within 30 days


class CheckResult(models.TextChoices):
    """A reviewer's verdict on one checklist item."""

    PENDING = "pending", _("Not checked yet")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class DocumentKind(models.TextChoices):
    """MS-3.1.3 ① and ②: the documents every applicant provides."""

    BUSINESS_LICENCE = "business_licence", _("Business licence copy")
    LEGAL_REP_ID = "legal_rep_id", _("Legal representative's ID copy")
    BANK_ACCOUNT_PROOF = "bank_account_proof", _("Bank account-opening proof")


class OnboardingApplication(models.Model):
    """One application of a company to sell on the marketplace (MS-3.1).

    The company's identity (name, credit code, cloud account) is on its `Vendor`, created in
    status *applying* when the application starts; the vendor becomes active once an
    application is approved and the onboarding deposit is paid (MS-3.1.5 ①).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="applications"
    )
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=False)
    # MS-3.1.1 the cloud account (on the vendor) checked by a reviewer.
    cloud_account_result = models.CharField(
        _("cloud account check"),
        max_length=16,
        choices=CheckResult.choices,
        default=CheckResult.PENDING,
    )
    # MS-3.1.2 corporate bank account real-name verification.
    bank_verification_result = models.CharField(
        _("bank real-name verification"),
        max_length=16,
        choices=CheckResult.choices,
        default=CheckResult.PENDING,
    )
    bank_verification_reference = models.CharField(
        _("bank verification reference"), max_length=100, blank=True
    )
    # MS-3.1.3 ③ the contact person.
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = NormalisedCharField(
        _("contact mobile phone"),
        normaliser="contact_phone",
        max_length=20,
        blank=True,
        validators=[validate_mainland_mobile],
    )
    contact_qq = NormalisedCharField(
        _("contact QQ number"),
        normaliser="contact_qq",
        max_length=12,
        blank=True,
        validators=[validate_qq],
    )
    contact_email = NormalisedCharField(
        _("contact e-mail"),
        normaliser="contact_email",
        max_length=254,
        blank=True,
        validators=[validate_contact_email],
    )
    # MS-3.1.4 the vendor access agreement (服务商接入协议).
    agreement_version = models.CharField(_("agreement version"), max_length=40, blank=True)
    agreement_accepted_at = models.DateTimeField(_("agreement accepted at"), null=True, blank=True)
    # MS-3.1.6 the applicant declares its products run on this cloud's resources.
    declares_this_cloud_only = models.BooleanField(
        _("declares products run on this cloud only"), default=False
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("onboarding application")
        verbose_name_plural = _("onboarding applications")
        ordering = ["-pk"]
        permissions = [
            ("review_onboardingapplication", _("Can review, approve and reject applications"))
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return _("Application #%(pk)s of %(vendor)s") % {"pk": self.pk, "vendor": self.vendor}

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def submit(self) -> None:
        """The applicant hands the application in; reviewers see it in the queue."""

    @transition(
        field=status,
        source=Status.SUBMITTED,
        target=Status.UNDER_REVIEW,
        permission="vendors.review_onboardingapplication",
    )
    def start_review(self) -> None:
        """A reviewer takes the application."""

    @transition(
        field=status,
        source=Status.UNDER_REVIEW,
        target=Status.APPROVED,
        permission="vendors.review_onboardingapplication",
    )
    def approve(self) -> None:
        """All of MS-3.1.1-3.1.7 checked (the service verifies the checklist first)."""

    @transition(
        field=status,
        source=[Status.SUBMITTED, Status.UNDER_REVIEW],
        target=Status.REJECTED,
        permission="vendors.review_onboardingapplication",
    )
    def reject(self) -> None:
        """Refused, with a reason the applicant sees."""


class VendorDocument(models.Model):
    """A document of the vendor (MS-3.1.3), with its validity tracked (MS-6.1.1).

    Uploading a new document of the same kind marks the older one replaced, so only current
    documents are checked for expiry.
    """

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="documents"
    )
    application = models.ForeignKey(
        OnboardingApplication,
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    file = models.FileField(
        _("file"), upload_to="vendor-documents/%Y/%m/", validators=[validate_document_file]
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty when valid indefinitely.")
    )
    review_result = models.CharField(
        _("review result"), max_length=16, choices=CheckResult.choices, default=CheckResult.PENDING
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    # MS-6.1.1: a replacement reported after onboarding, decided by an onboarding reviewer.
    is_replacement = models.BooleanField(_("replacement reported by the vendor"), default=False)
    review_note = models.TextField(_("reviewer's reason"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor document")
        verbose_name_plural = _("vendor documents")
        ordering = ["vendor", "kind", "-pk"]
        permissions = [
            ("review_vendordocument", _("Can accept or reject a replaced document (MS-6.1.1)"))
        ]
        indexes = [
            models.Index(
                fields=["valid_until"],
                condition=models.Q(replaced_at=None),
                name="vendors_doc_current_expiry",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="vendors_doc_valid_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.vendor}"

    def expiry_state(self, today: dt.date) -> str:
        """'expired', 'expiring' (within 30 days, MS-6.1.1) or 'ok'."""
        if self.valid_until is None:
            return "ok"
        if self.valid_until < today:
            return "expired"
        if self.valid_until <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
            return "expiring"
        return "ok"


class ExtraCondition(models.Model):
    """A further onboarding condition the platform sets (MS-3.1.7): data, edited in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    text = models.CharField(_("condition"), max_length=300)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active conditions are checked.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("extra onboarding condition")
        verbose_name_plural = _("extra onboarding conditions")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.text


class ExtraConditionResult(models.Model):
    """A reviewer's result for one extra condition on one application (MS-3.1.7)."""

    application = models.ForeignKey(
        OnboardingApplication,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="condition_results",
    )
    condition = models.ForeignKey(
        ExtraCondition, verbose_name=_("condition"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(
        _("result"), max_length=16, choices=CheckResult.choices, default=CheckResult.PENDING
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("extra condition result")
        verbose_name_plural = _("extra condition results")
        ordering = ["condition__position", "condition__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "condition"], name="vendors_one_result_per_condition"
            )
        ]

    def __str__(self) -> str:
        return f"{self.condition} · {self.get_result_display()}"


class BannedIdentity(models.Model):
    """A credit code or cloud account banned for ever after an eviction (MS-8.3).

    Written only by `vendor_evict`; never edited or deleted.
    """

    class Kind(models.TextChoices):
        CREDIT_CODE = "credit_code", _("Unified social credit code")
        CLOUD_ACCOUNT = "cloud_account", _("Cloud account ID")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = NormalisedCharField(_("value"), normaliser="banned_value", max_length=64)
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("evicted vendor"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    banned_at = models.DateTimeField(_("banned at"))
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("banned by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("banned identity")
        verbose_name_plural = _("banned identities")
        ordering = ["-banned_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="vendors_ban_unique_identity")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"
