"""Vendor pages of the standing duties (issue 13): the access agreement (MS-3.1.4), documents
and their replacement (MS-6.1.1), service commitments (MS-4.3, MS-4.4).

Same pattern as `vendors.views`: `vendor_page` resolves the user's vendor (403 for anyone
else) and every read is scoped to it, so another vendor's IDs are simply not found.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from marketplace.exceptions import DomainError
from marketplace.timeutils import china_date
from vendors.forms import DocumentForm
from vendors.models import ServiceCommitment, Vendor
from vendors.models.duties import SERVICE_HOURS_END, SERVICE_HOURS_START
from vendors.pages import vendor_page
from vendors.selectors import agreement_in_force, agreement_signature, documents_for_vendor
from vendors.services import agreement_sign, document_replace, service_commitment_save

# Applicants upload on the onboarding page; a vendor that left replaces nothing.
CLOSED_FOR_REPLACEMENT = (Vendor.Status.APPLYING, Vendor.Status.EXITED, Vendor.Status.EVICTED)


class ServiceCommitmentForm(forms.Form):
    """MS-4.3 / MS-4.4; the service checks everything again."""

    online_channel = forms.URLField(
        label=gettext_lazy("online customer-service link"),
        max_length=300,
        assume_scheme="https",
        help_text=gettext_lazy("MS-4.3: opens a conversation at once, without adding a friend."),
    )
    phone = forms.CharField(label=gettext_lazy("after-sales phone"), max_length=20)
    qq = forms.CharField(label=gettext_lazy("after-sales QQ"), max_length=12)
    hours_start = forms.TimeField(
        label=gettext_lazy("after-sales hours from"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    hours_end = forms.TimeField(
        label=gettext_lazy("after-sales hours until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("MS-4.4: at least 09:00-18:00, Monday to Sunday."),
    )


# --- the vendor access agreement (MS-3.1.4) ---------------------------------------------------


@vendor_page
def agreement(request: HttpRequest) -> HttpResponse:
    version = agreement_in_force()
    context = {
        "vendor": request.vendor,
        "version": version,
        "signature": agreement_signature(vendor=request.vendor, version=version),
        "history": request.vendor.agreement_signatures.select_related(
            "version", "signed_by"
        ).order_by("-signed_at"),
    }
    return render(request, "vendor/agreement.html", context)


@require_POST
@vendor_page
def agreement_sign_view(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm you have read the agreement."))
        return redirect("vendor:agreement")
    try:
        signature = agreement_sign(vendor=request.vendor, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Signed: version %(version)s of the vendor access agreement.")
            % {"version": signature.version.version},
        )
    return redirect("vendor:agreement")


# --- documents (MS-6.1.1) ---------------------------------------------------------------------


def _documents_page(
    request: HttpRequest, *, form: DocumentForm | None = None, errors: list[str] | None = None
) -> HttpResponse:
    today = china_date(timezone.now())
    documents = list(documents_for_vendor(user=request.user).order_by("kind", "-pk"))
    current = [d for d in documents if d.replaced_at is None]
    for doc in current:
        doc.state = doc.expiry_state(today)
    context = {
        "vendor": request.vendor,
        "current": current,
        "history": [d for d in documents if d.replaced_at is not None],
        "form": form or DocumentForm(),
        "errors": errors or [],
        "can_replace": request.vendor.status not in CLOSED_FOR_REPLACEMENT,
    }
    status = 400 if (errors or (form is not None and form.errors)) else 200
    return render(request, "vendor/documents.html", context, status=status)


@vendor_page
def documents(request: HttpRequest) -> HttpResponse:
    initial_kind = request.GET.get("kind", "")
    form = DocumentForm(initial={"kind": initial_kind}) if initial_kind else None
    return _documents_page(request, form=form)


@require_POST
@vendor_page
def document_replace_view(request: HttpRequest) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _documents_page(request, form=form)
    try:
        document_replace(vendor=request.vendor, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _documents_page(
            request, form=form, errors=list(getattr(exc, "items", None) or [str(exc)])
        )
    messages.success(
        request, _("Document uploaded. An onboarding reviewer will check it (MS-6.1.1).")
    )
    return redirect("vendor:documents")


# --- service commitments (MS-4.3, MS-4.4) -----------------------------------------------------


@vendor_page
def service_commitments(request: HttpRequest) -> HttpResponse:
    commitment = ServiceCommitment.objects.filter(vendor=request.vendor).first()
    errors: list[str] = []
    if request.method == "POST":
        form = ServiceCommitmentForm(request.POST)
        if form.is_valid():
            try:
                service_commitment_save(
                    vendor=request.vendor, actor=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                errors = list(getattr(exc, "items", None) or [str(exc)])
            else:
                messages.success(request, _("Service commitments saved."))
                return redirect("vendor:service_commitments")
    else:
        initial = (
            {
                "online_channel": commitment.online_channel,
                "phone": commitment.phone,
                "qq": commitment.qq,
                "hours_start": commitment.hours_start,
                "hours_end": commitment.hours_end,
            }
            if commitment
            else {"hours_start": SERVICE_HOURS_START, "hours_end": SERVICE_HOURS_END}
        )
        form = ServiceCommitmentForm(initial=initial)
    context = {
        "vendor": request.vendor,
        "commitment": commitment,
        "form": form,
        "errors": errors,
    }
    status = 400 if (errors or form.errors) else 200
    return render(request, "vendor/service_commitments.html", context, status=status)
