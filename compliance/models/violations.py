"""The violation table (违规情形处理一览表, MS-7 annex) as data with effective dates.

A `ViolationType` is a row of the table by its stable code. Its content (level, names, detail,
measures) lives in `ViolationVersion`s, each effective from a China date; a case is judged by
the version in force on the day the conduct happened (MS-9.2) and keeps a reference to it.
A version that has judged a case is never edited: a change of the rules is a new version.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from compliance.models.measures import MeasureKind
from marketplace.money import MoneyField

__all__ = ["ViolationLevel", "ViolationMeasure", "ViolationType", "ViolationVersion"]


class ViolationLevel(models.TextChoices):
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")


class ViolationType(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    retired = models.BooleanField(
        _("retired"), default=False, help_text=_("Retired codes cannot be used in new cases.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("violation type")
        verbose_name_plural = _("violation table")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.code

    def version_on(self, day: dt.date) -> ViolationVersion | None:
        """The version in force on a China day (MS-9.2)."""
        return self.versions.filter(effective_from__lte=day).order_by("-effective_from").first()


class ViolationVersion(models.Model):
    violation = models.ForeignKey(
        ViolationType,
        verbose_name=_("violation type"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    effective_from = models.DateField(_("effective from (China date)"))
    level = models.CharField(_("level"), max_length=16, choices=ViolationLevel.choices)
    name_zh = models.CharField(_("type (Chinese)"), max_length=100)
    name_en = models.CharField(_("type (English)"), max_length=200)
    detail = models.TextField(_("detail (sub-cases)"), blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("violation table version")
        verbose_name_plural = _("violation table versions")
        ordering = ["violation", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["violation", "effective_from"], name="violation_version_unique_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.violation.code} {self.name_zh} ({self.effective_from:%Y-%m-%d})"

    def name(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        lang = language or get_language() or "zh-hans"
        return self.name_zh if lang.startswith("zh") else self.name_en


class ViolationMeasure(models.Model):
    """A measure the table prescribes for a version of a row."""

    version = models.ForeignKey(
        ViolationVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="measures",
    )
    kind = models.CharField(_("measure"), max_length=32, choices=MeasureKind.choices)
    duration_days = models.PositiveSmallIntegerField(
        _("for days"), null=True, blank=True, help_text=_("Empty: no end (until lifted).")
    )
    amount = MoneyField(_("deduction (CNY)"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("prescribed measure")
        verbose_name_plural = _("prescribed measures")
        ordering = ["version", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "kind"], name="violation_measure_unique"),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="violation_measure_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        label = str(self.get_kind_display())
        if self.duration_days:
            label += f" {self.duration_days}d"
        if self.amount:
            label += f" ¥{self.amount}"
        return label
