"""Vendor pages of compliance: the vendor's own penalty cases and the appeal (isolation: every
query goes through `cases_for_vendor`; another vendor's case is simply not found)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from compliance.models import PenaltyCase
from compliance.selectors import cases_for_vendor, measures_in_force
from compliance.services.penalties import penalty_appeal
from marketplace.exceptions import DomainError
from marketplace.service_helpers import transition_allowed
from vendors.pages import vendor_page
from vendors.validators import validate_document_file


class AppealForm(forms.Form):
    statement = forms.CharField(
        label=gettext_lazy("Your statement"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
    )
    evidence_url = forms.URLField(
        label=gettext_lazy("Evidence link"), required=False, assume_scheme="https"
    )
    # Issue 8 §4: the onboarding documents' types (PDF, JPG, PNG by content) and size limit.
    evidence_file = forms.FileField(
        label=gettext_lazy("Evidence file"),
        required=False,
        help_text=gettext_lazy("PDF, JPG or PNG"),
        validators=[validate_document_file],
    )


def _own_case(request: HttpRequest, pk: int) -> PenaltyCase:
    return get_object_or_404(cases_for_vendor(user=request.user), pk=pk)


@vendor_page
def case_list(request: HttpRequest) -> HttpResponse:
    vendor = request.vendor
    cases = cases_for_vendor(user=request.user).order_by("-occurred_at", "-pk")[:200]
    return render(
        request,
        "compliance/case_list.html",
        {
            "vendor": vendor,
            "cases": cases,
            "measures": measures_in_force(vendor_id=vendor.pk),
        },
    )


@vendor_page
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _own_case(request, pk)
    form = None
    if transition_allowed(case, "appeal", None):
        form = AppealForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                penalty_appeal(
                    case=case,
                    statement=data["statement"],
                    actor=request.user,
                    evidence_urls=[data["evidence_url"]] if data.get("evidence_url") else [],
                    evidence_files=[data["evidence_file"]] if data.get("evidence_file") else [],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your appeal was sent to the compliance team."))
                return redirect("vendor:compliance_case", pk=case.pk)
    return render(
        request,
        "compliance/case_detail.html",
        {
            "vendor": request.vendor,
            "case": case,
            "measures": case.measures.filter(awaiting_approval=False).select_related("product"),
            "evidence": case.evidence.filter(kind="appeal"),
            "form": form,
        },
    )


@vendor_page
def complaint_list(request: HttpRequest) -> HttpResponse:
    """MS-4.3 / MS-4.4: buyers' complaints about the vendor's service, and the threshold."""
    from compliance.models import ServiceComplaint
    from compliance.services.complaints import complaint_threshold

    vendor = request.vendor
    complaints = (
        ServiceComplaint.objects.filter(vendor=vendor)
        .select_related("order", "case")
        .order_by("-occurred_at", "-pk")[:200]
    )
    threshold, days = complaint_threshold()
    return render(
        request,
        "compliance/complaint_list.html",
        {"vendor": vendor, "complaints": complaints, "threshold": threshold, "days": days},
    )


# --- inbox and "why am I restricted" (issue 13) -----------------------------------------------

NOTICES_PER_PAGE = 30
EVALUATIONS_SHOWN = 50
# The rules whose sweep sends notices (each module's RULE_ID), for the inbox's filter.
NOTICE_RULES = [
    ("MS-3.1.5 ③", gettext_lazy("Deposit top-up (MS-3.1.5 ③)")),
    ("MS-3.1.5 ④", gettext_lazy("Deposit refund (MS-3.1.5 ④)")),
    ("MS-4.2", gettext_lazy("SaaS delivery failure (MS-4.2)")),
    ("MS-5.8", gettext_lazy("Refund rate (MS-5.8)")),
    ("MS-6.1.1", gettext_lazy("Document expiry (MS-6.1.1)")),
    ("MS-7", gettext_lazy("Penalties and measures (MS-7)")),
    ("MS-2.8", gettext_lazy("Review periods (MS-2.8)")),
]
_RULE_CODES = {code for code, _label in NOTICE_RULES}
# The brief figures of an evaluation per rule, as the admin's list shows them (none is a link).
_BRIEF = {
    "refund_rate": ("rate_percent", "threshold_percent", "paid_orders", "improve_by"),
    "deposit_topup": ("amount_due", "due_at"),
    "deposit_refund_due": ("due_at",),
    "documents": ("document_kind", "valid_until"),
    "saas_delivery": ("open_failures", "days_elapsed", "failed_at"),
    "measure_expiry": ("kind", "ends_at"),
    "penalty_case_close": ("reference",),
    "review_periods": ("orders_closed",),
}


def notice_subject_url(subject_type: str, subject_id: str) -> str:
    """The vendor's own page of what a notice or evaluation is about (never an admin page)."""
    from django.urls import reverse

    if subject_type == "penalty_case" and subject_id.isdigit():
        return reverse("vendor:compliance_case", args=[int(subject_id)])
    if subject_type in ("topup_obligation", "deposit_refund"):
        return reverse("vendor:deposit")
    if subject_type == "vendor_document":
        return reverse("vendor:onboarding")
    if subject_type == "delivery_failure":
        return reverse("vendor:home") + "#saas"
    if subject_type in ("vendor", "applied_measure"):
        return reverse("vendor:restrictions")
    if subject_type == "orders":
        return reverse("vendor:orders")
    return ""


