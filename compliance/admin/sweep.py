"""Admin of the sweep's records: evaluations, runs and notifications are read-only; settings
are effective-dated rows that reviewers add (a row already in force is not edited: add a new
one, so every past evaluation keeps the parameters it used)."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from compliance.admin.common import ViewerMixin, admin_link, china_time, measure_label, money
from compliance.models import (
    CaseStatus,
    CauseType,
    RuleEvaluation,
    RuleSetting,
    SweepRule,
    SweepRun,
    VendorNotification,
)
from marketplace.admin_readonly import ReadOnlyAdminMixin
from marketplace.history_admin import SimpleHistoryAdmin


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Records written by the sweep only: viewable, never added, changed or deleted by hand."""

    class Media:
        css = {"all": ("compliance/admin.css",)}


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
    return format_html('<pre class="json">{}</pre>', json.dumps(data, ensure_ascii=False, indent=2))


# --- evaluations in people's words (issue 12 §2) ---------------------------------------------

# The rule's name beside its ID (the choice labels carry the ID already, in brackets).
RULE_NAMES = {
    SweepRule.DEPOSIT_TOPUP: _("Deposit top-up"),
    SweepRule.SAAS_DELIVERY: _("SaaS delivery failure"),
    SweepRule.REFUND_RATE: _("Refund rate"),
    SweepRule.MEASURE_EXPIRY: _("Measure expiry"),
    SweepRule.DOCUMENTS: _("Document expiry"),
    SweepRule.DEPOSIT_REFUND_DUE: _("Deposit refund due"),
    SweepRule.REVIEW_PERIODS: _("Review periods"),
    SweepRule.PENALTY_CASE_CLOSE: _("Penalty cases closing"),
}

# subject_type → (admin model, what it is called)
SUBJECTS: dict[str, tuple[str, Any]] = {
    "applied_measure": ("compliance.appliedmeasure", _("Applied measure")),
    "delivery_failure": ("orders.deliveryfailure", _("Delivery failure")),
    "deposit_refund": ("vendors.depositrefund", _("Deposit refund")),
    "depositrefund": ("vendors.depositrefund", _("Deposit refund")),
    "topup_obligation": ("vendors.topupobligation", _("Top-up obligation")),
    "topupobligation": ("vendors.topupobligation", _("Top-up obligation")),
    "vendor_document": ("vendors.vendordocument", _("Vendor document")),
    "penalty_case": ("compliance.penaltycase", _("Penalty case")),
    "vendor": ("vendors.vendor", _("Vendor")),
}

# The sweep writes its explanations in English (they are records); shown translated.
MESSAGES = {
    "effective state re-derived from the measures in force": _(
        "Effective state re-derived from the measures in force"
    ),
    "refund rate still above the threshold after the improvement period": _(
        "Refund rate still above the threshold after the improvement period"
    ),
    "deposit refund overdue": _("Deposit refund overdue"),
    "deposit refund due soon": _("Deposit refund due soon"),
    "deadline recomputed after a working-calendar change": _(
        "Deadline recomputed after a working-calendar change"
    ),
    "expired": _("Document expired"),
    "expiring": _("Document expiring soon"),
}
_CLOSED_RE = re.compile(r"^(\d+) review periods closed$")

