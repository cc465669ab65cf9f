"""Vendors (服务商), their store (店铺, MS-2.5) and staff accounts.

The effective-state fields here (`Store.displayed`, `Store.trading`, `Vendor.can_publish`,
`Vendor.marketing_eligible`) are written only by `compliance`'s recompute of active measures
(DESIGN "Measures are overlays"); this app reads them and never sets them by itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from vendors.identity import NormalisedCharField
from vendors.validators import validate_cloud_account_id, validate_credit_code


class Category(models.Model):
    """A product category: it sets the deposit tier (MS-3.1.5 ①) and the service-fee rate."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Vendor(models.Model):
    class Status(models.TextChoices):
        APPLYING = "applying", _("Applying")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        EXITING = "exiting", _("Exiting")
        EXITED = "exited", _("Exited")
        EVICTED = "evicted", _("Evicted (banned for ever)")

    name = models.CharField(_("company name"), max_length=200)
    # MS-8.3: identities are stored and compared in their canonical form (vendors.identity).
    credit_code = NormalisedCharField(
        _("unified social credit code"),
        normaliser="credit_code",
        max_length=18,
        unique=True,
        help_text=_("统一社会信用代码, 18 characters"),
        validators=[validate_credit_code],
    )
    cloud_account_id = NormalisedCharField(
        _("cloud account ID"),
        normaliser="cloud_account_id",
        max_length=64,
        unique=True,
        validators=[validate_cloud_account_id],
    )
    status = FSMField(_("status"), default=Status.APPLYING, choices=Status.choices, protected=False)
    categories = models.ManyToManyField(
        Category, verbose_name=_("categories sold in"), blank=True, related_name="vendors"
    )
    # Effective state written by compliance's recompute (see module docstring).
    can_publish = models.BooleanField(_("may publish products"), default=True)
    marketing_eligible = models.BooleanField(_("eligible for marketing campaigns"), default=True)
    # MS-8.1: the agreement term (合作期限); the sweep starts exit when it ends unrenewed.
    # Renewal is a new end date (edited in the admin, with reason and history).
    term_start = models.DateField(_("agreement term starts"), null=True, blank=True)
    term_end = models.DateField(
        _("agreement term ends"),
        null=True,
        blank=True,
        help_text=_("Last day of the term (China time). Renewing moves it later."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Categories set the deposit tier (MS-3.1.5 ①), so their changes are history too.
    history = HistoricalRecords(m2m_fields=[categories])

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["name", "pk"]
        permissions = [
            ("activate_vendor", _("Can activate a vendor")),
            ("evict_vendor", _("Can evict a vendor")),
            ("suspend_vendor", _("Can suspend or reinstate a vendor")),
            ("manage_vendor_exit", _("Can begin and complete a vendor's exit")),
            ("change_vendor_term", _("Can record a vendor's agreement term")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_start__isnull=True)
                | models.Q(term_end__isnull=True)
                | models.Q(term_end__gte=models.F("term_start")),
                name="vendor_term_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @transition(
        field=status,
        source=Status.APPLYING,
        target=Status.ACTIVE,
        permission="vendors.activate_vendor",
    )
    def activate(self) -> None:
        """Onboarding approved and deposit paid (MS-3.1.5 ①)."""

    @transition(
        field=status,
        source=[Status.APPLYING, Status.ACTIVE, Status.SUSPENDED, Status.EXITING, Status.EXITED],
        target=Status.EVICTED,
        permission="vendors.evict_vendor",
    )
    def evict(self) -> None:
        """Evicted for serious violations and banned for ever (MS-8.3)."""

    @transition(
        field=status,
        source=Status.ACTIVE,
        target=Status.SUSPENDED,
        permission="vendors.suspend_vendor",
    )
    def suspend(self) -> None:
        """The platform suspends the vendor's cooperation (a reviewer's decision, with reason)."""

    @transition(
        field=status,
        source=Status.SUSPENDED,
        target=Status.ACTIVE,
        permission="vendors.suspend_vendor",
    )
    def reinstate(self) -> None:
        """A suspension is lifted."""

    @transition(
        field=status,
        source=[Status.ACTIVE, Status.SUSPENDED],
        target=Status.EXITING,
        permission="vendors.manage_vendor_exit",
    )
    def begin_exit(self) -> None:
        """The term ends or either side ends it (MS-8.1, MS-8.2); exit handling starts."""

    @transition(
        field=status,
        source=Status.EXITING,
        target=Status.EXITED,
        permission="vendors.manage_vendor_exit",
    )
    def complete_exit(self) -> None:
        """Exit handling is done (MS-8.4); the deposit may then be refunded (MS-3.1.5 ④)."""


class Store(models.Model):
    """The vendor's one store (MS-2.5). Flags are effective state from compliance measures."""

    vendor = models.OneToOneField(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="store"
    )
    name = models.CharField(_("store name"), max_length=200)
    displayed = models.BooleanField(_("displayed to buyers"), default=True)
    trading = models.BooleanField(_("open for trading"), default=True)
    closed = models.BooleanField(_("closed"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name


class VendorStaff(models.Model):
    """A vendor staff account: a non-staff user acting for exactly one vendor."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="vendor_staff",
    )
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.PROTECT, related_name="staff"
    )
    is_owner = models.BooleanField(_("owner"), default=False)
    # Issue 13: the language of this person's vendor pages and e-mails; the owner's is the
    # language the sweep's notices are written in (compliance.notifications).
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor staff account")
        verbose_name_plural = _("vendor staff accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor"], condition=models.Q(is_owner=True), name="one_owner_per_vendor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.vendor}"
