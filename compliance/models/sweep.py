"""The sweep: rule settings, sweep runs, evaluations and vendor notifications.

The sweep (DESIGN "The sweep") evaluates the timed rules set-based and records every outcome
as a `RuleEvaluation`. Its parameters are data (`RuleSetting`, effective-dated, with
history), as RULES.md asks for every ASSUMPTION it states.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

__all__ = [
    "EvaluationOutcome",
    "RuleEvaluation",
    "RuleSetting",
    "SweepRule",
    "SweepRun",
    "VendorNotification",
]


class SweepRule(models.TextChoices):
    """The timed rules the sweep runs; the value is the `--rule` name."""

    DEPOSIT_TOPUP = "deposit_topup", _("Deposit top-up (MS-3.1.5 ③)")
    SAAS_DELIVERY = "saas_delivery", _("SaaS delivery failure (MS-4.2)")
    REFUND_RATE = "refund_rate", _("Refund rate (MS-5.8)")
    MEASURE_EXPIRY = "measure_expiry", _("Measure expiry (MS-7)")
    DOCUMENTS = "documents", _("Document expiry (MS-6.1.1)")
    DEPOSIT_REFUND_DUE = "deposit_refund_due", _("Deposit refund due (MS-3.1.5 ④)")
    REVIEW_PERIODS = "review_periods", _("Review periods (MS-2.8)")
    PENALTY_CASE_CLOSE = "penalty_case_close", _("Penalty cases closing (MS-7)")
    VENDOR_EXIT = "vendor_exit", _("Vendor exit: term end and progress (MS-8.1, MS-8.4)")


class EvaluationOutcome(models.TextChoices):
    ACTED = "acted", _("Measure taken")
    LIFTED = "lifted", _("Measure lifted")
    FLAGGED = "flagged", _("Flagged")
    RECORDED = "recorded", _("Recorded")
    ERROR = "error", _("Error")


class SweepRun(models.Model):
    """One run of the sweep (command, task or test), for tracing its evaluations."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Some rules failed")
        # Issue 9 §4: a run killed mid-way is marked so by the next run, once stale.
        ABORTED = "aborted", _("Aborted (never finished)")

    as_of = models.DateTimeField(_("as of"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    trigger = models.CharField(_("started by"), max_length=32, default="command")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    # Per rule: examined, acted, lifted, flagged, errors, queries, seconds, skipped.
    summary = models.JSONField(_("summary"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.pk} @ {self.as_of:%Y-%m-%d %H:%M}"


class RuleEvaluation(models.Model):
    """One outcome of a timed rule: what was found, with which figures, and what was done.

    Append-only: a row is never edited, so it is its own audit record (no history table).
    `dedupe_key` makes an outcome happen once (a rerun, a concurrent run or a receiver that
    already acted finds the key taken).
    """

    run = models.ForeignKey(
        SweepRun,
        verbose_name=_("sweep run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        help_text=_("Empty when a signal receiver acted at once."),
    )
    rule = models.CharField(_("rule"), max_length=32, choices=SweepRule.choices)
    rule_id = models.CharField(_("rule ID"), max_length=32)
    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rule_evaluations",
    )
    subject_type = models.CharField(_("subject type"), max_length=40)
    subject_id = models.CharField(_("subject ID"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=EvaluationOutcome.choices)
    measure = models.ForeignKey(
        "compliance.AppliedMeasure",
        verbose_name=_("measure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
    )
    measure_kind = models.CharField(_("measure kind"), max_length=32, blank=True)
    # Decimals are stored as strings (DjangoJSONEncoder), never floats.
    figures = models.JSONField(_("figures used"), default=dict, encoder=DjangoJSONEncoder)
    message = models.TextField(_("explanation"), blank=True)
    flagged_to = models.CharField(
        _("flagged to"),
        max_length=16,
        blank=True,
        choices=[("reviewers", _("Reviewers")), ("finance", _("Finance"))],
    )
    as_of = models.DateTimeField(_("as of"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=160, null=True, blank=True)

    class Meta:
        verbose_name = _("rule evaluation")
        verbose_name_plural = _("rule evaluations")
        ordering = ["-as_of", "-pk"]
        indexes = [
            models.Index(fields=["vendor", "-as_of"]),
            models.Index(fields=["rule", "outcome"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="evaluation_dedupe_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.get_outcome_display()} {self.subject_type}:{self.subject_id}"


NO_DEPOSIT_MEASURE = _("Choose at least one measure for an unpaid deposit (MS-3.1.5 ③).")


class RuleSetting(models.Model):
    """The sweep's parameters, effective from a moment (RULES: "parameters are data").

    The row in force at a moment is the latest with `effective_from` at or before it; without
    any row the model's defaults apply. Rows are never edited once in force in spirit: add a
    new row with a later `effective_from`, history keeps every change.
    """

    effective_from = models.DateTimeField(_("effective from"), unique=True)
    # MS-5.8 refund rate (ASSUMPTION in RULES: rolling window, minimum order count).
    refund_window_days = models.PositiveIntegerField(
        _("refund-rate window (days)"), default=30, validators=[MinValueValidator(1)]
    )
    refund_rate_threshold = models.DecimalField(
        _("refund-rate threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("A rate above this (not equal to it) loses marketing eligibility."),
    )
    refund_min_orders = models.PositiveIntegerField(
        _("minimum paid orders for a refund rate"), default=0
    )
    refund_improvement_days = models.PositiveIntegerField(
        _("improvement period (days)"), default=30, validators=[MinValueValidator(1)]
    )
    # MS-3.1.5 ③: which of the measures the rule allows the platform applies.
    deposit_suspend_display = models.BooleanField(
        _("unpaid deposit: suspend display"), default=True
    )
    deposit_suspend_trading = models.BooleanField(
        _("unpaid deposit: suspend trading"), default=True
    )
    deposit_close_store = models.BooleanField(_("unpaid deposit: close store"), default=False)
    # MS-3.1.5 ④: how many working days before the due date finance is warned.
    refund_due_notice_working_days = models.PositiveIntegerField(
        _("deposit refund: warn finance this many working days ahead"),
        default=3,
        validators=[MaxValueValidator(15)],
    )
    # MS-6.1.1
    document_warning_days = models.PositiveIntegerField(
        _("documents: warn this many days before expiry"),
        default=30,
        validators=[MinValueValidator(1)],
    )
    # MS-4.2 (ASSUMPTION in RULES: calendar days from the failure).
    saas_hide_all_days = models.PositiveIntegerField(
        _("SaaS failure: hide all SaaS products after (days)"),
        default=7,
        validators=[MinValueValidator(1)],
    )
    saas_delist_all_days = models.PositiveIntegerField(
        _("SaaS failure: delist all SaaS products after (days)"),
        default=30,
        validators=[MinValueValidator(1)],
    )
    note = models.CharField(_("why this change"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sweep setting")
        verbose_name_plural = _("sweep settings")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_rate_threshold__gte=0) & Q(refund_rate_threshold__lte=100),
                name="rulesetting_threshold_percent",
            ),
            models.CheckConstraint(
                condition=Q(refund_window_days__gt=0), name="rulesetting_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(deposit_suspend_display=True)
                | Q(deposit_suspend_trading=True)
                | Q(deposit_close_store=True),
                name="rulesetting_deposit_measure_chosen",
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Sweep settings')} {self.effective_from:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if not (
            self.deposit_suspend_display or self.deposit_suspend_trading or self.deposit_close_store
        ):
            errors["deposit_suspend_display"] = [NO_DEPOSIT_MEASURE]
        if (
            self.saas_hide_all_days is not None
            and self.saas_delist_all_days is not None
            and self.saas_delist_all_days <= self.saas_hide_all_days
        ):
            errors["saas_delist_all_days"] = [
                _("Delisting must come after hiding (more days), MS-4.2.")
            ]
        if errors:
            raise ValidationError(errors)

    @classmethod
    def in_force(cls, at: dt.datetime) -> RuleSetting:
        """The settings row in force at `at`, or an unsaved row of defaults."""
        row = cls.objects.filter(effective_from__lte=at).order_by("-effective_from").first()
        return row if row is not None else cls(effective_from=at, note="defaults")

    def deposit_measure_kinds(self) -> list[str]:
        kinds = []
        if self.deposit_suspend_display:
            kinds.append("suspend_display")
        if self.deposit_suspend_trading:
            kinds.append("suspend_trading")
        if self.deposit_close_store:
            kinds.append("close_store")
        return kinds


class VendorNotification(models.Model):
    """A message in the vendor's inbox; also e-mailed to its staff after commit.

    Rendered once, in the vendor's language, when created: the inbox shows what was sent.
    """

    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    rule_id = models.CharField(_("rule ID"), max_length=32)
    evaluation = models.ForeignKey(
        RuleEvaluation,
        verbose_name=_("evaluation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    action_required_by = models.DateTimeField(_("action required by"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    emailed_to = models.TextField(_("e-mailed to"), blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=160, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vendor notification")
        verbose_name_plural = _("vendor notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["vendor", "read_at"])]

    def __str__(self) -> str:
        return self.subject