# figure key → its label; the value's kind decides how it is written.
FIGURE_LABELS: dict[str, Any] = {
    "as_of": _("evaluated at"),
    "today": _("today (China date)"),
    "due_at": _("due at"),
    "old_due_at": _("due before"),
    "new_due_at": _("due now"),
    "provisional": _("date provisional (calendar year not confirmed)"),
    "due_provisional": _("due date provisional"),
    "calendar_provisional": _("calendar provisional"),
    "receipt_received_at": _("receipt received at"),
    "notice_working_days": _("warned this many working days ahead"),
    "near_until_day": _("due soon up to"),
    "threshold": _("threshold reached"),
    "obligation_id": _("top-up obligation"),
    "open_overdue_obligations": _("overdue top-up obligations"),
    "open_obligations": _("open top-up obligations"),
    "amount_due": _("amount owed"),
    "measures_setting": _("measures the settings apply"),
    "document_kind": _("document"),
    "valid_until": _("valid until"),
    "warning_days": _("warned this many days ahead"),
    "kind": _("measure"),
    "cause_type": _("cause"),
    "starts_at": _("starts at"),
    "ends_at": _("ends at"),
    "reference": _("case reference"),
    "status": _("status"),
    "window_start": _("window from"),
    "window_end": _("window to"),
    "window_days": _("window"),
    "paid_orders": _("paid orders"),
    "refunded_orders": _("refunded orders"),
    "rate_percent": _("refund rate"),
    "threshold_percent": _("threshold"),
    "min_orders": _("minimum paid orders"),
    "improve_by": _("improve by"),
    "measure_id": _("measure"),
    "failure_id": _("delivery failure"),
    "failed_at": _("failed at"),
    "oldest_failure_id": _("oldest open delivery failure"),
    "oldest_failed_at": _("oldest failure at"),
    "open_failures": _("open delivery failures"),
    "days_elapsed": _("days since the oldest failure"),
    "hide_all_after_days": _("hide all SaaS products after"),
    "delist_all_after_days": _("delist all SaaS products after"),
    "orders_closed": _("review periods closed"),
    "review_period_ended_by": _("review periods ended by"),
    "backlog_remaining": _("more left for the next run"),
    "actions": _("changes attempted"),
}
_TIME_KEYS = {
    "as_of",
    "due_at",
    "old_due_at",
    "new_due_at",
    "receipt_received_at",
    "starts_at",
    "ends_at",
    "window_start",
    "window_end",
    "improve_by",
    "failed_at",
    "oldest_failed_at",
    "review_period_ended_by",
}
_DAY_COUNT_KEYS = {"window_days", "hide_all_after_days", "delist_all_after_days", "days_elapsed"}
_LINKS = {
    "obligation_id": "vendors.topupobligation",
    "measure_id": "compliance.appliedmeasure",
    "failure_id": "orders.deliveryfailure",
    "oldest_failure_id": "orders.deliveryfailure",
}
_THRESHOLDS = {
    "past": _("overdue"),
    "near": _("due soon"),
    "expired": _("expired"),
    "expiring": _("expiring soon"),
}


def _days(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = f"{number.normalize():f}" if number != number.to_integral() else f"{int(number)}"
    return ngettext("%(days)s day", "%(days)s days", int(number) if number == 1 else 2) % {
        "days": text
    }


def _percent(value: Any) -> str:
    if value in (None, ""):
        return str(_("no rate (no paid orders)"))
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}%"
    except (InvalidOperation, ValueError):
        return str(value)


def figure_value(key: str, value: Any) -> Any:
    """One figure as a person reads it: China time, money, percentages, labels, links."""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if value is None:
        return "-"
    if key in _TIME_KEYS:
        return china_time(value)
    if key in ("today", "valid_until", "near_until_day"):
        return str(value)[:10]
    if key in ("amount_due", "amount"):
        return money(value)
    if key.endswith("_percent"):
        return _percent(value)
    if key in _DAY_COUNT_KEYS:
        return _days(value)
    if key in ("warning_days",):
        return _days(value)
    if key == "notice_working_days":
        return ngettext("%(n)s working day", "%(n)s working days", int(value)) % {"n": value}
    if key in _LINKS and str(value).isdigit():
        return admin_link(_LINKS[key], int(value), f"#{value}")
    if key == "kind":
        return measure_label(str(value))
    if key == "measures_setting" and isinstance(value, list):
        return ", ".join(measure_label(str(v)) for v in value)
    if key == "cause_type":
        return str(dict(CauseType.choices).get(value, value))
    if key == "status":
        return str(dict(CaseStatus.choices).get(value, value))
    if key == "threshold":
        return str(_THRESHOLDS.get(value, value))
    if key == "document_kind":
        from vendors.models import VendorDocument

        kinds = dict(VendorDocument._meta.get_field("kind").flatchoices)
        return str(kinds.get(value, value))
    if key == "actions" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return pretty_json(value)
    return str(value)


def figures_table(figures: Any) -> Any:
    if not isinstance(figures, dict) or not figures:
        return "-"
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td></tr>",
        (
            (FIGURE_LABELS.get(key, key.replace("_", " ")), figure_value(key, value))
            for key, value in figures.items()
        ),
    )
    return format_html('<table class="figures">{}</table>', rows)


