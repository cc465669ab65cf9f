"""Compliance admin: the violation table (editable by the compliance lead only), penalty cases
with audited action buttons, applied measures, and the bulk import.

Every state change is a button leading to an intermediate page that shows exactly what will
happen and asks for a reason; the view checks the permission itself and calls a service.
Money and state fields are read-only. Changelists cost a fixed number of queries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext, override
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from catalog.models import Product
from compliance import importing
from compliance.importing.reading import CONTROL_CHARS_RE
from compliance.models import (
    ONE_SHOT_KINDS,
    AppliedMeasure,
    CaseEvent,
    CaseEvidence,
    CaseStatus,
    CauseType,
    ImportJob,
    MeasureKind,
    PenaltyCase,
    ServiceComplaint,
    ViolationLevel,
    ViolationMeasure,
    ViolationType,
    ViolationVersion,
)
from compliance.resources import PenaltyCaseResource
from compliance.selectors import cases_awaiting_approval_for
from compliance.services import penalties as svc
from compliance.services.imports import (
    IMPORT_PERMISSION,
    can_retry,
    import_job_check,
    import_job_expire_stale,
    import_job_retry,
    import_job_start,
)
from marketplace.exceptions import DomainError
from marketplace.files import file_link
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import AmountFormField, format_cny

S = CaseStatus
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


# --- reading records: labels, names, links, money, China time (issue 12 §2) -----------------

# The user whose page is being rendered: links are offered only to pages they may open.
# Set by `ViewerMixin` around the whole response, rendering included (a ContextVar is
# per thread and per task, so two requests never see each other's user).
_viewer: ContextVar[Any] = ContextVar("compliance_admin_viewer", default=None)


class ViewerMixin:
    """Renders changelists and change pages with `_viewer` set (the display methods read it:
    Django renders a TemplateResponse after the view returns, so it is rendered here)."""

    class Media:
        # A file, not inline styles: the CSP allows styles from 'self' only.
        css = {"all": ("compliance/admin.css",)}

    def _with_viewer(self, request: HttpRequest, view: Callable[[], HttpResponse]):
        token = _viewer.set(request.user)
        try:
            response = view()
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            _viewer.reset(token)

    def changelist_view(self, request, extra_context=None):
        return self._with_viewer(
            request, lambda: super(ViewerMixin, self).changelist_view(request, extra_context)
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._with_viewer(
            request,
            lambda: super(ViewerMixin, self).changeform_view(
                request, object_id, form_url, extra_context
            ),
        )


def may_view(model_label: str) -> bool:
    """Whether the user of the page may open the admin page of `app_label.model`."""
    user = _viewer.get()
    if user is None:
        return False
    app_label, model = model_label.split(".")
    return user.has_perm(f"{app_label}.view_{model}") or user.has_perm(
        f"{app_label}.change_{model}"
    )


def admin_link(model_label: str, pk: Any, text: Any) -> SafeString:
    """A link to a record's admin page, or its name alone for a user who may not open it."""
    if pk in (None, "") or not may_view(model_label):
        return format_html("{}", text)
    app_label, model = model_label.split(".")
    try:
        url = reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:  # a model without an admin page: the name alone
        return format_html("{}", text)
    return format_html('<a href="{}">{}</a>', url, text)


