"""Vendor pages of compliance: the vendor's own penalty cases and the appeal (isolation: every
query goes through `cases_for_vendor`; another vendor's case is simply not found)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.models import CaseStatus, PenaltyCase
from compliance.selectors import cases_for_vendor, measures_in_force
from compliance.services.penalties import penalty_appeal
from marketplace.exceptions import DomainError
from vendors.selectors import vendor_for_user
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


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    vendor = vendor_for_user(user=request.user)
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


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _own_case(request, pk)
    form = None
    if case.status == CaseStatus.APPLIED:
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
            "vendor": vendor_for_user(user=request.user),
            "case": case,
            "measures": case.measures.filter(awaiting_approval=False).select_related("product"),
            "evidence": case.evidence.filter(kind="appeal"),
            "form": form,
        },
    )


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    """MS-4.3 / MS-4.4: buyers' complaints about the vendor's service, and the threshold."""
    from compliance.models import ServiceComplaint
    from compliance.services.complaints import complaint_threshold

    vendor = vendor_for_user(user=request.user)
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