def message_shown(message: str) -> str:
    if message in MESSAGES:
        return str(MESSAGES[message])
    match = _CLOSED_RE.match(message or "")
    if match:
        n = int(match.group(1))
        return ngettext("%(n)s review period closed", "%(n)s review periods closed", n) % {"n": n}
    return message or "-"


def rule_shown(obj: RuleEvaluation) -> str:
    name = RULE_NAMES.get(obj.rule)
    return f"{obj.rule_id} {name}" if name else obj.rule_id


def evaluation_title(obj: RuleEvaluation) -> str:
    return f"{rule_shown(obj)} · {obj.get_outcome_display()} · {china_time(obj.as_of)}"


def subject_shown(obj: RuleEvaluation) -> Any:
    if obj.subject_type == "vendor" and obj.vendor_id and obj.subject_id == str(obj.vendor_id):
        return admin_link("vendors.vendor", obj.vendor_id, obj.vendor)
    if obj.subject_type == "orders":
        return str(_("Orders"))
    if obj.subject_type == "rule":
        return str(dict(SweepRule.choices).get(obj.subject_id, obj.subject_id))
    model, label = SUBJECTS.get(obj.subject_type, ("", obj.subject_type))
    if not obj.subject_id:
        return str(label)
    text = f"{label} #{obj.subject_id}"
    if model and obj.subject_id.isdigit():
        return admin_link(model, int(obj.subject_id), text)
    return text


@admin.register(RuleEvaluation)
class RuleEvaluationAdmin(ViewerMixin, ReadOnlyAdmin):
    list_display = (
        "as_of_column",
        "rule_column",
        "outcome",
        "vendor",
        "subject",
        "measure_column",
        "figures_brief",
        "flagged_to",
    )
    list_filter = ("rule", "outcome", FlaggedFilter, ("as_of", admin.DateFieldListFilter))
    list_select_related = ("vendor", "run", "measure")
    search_fields = ("vendor__name", "subject_id", "rule_id", "message")
    date_hierarchy = "as_of"
    fields = (
        "rule_column",
        "outcome",
        "vendor",
        "subject",
        "measure_column",
        "figures_shown",
        "message_column",
        "flagged_to",
        "as_of",
        "created_at",
        "run_shown",
    )
    readonly_fields = fields
    change_form_template = "admin/compliance/titled_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The record's own name (`str`) is codes and ids: the page is titled in words.
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None:
            extra_context["subtitle"] = evaluation_title(obj)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("sweep run"))
    def run_shown(self, obj: RuleEvaluation) -> Any:
        if obj.run_id is None:
            return str(_("none: acted on at once when the event happened"))
        text = f"#{obj.run_id} · {china_time(obj.run.as_of)}"
        return admin_link("compliance.sweeprun", obj.run_id, text)

    @admin.display(description=_("as of"), ordering="as_of")
    def as_of_column(self, obj: RuleEvaluation) -> str:
        return china_time(obj.as_of)  # compact, in every language

    @admin.display(description=_("rule"), ordering="rule_id")
    def rule_column(self, obj: RuleEvaluation) -> str:
        return rule_shown(obj)

    @admin.display(description=_("subject"))
    def subject(self, obj: RuleEvaluation) -> Any:
        return subject_shown(obj)

    @admin.display(description=_("measure"))
    def measure_column(self, obj: RuleEvaluation) -> Any:
        label = measure_label(obj.measure_kind) if obj.measure_kind else ""
        if obj.measure_id:
            return admin_link("compliance.appliedmeasure", obj.measure_id, label or "#")
        return label or "-"

    @admin.display(description=_("key figures"))
    def figures_brief(self, obj: RuleEvaluation) -> Any:
        """The two or three figures that decided, on the list itself."""
        figures = obj.figures if isinstance(obj.figures, dict) else {}
        keys = {
            SweepRule.REFUND_RATE: ("rate_percent", "threshold_percent", "paid_orders"),
            SweepRule.DEPOSIT_TOPUP: ("amount_due", "due_at"),
            SweepRule.DEPOSIT_REFUND_DUE: ("due_at", "threshold"),
            SweepRule.DOCUMENTS: ("document_kind", "valid_until"),
            SweepRule.SAAS_DELIVERY: ("open_failures", "days_elapsed", "failed_at"),
            SweepRule.MEASURE_EXPIRY: ("kind", "ends_at"),
            SweepRule.PENALTY_CASE_CLOSE: ("reference",),
            SweepRule.REVIEW_PERIODS: ("orders_closed",),
        }.get(obj.rule, ())
        shown = [
            format_html("{}: {}", FIGURE_LABELS.get(k, k), figure_value(k, figures[k]))
            for k in keys
            if k in figures
        ]
        if "new_due_at" in figures:
            shown = [
                format_html(
                    "{}: {}",
                    FIGURE_LABELS["new_due_at"],
                    figure_value("new_due_at", figures["new_due_at"]),
                )
            ]
        return format_html_join(mark_safe("<br>"), "{}", ((x,) for x in shown)) or "-"

    @admin.display(description=_("figures used"))
    def figures_shown(self, obj: RuleEvaluation) -> Any:
        return figures_table(obj.figures)

    @admin.display(description=_("explanation"))
    def message_column(self, obj: RuleEvaluation) -> str:
        return message_shown(obj.message)