def _rule_filter(request: HttpRequest) -> str:
    rule = request.GET.get("rule", "") or request.POST.get("rule", "")
    return rule if rule in _RULE_CODES else ""  # anything else: no filter, never an error


@vendor_page
def inbox(request: HttpRequest) -> HttpResponse:
    """The vendor's notices, newest first, filtered by rule; read state per vendor."""
    from django.core.paginator import Paginator

    from compliance.sweep.selectors import notifications_for_vendor

    vendor = request.vendor
    rule = _rule_filter(request)
    notices = notifications_for_vendor(user=request.user).select_related("evaluation")
    if rule:
        notices = notices.filter(rule_id=rule)
    if request.GET.get("unread") == "1":
        notices = notices.filter(read_at__isnull=True)
    page = Paginator(notices, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "notice": n,
            "url": notice_subject_url(n.evaluation.subject_type, n.evaluation.subject_id)
            if n.evaluation_id
            else "",
        }
        for n in page
    ]
    return render(
        request,
        "compliance/inbox.html",
        {
            "vendor": vendor,
            "page": page,
            "rows": rows,
            "rules": NOTICE_RULES,
            "rule": rule,
            "unread_only": request.GET.get("unread") == "1",
        },
    )


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    from django.urls import reverse
    from django.utils.http import urlencode

    query = {k: v for k, v in (("rule", _rule_filter(request)),) if v}
    if request.POST.get("unread") == "1":
        query["unread"] = "1"
    url = reverse("vendor:inbox")
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@require_POST
@vendor_page
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read; another vendor's notice is not found (404)."""
    from django.http import Http404

    from compliance.sweep.services import notification_mark_read
    from marketplace.exceptions import NotFound

    try:
        notification_mark_read(notification_id=pk, actor=request.user)
    except NotFound as exc:
        raise Http404 from exc
    return _back_to_inbox(request)


@require_POST
@vendor_page
def notices_read_all(request: HttpRequest) -> HttpResponse:
    from compliance.sweep.services import notifications_mark_all_read

    count = notifications_mark_all_read(actor=request.user, rule_id=_rule_filter(request))
    messages.success(
        request,
        _("Notices marked read: %(n)s") % {"n": count},
    )
    return _back_to_inbox(request)


@vendor_page
def restrictions(request: HttpRequest) -> HttpResponse:
    """ "Why am I restricted": every measure in force with its rule, cause, start, end and
    what lifts it, and the latest rule evaluations about the vendor."""
    from compliance.admin.sweep import FIGURE_LABELS, figure_value, message_shown, rule_shown
    from compliance.kpi import measures_explained
    from compliance.sweep.selectors import evaluations_for_vendor

    vendor = request.vendor
    evaluations = []
    for ev in evaluations_for_vendor(user=request.user)[:EVALUATIONS_SHOWN]:
        figures = ev.figures if isinstance(ev.figures, dict) else {}
        evaluations.append(
            {
                "ev": ev,
                "rule": rule_shown(ev),
                "figures": [
                    (FIGURE_LABELS.get(key, key), figure_value(key, figures[key]))
                    for key in _BRIEF.get(ev.rule, ())
                    if key in figures
                ],
                "message": message_shown(ev.message) if ev.message else "",
                "url": notice_subject_url(ev.subject_type, ev.subject_id),
            }
        )
    return render(
        request,
        "compliance/restrictions.html",
        {
            "vendor": vendor,
            "store": getattr(vendor, "store", None),
            "measures": measures_explained(vendor),
            "evaluations": evaluations,
            "shown": EVALUATIONS_SHOWN,
        },
    )
