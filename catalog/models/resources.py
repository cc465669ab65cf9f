"""Per-product qualifications (MS-4.1.2) and marketing resources grants (MS-4.1.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog.models.products import Product
from vendors.models import Category
from vendors.validators import validate_document_file


class QualificationRequirement(models.Model):
    """MS-4.1.2: a qualification document every product of a category must hold (e.g. an
    ICP licence for SaaS). Data, edited by security reviewers in the admin, with history."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="qualification_requirements",
    )
    name = models.CharField(_("qualification"), max_length=200)
    description = models.CharField(_("what to upload"), max_length=300, blank=True)
    active = models.BooleanField(
        _("required"), default=True, help_text=_("Only required qualifications are checked.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("required qualification")
        verbose_name_plural = _("required qualifications")
        ordering = ["category__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "name"], name="catalog_requirement_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.name}"


class ProductQualification(models.Model):
    """MS-4.1.2: a qualification document the product needs (licence, certificate...)."""

    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="qualifications",
    )
    name = models.CharField(_("qualification"), max_length=200)
    requirement = models.ForeignKey(
        QualificationRequirement,
        verbose_name=_("required qualification"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="qualifications",
    )
    document = models.FileField(
        _("document"),
        upload_to="catalog/qualifications/%Y/%m/",
        blank=True,
        validators=[validate_document_file],
    )
    number = models.CharField(_("certificate number"), max_length=100, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    verified = models.BooleanField(_("verified by a reviewer"), default=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product qualification")
        verbose_name_plural = _("product qualifications")
        ordering = ["product", "name"]

    def __str__(self) -> str:
        return f"{self.product}: {self.name}"


class MarketingGrant(models.Model):
    """MS-4.1.3: a marketing resource (营销资源) the platform grants to one product."""

    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="marketing_grants",
    )
    resource = models.CharField(_("marketing resource"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("marketing resources grant")
        verbose_name_plural = _("marketing resources grants")
        ordering = ["product", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="marketing_grant_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.resource}"
