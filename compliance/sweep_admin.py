"""Admin of the sweep's records: evaluations, runs and notifications are read-only; settings
are effective-dated rows that reviewers add (a row already in force is not edited: add a new
one, so every past evaluation keeps the parameters it used)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.models import (
    RuleEvaluation,
    RuleSetting,
    SweepRun,
    VendorNotification,
)
from marketplace.history_admin import SimpleHistoryAdmin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the sweep only: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FlaggedFilter(admin.SimpleListFilter):
    """Reviewers' and finance's work queues: the outcomes flagged to them."""

    title = _("flagged to")
    parameter_name = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("reviewers", _("Reviewers")),
            ("finance", _("Finance")),
            ("any", _("Anyone")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "any":
            return queryset.exclude(flagged_to="")
        if self.value() in ("reviewers", "finance"):
            return queryset.filter(flagged_to=self.value())
        return queryset


def pretty_json(data: Any) -> str:
    return format_html(
        "<pre style='margin:0'>{}</pre>", json.dumps(data, ensure_ascii=False, indent=2)
    )


@admin.register(RuleEvaluation)
class RuleEvaluationAdmin(ReadOnlyAdmin):
    list_display = (
        "as_of",
        "rule_id",
        "outcome",
        "vendor",
        "subject",
        "measure_kind",
        "flagged_to",
        "run",
    )
    list_filter = ("rule", "outcome", FlaggedFilter, ("as_of", admin.DateFieldListFilter))
    list_select_related = ("vendor", "run")
    search_fields = ("vendor__name", "subject_id", "rule_id", "message")
    date_hierarchy = "as_of"
    fields = (
        "rule",
        "rule_id",
        "outcome",
        "vendor",
        "subject_type",
        "subject_id",
        "measure",
        "measure_kind",
        "figures_shown",
        "message",
        "flagged_to",
        "as_of",
        "created_at",
        "run",
        "dedupe_key",
    )
    readonly_fields = fields

    @admin.display(description=_("subject"))
    def subject(self, obj: RuleEvaluation) -> str:
        return f"{obj.subject_type}:{obj.subject_id}" if obj.subject_id else obj.subject_type

    @admin.display(description=_("figures used"))
    def figures_shown(self, obj: RuleEvaluation) -> str:
        return pretty_json(obj.figures)


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "as_of", "started_at", "finished_at", "status", "trigger", "errors")
    list_filter = ("status", "trigger", "dry_run")
    date_hierarchy = "started_at"
    fields = ("as_of", "started_at", "finished_at", "status", "trigger", "dry_run", "summary_shown")
    readonly_fields = fields

    @admin.display(description=_("errors"))
    def errors(self, obj: SweepRun) -> int:
        return sum(int(r.get("errors", 0)) for r in obj.summary.get("rules", []))

    @admin.display(description=_("summary"))
    def summary_shown(self, obj: SweepRun) -> str:
        return pretty_json(obj.summary)


@admin.register(VendorNotification)
class VendorNotificationAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):  # history read-only too
    list_display = ("created_at", "vendor", "rule_id", "subject", "action_required_by", "read_at")
    list_filter = ("rule_id", ("read_at", admin.EmptyFieldListFilter), "language")
    list_select_related = ("vendor",)
    search_fields = ("vendor__name", "subject")
    date_hierarchy = "created_at"
    fields = (
        "vendor",
        "rule_id",
        "subject",
        "body",
        "language",
        "action_required_by",
        "created_at",
        "emailed_to",
        "read_at",
        "evaluation",
    )
    readonly_fields = fields


@admin.register(RuleSetting)
class RuleSettingAdmin(SimpleHistoryAdmin):
    list_display = (
        "effective_from",
        "refund_window_days",
        "refund_rate_threshold",
        "refund_min_orders",
        "deposit_measures",
        "saas_hide_all_days",
        "saas_delist_all_days",
        "in_force_now",
    )
    list_select_related = ("created_by",)
    readonly_fields = ("created_by",)
    fieldsets = (
        (None, {"fields": ("effective_from", "note", "created_by")}),
        (
            _("Refund rate (MS-5.8)"),
            {
                "fields": (
                    "refund_window_days",
                    "refund_rate_threshold",
                    "refund_min_orders",
                    "refund_improvement_days",
                )
            },
        ),
        (
            _("Deposit (MS-3.1.5 ③ ④)"),
            {
                "fields": (
                    "deposit_suspend_display",
                    "deposit_suspend_trading",
                    "deposit_close_store",
                    "refund_due_notice_working_days",
                )
            },
        ),
        (
            _("SaaS delivery failures (MS-4.2)"),
            {"fields": ("saas_hide_all_days", "saas_delist_all_days")},
        ),
        (_("Documents (MS-6.1.1)"), {"fields": ("document_warning_days",)}),
    )

    @admin.display(description=_("unpaid-deposit measures"))
    def deposit_measures(self, obj: RuleSetting) -> str:
        return ", ".join(obj.deposit_measure_kinds())

    @admin.display(description=_("in force now"), boolean=True)
    def in_force_now(self, obj: RuleSetting) -> bool:
        return obj.effective_from <= timezone.now()

    def get_readonly_fields(self, request: HttpRequest, obj: RuleSetting | None = None):
        # A row in force has judged cases already: it is kept as it was (add a new row).
        if obj is not None and obj.pk and obj.effective_from <= timezone.now():
            return [f.name for f in RuleSetting._meta.fields if f.name != "id"]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: RuleSetting | None = None) -> bool:
        if obj is not None and obj.effective_from <= timezone.now():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: RuleSetting, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        obj._history_user = request.user
        obj._change_reason = obj.note
        super().save_model(request, obj, form, change)
