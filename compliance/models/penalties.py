"""Penalty cases (违规案例, MS-7), their evidence and their audit log.

States: reported → confirmed | dismissed; confirmed → applied, or → pending_approval when a
measure needs a second approver (evict, ban, deposit deduction) and then → applied once a
compliance lead other than the proposer approves; applied → appealed (vendor) → upheld |
revoked; applied / upheld → closed when its measures have run their course.
Transitions only change state in memory; `compliance.services.penalties` does the rest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from compliance.models.violations import ViolationType, ViolationVersion
from marketplace.fields import HttpsURLField
from vendors.validators import validate_document_file

__all__ = ["CaseEvent", "CaseEvidence", "CaseSource", "CaseStatus", "PenaltyCase"]


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    PENDING_APPROVAL = "pending_approval", _("Awaiting second approval")
    APPLIED = "applied", _("Penalty applied")
    APPEALED = "appealed", _("Appealed")
    UPHELD = "upheld", _("Appeal rejected (upheld)")
    REVOKED = "revoked", _("Revoked")
    CLOSED = "closed", _("Closed")


class CaseSource(models.TextChoices):
    ADMIN = "admin", _("Reported in the admin")
    IMPORT = "import", _("Imported")
    RULE = "rule", _("Raised by a rule evaluation")


S = CaseStatus
_APP = "compliance"


class PenaltyCase(models.Model):
    reference = models.CharField(
        _("case reference"),
        max_length=64,
        unique=True,
        help_text=_("Unique; re-importing the same reference creates nothing new."),
    )
    vendor = models.ForeignKey(
        "vendors.Vendor",
        verbose_name=_("vendor"),
        on_delete=models.PROTECT,
        related_name="penalty_cases",
    )
    violation = models.ForeignKey(
        ViolationType, verbose_name=_("violation"), on_delete=models.PROTECT, related_name="cases"
    )
    # MS-9.2: judged by the table as it stood when the conduct happened.
    violation_version = models.ForeignKey(
        ViolationVersion,
        verbose_name=_("judged by table version"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="penalty_cases",
    )
    content = models.TextField(_("content concerned"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    description = models.TextField(_("description"))
    evidence_url = HttpsURLField(_("evidence URL"), max_length=500, blank=True)
    reporter = models.CharField(_("reporter"), max_length=100)
    source = models.CharField(
        _("source"), max_length=8, choices=CaseSource.choices, default=CaseSource.ADMIN
    )
    status = FSMField(_("status"), default=S.REPORTED, choices=S.choices, protected=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    import_job = models.ForeignKey(
        "compliance.ImportJob",
        verbose_name=_("import job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
    )
    decision_reason = models.TextField(_("reason of the last decision"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    appeal_statement = models.TextField(_("appeal statement"), blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # History is read per case (by id) only: no indexes on its copies of the foreign keys,
    # which would slow the bulk import's history rows (docs/benchmarks.md "Penalty import").
    history = HistoricalRecords(
        no_db_index=[
            "reference",
            "vendor",
            "violation",
            "violation_version",
            "product",
            "created_by",
            "import_job",
            "proposed_by",
        ]
    )

    class Meta:
        verbose_name = _("penalty case")
        verbose_name_plural = _("penalty cases")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["vendor", "status"]),
            models.Index(fields=["status", "occurred_at"]),
        ]
        permissions = [
            ("import_penaltycase", _("Can import penalty cases")),
            ("export_penaltycase", _("Can export penalty cases")),
            ("confirm_penaltycase", _("Can confirm or dismiss penalty cases")),
            ("apply_penaltycase", _("Can apply penalties and add or lift measures")),
            ("approve_penaltycase", _("Can give the second approval (compliance lead)")),
            ("decide_appeal", _("Can uphold or revoke an appealed penalty")),
        ]

    def __str__(self) -> str:
        return self.reference

    # The states in which a case's penalty is in force: measures may be added to it.
    IN_FORCE = (S.APPLIED, S.APPEALED, S.UPHELD)

    # Transitions: state only; permission checks and effects are in the services.
    @transition(
        field=status,
        source=S.REPORTED,
        target=S.CONFIRMED,
        permission=f"{_APP}.confirm_penaltycase",
    )
    def confirm(self) -> None:
        pass

    @transition(
        field=status,
        source=[S.REPORTED, S.CONFIRMED],
        target=S.DISMISSED,
        permission=f"{_APP}.confirm_penaltycase",
    )
    def dismiss(self) -> None:
        pass

    @transition(
        field=status,
        source=S.CONFIRMED,
        target=S.PENDING_APPROVAL,
        permission=f"{_APP}.apply_penaltycase",
    )
    def propose(self) -> None:
        """MS-7 / MS-8.3: evict, ban or a deduction waits for a second approver."""

    @transition(
        field=status,
        source=[S.CONFIRMED, S.PENDING_APPROVAL],
        target=S.APPLIED,
        permission=f"{_APP}.apply_penaltycase",
    )
    def apply(self) -> None:
        pass

    @transition(
        field=status,
        source=S.PENDING_APPROVAL,
        target=S.CONFIRMED,
        permission=f"{_APP}.approve_penaltycase",
    )
    def reject_proposal(self) -> None:
        pass

    @transition(field=status, source=S.APPLIED, target=S.APPEALED)
    def appeal(self) -> None:
        pass

    @transition(
        field=status, source=S.APPEALED, target=S.UPHELD, permission=f"{_APP}.decide_appeal"
    )
    def uphold(self) -> None:
        pass

    @transition(
        field=status,
        source=list(IN_FORCE),
        target=S.REVOKED,
        permission=f"{_APP}.decide_appeal",
    )
    def revoke(self) -> None:
        pass

    @transition(field=status, source=[S.APPLIED, S.UPHELD], target=S.CLOSED)
    def close(self) -> None:
        pass


class CaseEvidence(models.Model):
    """A file or link supporting the report or the vendor's appeal."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Report evidence")
        APPEAL = "appeal", _("Appeal evidence")

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.REPORT)
    # Issue 8 §4: PDF, JPG or PNG checked by content (the MS-3.1.3 document rule), also for
    # report evidence added in the admin.
    file = models.FileField(
        _("file"),
        upload_to="compliance/evidence/%Y/%m/",
        blank=True,
        validators=[validate_document_file],
    )
    url = HttpsURLField(_("link"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["case", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(file="", url=""), name="evidence_file_or_url"
            ),
        ]

    def __str__(self) -> str:
        return self.url or self.file.name.rsplit("/", 1)[-1]


class CaseEvent(models.Model):
    """Append-only log of every action on a case: who, when, why, before and after."""

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    reason = models.TextField(_("reason"))
    from_status = models.CharField(_("before"), max_length=20, blank=True)
    to_status = models.CharField(_("after"), max_length=20, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "at", "pk"]

    def __str__(self) -> str:
        # Shown above each row of the case page's log: local (China) time, not UTC.
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M}"