TRIGGERS = {
    "command": _("command (manage.py)"),
    "task": _("scheduled task"),
    "benchmark": _("benchmark"),
}


def _summary_cell(report: dict, key: str) -> str:
    value = report.get(key)
    if value is None:
        return "-"
    if key == "seconds":
        try:
            return f"{float(value):.2f}"
        except (TypeError, ValueError):
            return str(value)
    return str(value)


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "as_of", "started_at", "finished_at", "status", "trigger_shown", "errors")
    list_filter = ("status", "trigger", "dry_run")
    date_hierarchy = "started_at"
    fields = (
        "as_of",
        "started_at",
        "finished_at",
        "status",
        "trigger_shown",
        "dry_run",
        "summary_shown",
    )
    readonly_fields = fields
    change_form_template = "admin/compliance/titled_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if obj is not None:  # `str` shows the time in UTC
            extra_context["subtitle"] = f"#{obj.pk} · {china_time(obj.as_of)}"
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("started by"), ordering="trigger")
    def trigger_shown(self, obj: SweepRun) -> str:
        return str(TRIGGERS.get(obj.trigger, obj.trigger))

    @admin.display(description=_("errors"))
    def errors(self, obj: SweepRun) -> int:
        return sum(int(r.get("errors", 0)) for r in obj.summary.get("rules", []))

    @admin.display(description=_("summary"))
    def summary_shown(self, obj: SweepRun) -> Any:
        """Per rule: what it examined and did, as a table (not the raw JSON)."""
        rules = obj.summary.get("rules") if isinstance(obj.summary, dict) else None
        if not isinstance(rules, list):
            return pretty_json(obj.summary)
        names = dict(SweepRule.choices)
        columns = [
            ("examined", _("examined")),
            ("acted", _("measures taken")),
            ("lifted", _("measures lifted")),
            ("flagged", _("flagged")),
            ("recorded", _("recorded")),
            ("errors", _("errors")),
            ("seconds", _("seconds")),
        ]
        head = format_html_join("", "<th>{}</th>", ((label,) for _k, label in columns))
        body = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (
                    names.get(r.get("rule"), r.get("rule_id") or r.get("rule")),
                    format_html_join(
                        "", "<td>{}</td>", ((_summary_cell(r, k),) for k, _label in columns)
                    ),
                )
                for r in rules
                if isinstance(r, dict)
            ),
        )
        failures = obj.summary.get("failures") or {}
        extra = (
            format_html_join(
                "",
                "<p class='errornote'>{}: {}</p>",
                ((names.get(k, k), v) for k, v in failures.items()),
            )
            if isinstance(failures, dict)
            else ""
        )
        return format_html(
            '<table class="figures"><thead><tr><th>{}</th>{}</tr></thead><tbody>{}</tbody>'
            "</table>{}",
            _("rule"),
            head,
            body,
            extra,
        )


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
        return ", ".join(measure_label(kind) for kind in obj.deposit_measure_kinds())

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
