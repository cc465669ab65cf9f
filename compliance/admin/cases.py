"""Penalty cases: audited action buttons, each leading to an intermediate page that shows
exactly what will happen and asks for a reason; the view checks the permission itself and
calls a service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from catalog.models import Product
from compliance import importing
from compliance.admin.common import (
    ViewerMixin,
    admin_link,
    china_time,
    execution_shown,
    html_list,
    may_view,
    measure_phrase,
    money,
    violation_name,
    violation_rows,
    violation_shown,
)
from compliance.admin.imports import (
    ImportForm,
    _job_preview,
    import_columns,
    import_template,
)
from compliance.admin.measures import (
    _lift_page,
    _may_lift,
)
from compliance.importing.reading import CONTROL_CHARS_RE
from compliance.models import (
    ONE_SHOT_KINDS,
    AppliedMeasure,
    CaseEvent,
    CaseEvidence,
    CaseStatus,
    ImportJob,
    MeasureKind,
    PenaltyCase,
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
from marketplace.admin_actions import ReasonForm
from marketplace.admin_readonly import ReadOnlyTabularInline
from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import AmountFormField
from marketplace.service_helpers import transition_allowed

# --- forms ----------------------------------------------------------------------------------


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


def _in_force(case: PenaltyCase) -> bool:
    return case.status in PenaltyCase.IN_FORCE


@dataclass(frozen=True)
class CaseAction:
    """A button on the case page. `state` is the model transition whose source states say
    when it is offered (not repeated here), or a check for actions that are not transitions."""

    name: str
    label: Any
    permission: str
    state: str | Callable[[PenaltyCase], bool]
    danger: bool = False
    help_text: Any = ""

    def allowed(self, case: PenaltyCase) -> bool:
        if isinstance(self.state, str):
            return transition_allowed(case, self.state, None)
        return self.state(case)


ACTIONS = [
    CaseAction(
        "confirm",
        _("Confirm"),
        svc.PERM_CONFIRM,
        "confirm",
        help_text=_("The report is found true (MS-7.1). No measure is applied yet."),
    ),
    CaseAction(
        "dismiss",
        _("Dismiss"),
        svc.PERM_CONFIRM,
        "dismiss",
        danger=True,
    ),
    CaseAction(
        "apply",
        _("Apply penalty"),
        svc.PERM_APPLY,
        "propose",  # from a confirmed case (apply itself also finishes an approved proposal)
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
        _in_force,
        help_text=_("A measure beyond the table's for severity (MS-7.2)."),
    ),
    CaseAction("uphold", _("Uphold (reject appeal)"), svc.PERM_DECIDE, "uphold"),
    CaseAction(
        "revoke",
        _("Revoke penalty"),
        svc.PERM_DECIDE,
        "revoke",
        danger=True,
        help_text=_(
            "Lifts every measure of the case and gives back its deposit deductions with a "
            "reversing ledger entry. An eviction cannot be undone here (MS-8.3)."
        ),
    ),
]
ACTIONS_BY_NAME = {a.name: a for a in ACTIONS}


# --- inlines --------------------------------------------------------------------------------


class MeasureInline(ReadOnlyTabularInline):
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


class EventInline(ReadOnlyTabularInline):
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
        product, vendor = data.get("product"), data.get("vendor")
        # The reference is the form field's to require (reference=None: not checked twice).
        problems, _version = svc.case_problems(
            reference=None,
            vendor_id=vendor.pk if vendor is not None else None,
            violation=data.get("violation"),
            occurred_at=data.get("occurred_at"),
            product_vendor_id=product.vendor_id if product is not None else None,
        )
        if problems:
            raise forms.ValidationError([self._message(p) for p in problems])
        return data

    @staticmethod
    def _message(problem: DomainError) -> str:
        if problem.code == "violation_retired":
            return str(_("This violation is retired."))  # the form names no code
        return str(problem)


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