def china_time(value: Any) -> str:
    """An aware time (or its ISO text, as JSON keeps it) in China time, to the minute."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            return value.strftime("%Y-%m-%d %H:%M")
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "-" if value in (None, "") else str(value)


def money(value: Any) -> str:
    if value in (None, ""):
        return "-"
    try:
        return format_cny(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def measure_label(kind: str) -> str:
    return str(MeasureKind(kind).label) if kind in MeasureKind.values else (kind or "-")


def violation_name(version: ViolationVersion | None) -> str:
    """The row's name in the user's language (the table keeps both)."""
    if version is None:
        return ""
    return version.name(get_language())


def violation_shown(code: str, version: ViolationVersion | None) -> SafeString:
    name = violation_name(version)
    if not name:
        return format_html("{}", code)
    return format_html('{} <span class="quiet">({})</span>', name, code)


def execution_shown(ref: str) -> SafeString | str:
    """What a one-shot act did, in words with links (the stored ref is a code such as
    `ledger:10` or `products:3,4`)."""
    ref = ref or ""
    kind, _sep, rest = ref.partition(":")
    if kind == "ledger" and rest.isdigit():
        text = format_html("{} #{}", _("Deposit ledger entry"), rest)
        return admin_link("vendors.depositentry", int(rest), text)
    words = {
        "evicted": _("Evicted (banned for ever)"),
        "already evicted": _("Already evicted"),
        "not listed": _("Not listed: nothing to delist"),
        "none listed": _("Not listed: nothing to delist"),
    }
    if ref in words:
        return str(words[ref])
    if kind in ("product", "products"):
        ids = [int(x) for x in rest.split(",") if x.isdigit()]
        names = {p.pk: str(p) for p in Product.objects.filter(pk__in=ids)}
        links = format_html_join(
            ", ",
            "{}",
            ((admin_link("catalog.product", pk, names.get(pk, f"#{pk}")),) for pk in ids),
        )
        return format_html("{}: {}", _("Delisted"), links)
    return ref or "-"


def measure_phrase(
    *,
    kind: str,
    product: Any = None,
    amount: Any = None,
    starts_at: Any = None,
    ends_at: Any = None,
    days: int | None = None,
    state: Any = "",
) -> SafeString:
    """One measure in words: "暂停展示 · 产品 · 30 天 — 等待第二审批人"."""
    parts: list[Any] = [measure_label(kind)]
    if product is not None:
        parts.append(admin_link("catalog.product", product.pk, product))
    if amount not in (None, ""):
        parts.append(money(amount))
    start, end = _moment(starts_at), _moment(ends_at)
    if days is None and start is not None and end is not None:
        days = round((end - start).total_seconds() / 86400)
    if days:
        parts.append(ngettext("%(days)s day", "%(days)s days", days) % {"days": days})
    elif kind not in ONE_SHOT_KINDS:
        parts.append(str(_("until lifted")))
    text = format_html_join(" · ", "{}", ((p,) for p in parts))
    if state:
        return format_html("{} — {}", text, state)
    return text


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def html_list(items: Iterable[Any]) -> SafeString:
    items = list(items)
    if not items:
        return mark_safe("-")
    return format_html(
        '<ul class="plain-list">{}</ul>', format_html_join("", "<li>{}</li>", ((i,) for i in items))
    )


# --- forms ----------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Required. Recorded in the case log and history with your name."),
    )


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Measure"), required=False)
    days = forms.IntegerField(label=_("For days"), min_value=1, max_value=3650, required=False)
    amount = AmountFormField(label=_("Deduction (CNY)"), min_value=0, required=False)
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: PenaltyCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------"), *MeasureKind.choices]
        self.fields["product"].queryset = Product.objects.filter(vendor_id=case.vendor_id)

    def extra(self) -> svc.ExtraMeasure | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return svc.ExtraMeasure(
            kind=data["kind"],
            days=data.get("days"),
            amount=data.get("amount"),
            product=data.get("product"),
        )


class ExtraReasonForm(ReasonForm):
    extra_reason = forms.CharField(
        label=_("Why measures beyond the table (MS-7.2)"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 70}),
        required=False,
        help_text=_("Required when you add measures: severity, reach or consequences."),
    )


# --- the action buttons ---------------------------------------------------------------------


def _waiting(case: PenaltyCase) -> bool:
    return case.measures.filter(awaiting_approval=True, lifted_at__isnull=True).exists()


def _proposed_by(case: PenaltyCase, user: Any) -> bool:
    """MS-7 / MS-8.3: the proposer of a waiting measure is not offered the second approval
    (a direct POST is still refused by the service, with its message)."""
    return case.measures.filter(
        awaiting_approval=True, lifted_at__isnull=True, created_by_id=user.pk
    ).exists()


@dataclass(frozen=True)
class CaseAction:
    name: str
    label: Any
    permission: str
    allowed: Callable[[PenaltyCase], bool]
    danger: bool = False
    help_text: Any = ""


ACTIONS = [
    CaseAction(
        "confirm",
        _("Confirm"),
        svc.PERM_CONFIRM,
        lambda c: c.status == S.REPORTED,
        help_text=_("The report is found true (MS-7.1). No measure is applied yet."),
    ),
    CaseAction(
        "dismiss",
        _("Dismiss"),
        svc.PERM_CONFIRM,
        lambda c: c.status in (S.REPORTED, S.CONFIRMED),
        danger=True,
    ),
    CaseAction(
        "apply",
        _("Apply penalty"),
        svc.PERM_APPLY,
        lambda c: c.status == S.CONFIRMED,
        help_text=_(
            "Creates the measures below. If one of them is an eviction, a ban or a deposit "
            "deduction, the whole penalty waits for a second approver, another compliance "
            "lead, and nothing takes effect before the approval."
        ),
    ),
    CaseAction("approve", _("Second approval"), svc.PERM_APPROVE, _waiting),
    CaseAction("reject", _("Refuse proposal"), svc.PERM_APPROVE, _waiting, danger=True),
    CaseAction(
        "add_measure",
        _("Add measure"),
        svc.PERM_APPLY,
        lambda c: c.status in (S.APPLIED, S.APPEALED, S.UPHELD),
        help_text=_("A measure beyond the table's for severity (MS-7.2)."),
    ),
    CaseAction(
        "uphold", _("Uphold (reject appeal)"), svc.PERM_DECIDE, lambda c: c.status == S.APPEALED
    ),
    CaseAction(
        "revoke",
        _("Revoke penalty"),
        svc.PERM_DECIDE,
        lambda c: c.status in (S.APPLIED, S.APPEALED, S.UPHELD),
        danger=True,
        help_text=_(
            "Lifts every measure of the case and gives back its deposit deductions with a "
            "reversing ledger entry. An eviction cannot be undone here (MS-8.3)."
        ),
    ),
]
ACTIONS_BY_NAME = {a.name: a for a in ACTIONS}


# --- inlines --------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MeasureInline(ReadOnlyInline):
    model = AppliedMeasure
    fk_name = "penalty_case"
    fields = (
        "kind",
        "product_shown",
        "starts_at",
        "ends_at",
        "amount_shown",
        "awaiting_approval",
        "approved_by",
        "executed_at",
        "execution",
        "lifted_at",
        "lift_reason",
    )
    readonly_fields = fields
    verbose_name_plural = _("Applied measures")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "approved_by")

    @admin.display(description=AppliedMeasure._meta.get_field("product").verbose_name)
    def product_shown(self, obj: AppliedMeasure):
        if obj.product_id is None:
            return "-"
        return admin_link("catalog.product", obj.product_id, obj.product)

    @admin.display(description=AppliedMeasure._meta.get_field("amount").verbose_name)
    def amount_shown(self, obj: AppliedMeasure) -> str:
        return money(obj.amount)

    @admin.display(description=AppliedMeasure._meta.get_field("execution_ref").verbose_name)
    def execution(self, obj: AppliedMeasure):
        """What the one-shot act did, in words (the stored ref is a code)."""
        return execution_shown(obj.execution_ref) if obj.execution_ref else "-"


# What each logged action is called on the case page (the log stores stable codes).
EVENT_LABELS = {
    "report": _("Case reported"),
    "confirm": _("Confirm"),
    "dismiss": _("Dismiss"),
    "apply": _("Apply penalty"),
    "propose": _("Proposed for a second approval"),
    "approve": _("Second approval"),
    "reject": _("Refuse proposal"),
    "add_measure": _("Add measure"),
    "lift_measure": _("Lift measure"),
    "appeal": _("Appeal"),
    "uphold": _("Uphold (reject appeal)"),
    "revoke": _("Revoke penalty"),
    "close": _("Closed"),
}


def _default_report_reasons() -> set[str]:
    texts = set()
    for code, _name in settings.LANGUAGES:
        with override(code):
            texts.add(str(EVENT_LABELS["report"]))
    return texts


def _status_label(value: str) -> str:
    return str(CaseStatus(value).label) if value in CaseStatus.values else (value or "-")


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("at", "action_label", "actor", "before", "after", "reason_shown", "details_summary")
    readonly_fields = fields
    verbose_name_plural = _("Action log (who, when, why, before → after)")

    @admin.display(description=_("reason"))
    def reason_shown(self, obj: CaseEvent) -> str:
        # A report with no reason of its own stores the service's default text in the
        # writer's language (an import, the API, a test); it is read in the reader's.
        if obj.action == "report" and obj.reason in _default_report_reasons():
            return str(EVENT_LABELS["report"])
        return obj.reason or "-"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("action"))
    def action_label(self, obj: CaseEvent) -> str:
        return str(EVENT_LABELS.get(obj.action, obj.action))

    @admin.display(description=_("before"))
    def before(self, obj: CaseEvent) -> str:
        return _status_label(obj.from_status)

    @admin.display(description=_("after"))
    def after(self, obj: CaseEvent) -> str:
        return _status_label(obj.to_status)

    def _case_data(self, case_id: int) -> tuple[dict[int, AppliedMeasure], dict[int, Product]]:
        """The case's measures and their products, read once per page (the log's details
        name them by id)."""
        cache = self.__dict__.setdefault("_case_cache", {})
        if case_id not in cache:
            measures = {
                m.pk: m
                for m in AppliedMeasure.objects.filter(penalty_case_id=case_id).select_related(
                    "product"
                )
            }
            products = {m.product_id: m.product for m in measures.values() if m.product_id}
            cache[case_id] = (measures, products)
        return cache[case_id]

    @admin.display(description=_("details"))
    def details_summary(self, obj: CaseEvent):
        """The measures an action touched, as a list in words (not the raw JSON)."""
        return event_details(obj, *self._case_data(obj.case_id))


def _event_state(action: str, item: dict[str, Any]) -> Any:
    if item.get("awaiting_approval"):
        return _("waits for a second approver")
    return {
        "apply": _("in force at once"),
        "add_measure": _("in force at once"),
        "approve": _("approved, in force from the approval"),
        "lift_measure": _("lifted"),
    }.get(action, "")


def event_details(
    event: CaseEvent, measures: dict[int, AppliedMeasure], products: dict[int, Product]
) -> SafeString:
    details = event.details if isinstance(event.details, dict) else {}
    lines: list[Any] = []

    def by_id(pk: Any) -> SafeString:
        measure = measures.get(pk) if isinstance(pk, int) else None
        if measure is None:
            return format_html("{} #{}", _("measure"), pk)
        return measure_phrase(
            kind=measure.kind,
            product=measure.product,
            amount=measure.amount,
            starts_at=measure.starts_at,
            ends_at=measure.ends_at,
        )

    raw = details.get("measures") or []
    if event.action == "reject":
        for pk in raw:
            lines.append(format_html("{} — {}", by_id(pk), _("proposal refused, never in force")))
    else:
        for item in raw:
            if not isinstance(item, dict):
                continue
            lines.append(
                measure_phrase(
                    kind=item.get("kind", ""),
                    product=products.get(item.get("product")),
                    amount=item.get("amount"),
                    starts_at=item.get("starts_at"),
                    ends_at=item.get("ends_at"),
                    state=_event_state(event.action, item),
                )
            )
    for pk in details.get("lifted") or []:
        lines.append(format_html("{} — {}", by_id(pk), _("lifted")))
    for ref in details.get("reversals") or []:
        lines.append(format_html("{}: {}", _("Deduction given back"), execution_shown(str(ref))))
    for pk in details.get("eviction_stays") or []:
        lines.append(
            format_html("{} — {}", by_id(pk), _("stays: an eviction cannot be undone (MS-8.3)"))
        )
    if details.get("extra_reason"):
        lines.append(
            format_html(
                "{}: {}", _("Why measures beyond the table (MS-7.2)"), details["extra_reason"]
            )
        )
    return html_list(lines)


class EvidenceInline(admin.TabularInline):
    model = CaseEvidence
    extra = 0
    fields = ("kind", "file", "url", "note", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- changelist filters ---------------------------------------------------------------------


class ApprovalQueueFilter(admin.SimpleListFilter):
    title = _("second approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("Waiting for a second approver")),
            ("for_me", _("Waiting for my second approval")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(waiting_approval=True)
        if self.value() == "for_me":
            # The work board's queue, from the same selector.
            return queryset.filter(
                pk__in=cases_awaiting_approval_for(user=request.user).values("pk")
            )
        return queryset


class ViolationFilter(admin.SimpleListFilter):
    """The violation table's rows by name (in the user's language) and code, not codes alone.
    Same parameter as Django's own filter, so links to the list keep working."""

    title = _("violation")
    parameter_name = "violation__id__exact"

    def lookups(self, request, model_admin):
        return [
            (vtype.pk, f"{violation_name(version)} ({vtype.code})" if version else vtype.code)
            for vtype, version in violation_rows()
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and str(value).isdigit():
            return queryset.filter(violation_id=int(value))
        return queryset


def violation_rows() -> list[tuple[ViolationType, ViolationVersion | None]]:
    """Every row of the table with its version in force today (two queries)."""
    today = timezone.localdate()
    types = list(ViolationType.objects.order_by("pk"))
    current: dict[int, ViolationVersion] = {}
    for version in ViolationVersion.objects.filter(effective_from__lte=today).order_by(
        "violation_id", "-effective_from"
    ):
        current.setdefault(version.violation_id, version)
    return [(vtype, current.get(vtype.pk)) for vtype in types]


# --- penalty cases --------------------------------------------------------------------------


def refuse_control_characters(value: str) -> None:
    bad = CONTROL_CHARS_RE.search(value or "")
    if bad:
        raise forms.ValidationError(
            _("Remove the invisible control character (U+%(code)04X) from this text.")
            % {"code": ord(bad.group())}
        )


class CaseAddForm(forms.ModelForm):
    class Meta:
        model = PenaltyCase
        fields = (
            "reference",
            "vendor",
            "violation",
            "product",
            "content",
            "occurred_at",
            "description",
            "evidence_url",
            "reporter",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Control characters (a vertical tab pasted from Word…) cannot be exported to XLSX
        # and break CSV readers: refused where they are typed (issue 9 §3).
        for name in ("reference", "content", "description", "evidence_url", "reporter"):
            if name in self.fields:
                self.fields[name].validators.append(refuse_control_characters)

    def clean(self):
        data = super().clean()
        violation, when = data.get("violation"), data.get("occurred_at")
        product, vendor = data.get("product"), data.get("vendor")
        try:
            if violation is not None and violation.retired:
                raise forms.ValidationError(_("This violation is retired."))
            if when is not None and when > timezone.now():
                raise forms.ValidationError(_("The conduct cannot have happened in the future."))
            if violation is not None and when is not None:
                svc.version_in_force(violation, when)
            if product is not None and vendor is not None and product.vendor_id != vendor.pk:
                raise forms.ValidationError(_("The product does not belong to this vendor."))
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(PenaltyCase)
class PenaltyCaseAdmin(ViewerMixin, ExportMixin, SimpleHistoryAdmin):
    resource_classes = [PenaltyCaseResource]
    formats = [CSV, XLSX]
    # CSV exports with a BOM: Excel on Chinese Windows reads BOM-less CSV as GB18030 (issue 9).
    to_encoding = "utf-8-sig"
    list_display = (
        "reference",
        "status",
        "violation_column",
        "vendor",
        "occurred_column",
        "source",
        "waiting_approval_flag",
        "measure_count",
    )
    list_select_related = ("vendor", "violation", "violation_version")
    list_filter = ("status", ApprovalQueueFilter, "source", ViolationFilter)
    search_fields = ("reference", "vendor__name", "vendor__credit_code")
    raw_id_fields = ("vendor", "product")
    inlines = [MeasureInline, EvidenceInline, EventInline]
    change_form_template = "admin/compliance/penaltycase/change_form.html"
    # Becomes the base of django-import-export's export change list (its mixin wraps it).
    change_list_template = "admin/compliance/penaltycase/change_list.html"
    list_per_page = 50

    def get_queryset(self, request):
        waiting = AppliedMeasure.objects.filter(
            penalty_case=OuterRef("pk"), awaiting_approval=True, lifted_at__isnull=True
        )
        counts = (
            AppliedMeasure.objects.filter(penalty_case=OuterRef("pk"))
            .order_by()
            .values("penalty_case")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(waiting_approval=Exists(waiting), measures_n=Subquery(counts))
        )

    @admin.display(description=_("violation"), ordering="violation__code")
    def violation_column(self, obj: PenaltyCase):
        # The name of the row that judged the case (MS-9.2), beside its code.
        return violation_shown(obj.violation.code, obj.violation_version)

    @admin.display(description=_("occurred at"), ordering="occurred_at")
    def occurred_column(self, obj: PenaltyCase) -> str:
        return china_time(obj.occurred_at)  # compact, China time, in every language

    @admin.display(description=_("violation"))
    def violation_detail(self, obj: PenaltyCase):
        version = obj.violation_version
        return format_html(
            "{} · {}",
            admin_link(
                "compliance.violationtype",
                obj.violation_id,
                violation_shown(obj.violation.code, version),
            ),
            version.get_level_display(),
        )

    @admin.display(description=_("judged by table version"))
    def table_version(self, obj: PenaltyCase):
        version = obj.violation_version
        text = _("in force from %(day)s (MS-9.2)") % {"day": version.effective_from.isoformat()}
        return admin_link("compliance.violationversion", version.pk, text)

    @admin.display(description=_("import job"))
    def import_job_shown(self, obj: PenaltyCase):
        if obj.import_job_id is None:
            return "-"
        if not may_view("compliance.importjob"):
            return str(obj.import_job)
        url = reverse("admin:compliance_penaltycase_import_job", args=[obj.import_job_id])
        return format_html('<a href="{}">{}</a>', url, obj.import_job)

    @admin.display(boolean=True, description=_("waits for 2nd approval"))
    def waiting_approval_flag(self, obj: PenaltyCase) -> bool:
        return bool(getattr(obj, "waiting_approval", False))

    @admin.display(description=_("measures"), ordering="measures_n")
    def measure_count(self, obj: PenaltyCase) -> int:
        return getattr(obj, "measures_n", None) or 0

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CaseAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return CaseAddForm.Meta.fields
        return (
            "reference",
            "status",
            "vendor",
            "violation_detail",
            "table_version",
            "product",
            "content",
            "occurred_at",
            "description",
            "evidence_url",
            "reporter",
            "source",
            "import_job_shown",
            "created_by",
            "created_at",
            "decision_reason",
            "proposed_by",
            "proposed_at",
            "applied_at",
            "appeal_statement",
            "appealed_at",
            "closed_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # cases change only through the action buttons (services)
        data = form.cleaned_data
        try:
            case = svc.case_create(
                reference=data["reference"],
                vendor=data["vendor"],
                violation=data["violation"],
                occurred_at=data["occurred_at"],
                description=data["description"],
                reporter=data["reporter"],
                product=data.get("product"),
                content=data.get("content") or "",
                evidence_url=data.get("evidence_url") or "",
                actor=request.user,
            )
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc
        form.instance = obj
        obj.pk = case.pk
        obj.__dict__.update(case.__dict__)

    def save_formset(self, request, form, formset, change):
        if formset.model is CaseEvidence:
            for evidence in formset.save(commit=False):
                evidence.added_by = request.user
                from marketplace.audit import save_audited

                save_audited(evidence, actor=request.user, reason=str(_("Evidence added")))
            return
        super().save_formset(request, form, formset, change)

    # --- buttons and their pages ------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="compliance_penaltycase_import",
            ),
            path(
                "import/<int:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name="compliance_penaltycase_import_job",
            ),
            path(
                "import/template.<str:file_format>",
                self.admin_site.admin_view(self.import_template_view),
                name="compliance_penaltycase_import_template",
            ),
            path(
                "<path:object_id>/do/<str:action>/",
                self.admin_site.admin_view(self.action_view),
                name="compliance_penaltycase_action",
            ),
            path(
                "<path:object_id>/lift/<int:measure_id>/",
                self.admin_site.admin_view(self.lift_view),
                name="compliance_penaltycase_lift",
            ),
            *super().get_urls(),
        ]

    def _buttons(self, request, case: PenaltyCase) -> list[dict[str, Any]]:
        return [
            {
                "label": action.label,
                "danger": action.danger,
                "url": reverse("admin:compliance_penaltycase_action", args=[case.pk, action.name]),
            }
            for action in ACTIONS
            if request.user.has_perm(action.permission)
            and action.allowed(case)
            and not (action.name == "approve" and _proposed_by(case, request.user))
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if case is not None:
            extra_context["case_buttons"] = self._buttons(request, case)
            extra_context["lift_urls"] = {
                m.pk: reverse("admin:compliance_penaltycase_lift", args=[case.pk, m.pk])
                for m in case.measures.filter(lifted_at__isnull=True)
                if _may_lift(request.user, m)
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_import"] = request.user.has_perm(IMPORT_PERMISSION)
        return super().changelist_view(request, extra_context)

    def export_action(self, request):
        """The export filters like the change list; a query parameter that is not a filter
        (`?format=0`, hand-typed or stale links) is a clear 400, not a 500 (issue 9 §4)."""
        from django.contrib.admin.options import IncorrectLookupParameters

        try:
            return super().export_action(request)
        except (IncorrectLookupParameters, ValueError):
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Export"),
                "error": _(
                    "The export link holds a filter this list does not know; nothing was "
                    "exported. Open the export from the penalty case list."
                ),
                "export_url": request.path,
            }
            return TemplateResponse(
                request, "admin/compliance/export_error.html", context, status=400
            )

    def _case_or_404(self, request, object_id) -> PenaltyCase:
        case = self.get_object(request, unquote(object_id))
        if case is None:
            raise Http404
        return case

    def action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        spec = ACTIONS_BY_NAME.get(action)
        if spec is None:
            raise Http404
        case = self._case_or_404(request, object_id)
        if not request.user.has_perm(spec.permission):
            raise PermissionDenied
        change_url = reverse("admin:compliance_penaltycase_change", args=[case.pk])
        if not spec.allowed(case):
            self.message_user(
                request,
                _("This action is not possible while the case is %(status)s.")
                % {"status": case.get_status_display()},
                messages.WARNING,
            )
            return HttpResponseRedirect(change_url)
        post = request.POST if request.method == "POST" else None
        form_class = ExtraReasonForm if action == "apply" else ReasonForm
        if post is not None and "confirm" not in post:
            # A preview: keep what was typed, without "this field is required" yet.
            form = form_class(initial={name: post.get(name, "") for name in form_class.base_fields})
        else:
            form = form_class(post)
        measure_forms = []
        if action in ("apply", "add_measure"):
            count = 2 if action == "apply" else 1
            measure_forms = [MeasureForm(post, case=case, prefix=f"m{i}") for i in range(count)]
        valid = form.is_valid() if form.is_bound else False
        valid = valid and all(f.is_valid() for f in measure_forms)
        extras = [e for f in measure_forms if f.is_bound and f.is_valid() and (e := f.extra())]
        error = ""
        plan: list[svc.PlannedMeasure] = []
        try:
            plan = self._preview(case, action, extras)
        except DomainError as exc:
            error = str(exc)
        # MS-7 / MS-8.3: the proposer is not offered their own second approval (a POST is
        # still refused by the service, with its message).
        own_proposal = action == "approve" and _proposed_by(case, request.user)
        if valid and "confirm" in request.POST and not error:
            try:
                self._perform(request, case, action, form.cleaned_data, extras)
            except DomainError as exc:
                error = str(exc)
            else:
                self.message_user(
                    request, _("%(action)s: done.") % {"action": spec.label}, messages.SUCCESS
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec.label}: {case.reference}",
            "case": case,
            "object": case,
            "violation_text": violation_shown(case.violation.code, case.violation_version),
            "spec": spec,
            "form": form,
            "measure_forms": measure_forms,
            "plan": plan,
            "plan_rows": [_plan_row(item) for item in plan],
            "plan_waits": any(item.waits for item in plan),
            "plan_immediate": [_plan_row(i) for i in plan if not i.skipped and not i.waits],
            "plan_waiting": [_plan_row(i) for i in plan if not i.skipped and i.waits],
            "plan_causes": sorted(
                {i.label for i in plan if not i.skipped and i.needs_approval}, key=str
            ),
            "own_proposal": own_proposal,
            "error": error,
            "change_url": change_url,
            "waiting": [
                {
                    "text": measure_phrase(
                        kind=m.kind,
                        product=m.product,
                        amount=m.amount,
                        starts_at=m.starts_at,
                        ends_at=m.ends_at,
                    ),
                    "proposer": m.created_by,
                }
                for m in case.measures.filter(awaiting_approval=True, lifted_at__isnull=True)
                .select_related("product", "created_by")
                .order_by("pk")
            ]
            if action in ("approve", "reject")
            else [],
            "open_measures": list(
                case.measures.filter(lifted_at__isnull=True)
                .select_related("product")
                .order_by("pk")
            )
            if action == "revoke"
            else [],
            "deductions": list(
                case.measures.filter(kind=MeasureKind.DEDUCT_DEPOSIT, executed_at__isnull=False)
            )
            if action == "revoke"
            else [],
        }
        return TemplateResponse(request, "admin/compliance/action.html", context)

    def _preview(self, case, action, extras) -> list[svc.PlannedMeasure]:
        # The service's own plans: what the page shows is what the action does.
        if action == "apply":
            return svc.penalty_apply_plan(case=case, extra=extras).measures
        if action == "add_measure" and extras:
            return svc.penalty_plan(case=case, extra=extras)[-len(extras) :]
        return []

    def _perform(self, request, case, action, data, extras) -> None:
        user, reason = request.user, data["reason"]
        if action == "confirm":
            svc.penalty_confirm(case=case, actor=user, reason=reason)
        elif action == "dismiss":
            svc.penalty_dismiss(case=case, actor=user, reason=reason)
        elif action == "apply":
            svc.penalty_apply(
                case=case,
                actor=user,
                reason=reason,
                extra=extras,
                extra_reason=data.get("extra_reason", ""),
            )
        elif action == "approve":
            svc.penalty_approve(case=case, actor=user, reason=reason)
        elif action == "reject":
            svc.penalty_reject(case=case, actor=user, reason=reason)
        elif action == "add_measure":
            if not extras:
                raise DomainError(_("Choose a measure to add."))
            svc.penalty_measure_add(case=case, extra=extras[0], actor=user, reason=reason)
        elif action == "uphold":
            svc.penalty_uphold(case=case, actor=user, reason=reason)
        elif action == "revoke":
            svc.penalty_revoke(case=case, actor=user, reason=reason)

    def lift_view(self, request: HttpRequest, object_id: str, measure_id: int) -> HttpResponse:
        case = self._case_or_404(request, object_id)
        measure = get_object_or_404(AppliedMeasure, pk=measure_id, penalty_case=case)
        return _lift_page(
            self, request, measure, reverse("admin:compliance_penaltycase_change", args=[case.pk])
        )

    # --- import -----------------------------------------------------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job, _report = import_job_check(
                    name=upload.name, content=upload.read(), actor=request.user
                )
            except DomainError as exc:
                form.add_error("file", str(exc))
            else:
                return HttpResponseRedirect(
                    reverse("admin:compliance_penaltycase_import_job", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import penalty cases"),
            "form": form,
            "columns": import_columns(),
            "time_formats": importing.accepted_time_formats(),
            "preview_rows": importing.PREVIEW_ROWS,
        }
        return TemplateResponse(request, "admin/compliance/import_form.html", context)

    def import_template_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        """The file to fill in: the import's columns, headed in the user's language."""
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        if file_format not in ("csv", "xlsx"):
            raise Http404
        content, content_type = import_template(file_format)
        response = HttpResponse(content, content_type=content_type)
        stem = _("penalty-cases-template")
        name = f"{stem}.{file_format}"
        response.headers["Content-Disposition"] = content_disposition_header(True, name)
        return response

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        job = import_job_expire_stale(job=get_object_or_404(ImportJob, pk=job_id))
        if request.method == "POST" and ("confirm" in request.POST or "retry" in request.POST):
            start = import_job_start if "confirm" in request.POST else import_job_retry
            try:
                job = start(job=job, actor=request.user)
            except DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import %(name)s") % {"name": job.original_name},
            "job": job,
            "running": job.status
            in (ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
            "can_retry": can_retry(job),
            "can_start": job.status == ImportJob.Status.CHECKED
            and not job.error_rows
            and job.new_rows > 0,
            "preview": _job_preview(job),
            "preview_limit": importing.PREVIEW_ROWS,
        }
        return TemplateResponse(request, "admin/compliance/import_job.html", context)


def _plan_row(item: svc.PlannedMeasure) -> dict[str, Any]:
    """One planned measure as the preview shows it: when it takes effect and until when."""
    if item.days:
        length = ngettext("%(days)s day", "%(days)s days", item.days) % {"days": item.days}
    else:
        length = ""
    if item.skipped:
        starts, ends = "-", "-"
    elif item.waits:
        starts = str(_("on the second approval"))
        ends = (
            str(_("%(length)s after the approval") % {"length": length})
            if length
            else str(_("no end (until lifted)"))
        )
    else:
        starts = _("%(time)s (at once)") % {
            "time": f"{timezone.localtime(item.starts_at):%Y-%m-%d %H:%M}"
        }
        ends = (
            _("%(time)s (%(length)s)")
            % {"time": f"{timezone.localtime(item.ends_at):%Y-%m-%d %H:%M}", "length": length}
            if item.ends_at
            else str(_("no end (until lifted)"))
        )
    if item.kind in ONE_SHOT_KINDS and not item.skipped:
        ends = str(_("carried out once"))
    return {
        "label": item.label,
        "extra": item.extra,
        "skipped": item.skipped,
        "waits": item.waits,
        "needs_approval": item.needs_approval,
        "product": item.product,
        "amount": money(item.amount) if item.amount is not None else "-",
        "length": length,
        "starts": starts,
        "ends": ends,
        "affected": item.affected_products,
    }


# What each column of the import holds (shown on the import page and in the template).
COLUMN_HELP = {
    "reference": _("Unique; a reference already imported with the same data is skipped."),
    "vendor": _("The vendor's unified social credit code (18 characters) or its vendor ID."),
    "violation": _("A code of the violation table, e.g. SPAM_AD."),
    "occurred_at": _("When the conduct happened, China time; a date alone means 00:00."),
    "product": _("Optional: the product's ID; it must belong to the vendor."),
    "description": _("What happened."),
    "evidence_url": _("Optional: a https:// link to the evidence."),
    "reporter": _("Who reported it (at most 100 characters)."),
}


def import_columns() -> list[dict[str, Any]]:
    return [
        {
            "zh": importing.ZH_COLUMN_LABELS[key],
            "en": importing.COLUMN_LABELS[key],
            "required": key in importing.REQUIRED,
            "help": COLUMN_HELP[key],
        }
        for key in importing.COLUMNS
    ]


def import_template(file_format: str) -> tuple[bytes, str]:
    """CSV (UTF-8 with BOM, for Excel on Chinese Windows) or XLSX with the header row only
    (an example row would be imported if left in); the XLSX explains the columns, the date
    formats and the violation codes on a second sheet, which the import does not read."""
    headers = importing.template_headers()
    if file_format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerow(headers)
        return buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Cases"))
    sheet.append(headers)
    for index, key in enumerate(importing.COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = 24 if key != "description" else 40
        if key in ("reference", "vendor", "product"):
            # Text: an 18-digit credit code typed in Excel would become 9.1E+17.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(str(_("Instructions")))
    notes.append([str(_("Column")), str(_("Must be filled in")), str(_("What it holds"))])
    chinese = headers[0] == importing.ZH_COLUMN_LABELS["reference"]
    for column in import_columns():
        notes.append(
            [
                column["zh"] if chinese else column["en"],
                str(_("yes") if column["required"] else _("no")),
                str(column["help"]),
            ]
        )
    notes.append([])
    notes.append([str(_("Accepted date and time formats (China time)"))])
    for example in importing.accepted_time_formats():
        notes.append([example])
    notes.append([str(_("Excel date cells are read as they are."))])
    notes.append([])
    notes.append([str(_("Violation codes")), "", str(_("Name"))])
    for vtype, version in violation_rows():
        if not vtype.retired:
            notes.append([vtype.code, "", violation_name(version)])
    notes.append([])
    notes.append([str(_("Only the first sheet is imported; this sheet is ignored."))])
    for letter, width in (("A", 34), ("B", 10), ("C", 70)):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return (
        out.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _job_preview(job: ImportJob) -> list[dict[str, Any]]:
    """The first rows of a checked file as they will be created: parsed values with names,
    errors per row. Read from the stored file (only those rows), so it is what the import
    will read."""
    if job.status != ImportJob.Status.CHECKED or not job.file:
        return []
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        rows = importing.preview_rows(data, job.original_name)
    except (importing.FileRejected, OSError):
        return []
    return preview_display(rows)


def preview_display(rows: list[importing.PreviewRow]) -> list[dict[str, Any]]:
    """Names for the ids the rows parse to (four queries for the whole preview)."""
    from vendors.models import Vendor

    vendor_ids = {r.values.get("vendor_id") for r in rows} - {None}
    product_ids = {r.values.get("product_id") for r in rows} - {None}
    version_ids = {r.values.get("violation_version_id") for r in rows} - {None}
    type_ids = {r.values.get("violation_id") for r in rows} - {None}
    vendors = {v.pk: v for v in Vendor.objects.filter(pk__in=vendor_ids)}
    products = {p.pk: p for p in Product.objects.filter(pk__in=product_ids)}
    versions = {v.pk: v for v in ViolationVersion.objects.filter(pk__in=version_ids)}
    codes = dict(ViolationType.objects.filter(pk__in=type_ids).values_list("pk", "code"))
    status_labels = {
        "new": _("new"),
        "unchanged": _("unchanged (already imported)"),
        "error": _("error"),
    }
    shown = []
    for row in rows:
        v = row.values
        vendor = vendors.get(v.get("vendor_id"))
        version = versions.get(v.get("violation_version_id"))
        code = codes.get(v.get("violation_id"), row.cells.get("violation", ""))
        when = v.get("occurred_at")
        shown.append(
            {
                "number": row.number,
                "status": row.status,
                "status_label": status_labels.get(row.status, row.status),
                "reference": v.get("reference") or row.cells.get("reference", ""),
                "vendor": f"{vendor.name} ({vendor.credit_code})" if vendor else "",
                "violation": violation_shown(code, version) if code else "",
                "occurred_at": f"{timezone.localtime(when):%Y-%m-%d %H:%M}" if when else "",
                "product": str(products[v["product_id"]]) if v.get("product_id") else "",
                "description": v.get("description") or "",
                "evidence_url": v.get("evidence_url") or "",
                # A link only for a checked web address (the cell may hold anything).
                "evidence_link": importing.is_web_link(v.get("evidence_url") or ""),
                "reporter": v.get("reporter") or "",
                "errors": [f"{e.column}: {e.message}" for e in row.errors],
                "cells": row.cells,
            }
        )
    return shown


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "The columns and date formats are listed above. Headers in Chinese or English. "
            "UTF-8, GB18030 or XLSX."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "PENALTY_IMPORT_MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB.") % {"max": limit >> 20}
            )
        return upload


def _may_lift(user, measure: AppliedMeasure) -> bool:
    """MS-8.3 / MS-7: waiting proposals and evict / ban / deductions are the lead's to lift."""
    if not user.has_perm(svc.PERM_APPLY):
        return False
    return not svc.lift_needs_lead(measure) or user.has_perm(svc.PERM_APPROVE)


def _lift_page(model_admin, request, measure: AppliedMeasure, back_url: str) -> HttpResponse:
    if not _may_lift(request.user, measure):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            svc.penalty_measure_lift(
                measure=measure, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            error = str(exc)
        else:
            model_admin.message_user(request, _("Measure lifted."), messages.SUCCESS)
            return HttpResponseRedirect(back_url)
    others = (
        AppliedMeasure.objects.in_force(timezone.now())
        .filter(vendor_id=measure.vendor_id)
        .exclude(pk=measure.pk)
        .select_related("product")
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Lift measure"),
        "measure": measure,
        "object": measure,
        "others": list(others),
        "form": form,
        "error": error,
        "change_url": back_url,
    }
    return TemplateResponse(request, "admin/compliance/lift.html", context)


# --- applied measures -----------------------------------------------------------------------


class InForceFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", _("In force now")), ("waiting", _("Waiting for approval"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.in_force(timezone.now())
        if self.value() == "waiting":
            return queryset.filter(awaiting_approval=True, lifted_at__isnull=True)
        return queryset


@admin.register(AppliedMeasure)
class AppliedMeasureAdmin(ViewerMixin, SimpleHistoryAdmin):
    list_display = (
        "kind",
        "vendor",
        "product",
        "cause_shown",
        "starts_at",
        "ends_at",
        "amount_shown",
        "awaiting_approval",
        "lifted_at",
    )
    list_select_related = ("vendor", "product", "penalty_case")
    fields = (
        "kind",
        "vendor",
        "product",
        "cause_shown",
        "reason",
        "starts_at",
        "ends_at",
        "amount_shown",
        "created_by",
        "created_at",
        "awaiting_approval",
        "approved_by",
        "approved_at",
        "executed_at",
        "execution",
        "lifted_at",
        "lifted_by",
        "lift_reason",
    )
    readonly_fields = fields

    @admin.display(description=_("cause"), ordering="cause_type")
    def cause_shown(self, obj: AppliedMeasure):
        """The cause by name with a link to it (the stored reference is an id or a code)."""
        label = obj.get_cause_type_display()
        ref = obj.cause_id or ""
        if obj.cause_type == CauseType.PENALTY and obj.penalty_case_id:
            target = admin_link("compliance.penaltycase", obj.penalty_case_id, obj.penalty_case)
        elif obj.cause_type == CauseType.SAAS_DELIVERY and ref.isdigit():
            target = admin_link("orders.deliveryfailure", int(ref), f"#{ref}")
        elif obj.cause_type == CauseType.DEPOSIT_TOPUP and ref.isdigit():
            target = admin_link("vendors.topupobligation", int(ref), f"#{ref}")
        elif obj.cause_type == CauseType.REFUND_RATE and ref:
            target = format_html("{} {}", _("evaluated on"), ref)
        else:
            target = ref
        return format_html("{} · {}", label, target) if target else label

    @admin.display(description=AppliedMeasure._meta.get_field("amount").verbose_name)
    def amount_shown(self, obj: AppliedMeasure) -> str:
        return money(obj.amount)

    @admin.display(description=AppliedMeasure._meta.get_field("execution_ref").verbose_name)
    def execution(self, obj: AppliedMeasure):
        return execution_shown(obj.execution_ref) if obj.execution_ref else "-"

    list_filter = (InForceFilter, "kind", "cause_type")
    search_fields = ("vendor__name", "vendor__credit_code", "cause_id")
    change_form_template = "admin/compliance/appliedmeasure/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/lift/",
                self.admin_site.admin_view(self.lift_view),
                name="compliance_appliedmeasure_lift",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        measure = self.get_object(request, unquote(object_id))
        if measure is not None and measure.lifted_at is None and _may_lift(request.user, measure):
            extra_context["lift_url"] = reverse(
                "admin:compliance_appliedmeasure_lift", args=[measure.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def lift_view(self, request, object_id):
        # get_object answers None for a non-numeric ID too (get_object_or_404 raised a 500).
        measure = self.get_object(request, unquote(object_id))
        if measure is None:
            raise Http404
        return _lift_page(
            self,
            request,
            measure,
            reverse("admin:compliance_appliedmeasure_change", args=[measure.pk]),
        )


# --- the violation table --------------------------------------------------------------------


class ViolationMeasureInline(admin.TabularInline):
    model = ViolationMeasure
    extra = 0
    fields = ("kind", "duration_days", "amount")

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.cases.exists()

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(ViolationVersion)
class ViolationVersionAdmin(SimpleHistoryAdmin):
    """A version that has judged a case is frozen (MS-9.2): change the rules with a new
    version effective from a later date."""

    list_display = ("violation", "effective_from", "level", "name_zh", "name_en", "measure_list")
    list_select_related = ("violation",)
    list_filter = ("level", "effective_from")
    search_fields = ("violation__code", "name_zh", "name_en")
    inlines = [ViolationMeasureInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("measures")

    @admin.display(description=_("measures"))
    def measure_list(self, obj: ViolationVersion):
        return format_html_join(
            ", ",
            "{}",
            (
                (
                    measure_phrase(
                        kind=m.kind,
                        amount=m.amount,
                        days=m.duration_days,
                    ),
                )
                for m in obj.measures.all()
            ),
        )

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.cases.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    model = ViolationVersion
    fields = ("effective_from", "level", "name_zh", "name_en")
    readonly_fields = fields
    show_change_link = True


@admin.register(ViolationType)
class ViolationTypeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "current_name", "current_level", "retired")
    list_filter = ("retired",)
    search_fields = ("code",)
    inlines = [VersionInline]

    def get_queryset(self, request):
        latest = ViolationVersion.objects.filter(
            violation=OuterRef("pk"), effective_from__lte=timezone.localdate()
        ).order_by("-effective_from")
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_name_zh=Subquery(latest.values("name_zh")[:1]),
                current_name_en=Subquery(latest.values("name_en")[:1]),
                current_level=Subquery(latest.values("level")[:1]),
            )
        )

    @admin.display(description=_("type (in force today)"))
    def current_name(self, obj) -> str:
        chinese = (get_language() or "zh-hans").startswith("zh")
        return (obj.current_name_zh if chinese else obj.current_name_en) or "-"

    @admin.display(description=_("level"))
    def current_level(self, obj) -> str:
        levels = dict(ViolationLevel.choices)
        return str(levels.get(obj.current_level, obj.current_level or "-"))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- import jobs ----------------------------------------------------------------------------


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "uploaded_file",
        "status",
        "created_by",
        "created_at",
        "total_rows",
        "new_rows",
        "unchanged_rows",
        "error_rows",
        "finished_at",
    )
    list_select_related = ("created_by",)
    list_filter = ("status",)

    @admin.display(description=_("file"))
    def uploaded_file(self, job: ImportJob):
        return file_link(job.file, _("download"))  # issue 8 §4: the authenticated view

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job_id = unquote(object_id)
        if not (job_id.isascii() and job_id.isdigit()):  # typed by hand: 404, not 500
            raise Http404
        return HttpResponseRedirect(
            reverse("admin:compliance_penaltycase_import_job", args=[job_id])
        )


from compliance import sweep_admin  # noqa: E402, F401  (registers the sweep's admins)


@admin.register(ServiceComplaint)
class ServiceComplaintAdmin(SimpleHistoryAdmin):
    """MS-4.3 / MS-4.4: complaints as the storefront reported them; read only here (the
    case they opened is decided on the case's own page)."""

    list_display = ["occurred", "vendor", "kind", "order", "case"]
    list_filter = ["kind"]
    list_select_related = ["vendor", "order", "case"]
    search_fields = ["external_id__exact", "vendor__name"]
    fields = [
        "vendor",
        "order",
        "channel",
        "external_id",
        "kind",
        "occurred",
        "description",
        "case",
    ]
    readonly_fields = fields

    @admin.display(description=_("occurred at (China time)"), ordering="occurred_at")
    def occurred(self, obj: ServiceComplaint) -> str:
        return timezone.localtime(obj.occurred_at).strftime("%Y-%m-%d %H:%M")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
