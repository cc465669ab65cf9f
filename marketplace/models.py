"""Platform-wide data: the working calendar's overrides and confirmed years."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CalendarOverride(models.Model):
    """A reviewer's correction of one day: an extra holiday or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (no work)")
        WORKDAY = "workday", _("Working day (make-up)")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()}"


class CalendarYear(models.Model):
    """A year whose working calendar a reviewer confirmed.

    Years that `chinese-calendar` does not cover are computed from weekends and overrides;
    deadlines in them stay provisional until a reviewer confirms the year here, after
    entering the State Council's holiday notice as overrides.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]
        permissions = [("confirm_calendaryear", _("Can confirm a calendar year"))]

    def __str__(self) -> str:
        return str(self.year)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


# Issue 9 §4: one-time tokens of create forms (model kept beside its middleware).
from marketplace.form_tokens import UsedFormToken  # noqa: E402, F401
from marketplace.outbox import OutboxEvent  # noqa: E402,F401  (issue 14: the event outbox)
from marketplace.two_factor_models import TwoFactorEvent  # noqa: E402,F401  (issue 8 §3)
