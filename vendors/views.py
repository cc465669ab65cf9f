"""Vendor-facing pages of this app: home, deposit ledger, onboarding (namespace `vendor`).

Every view resolves the user's vendor with `vendor_for_user` first (403 for anyone who is not
vendor staff) and reads only through the scoping selectors, so another vendor's IDs give 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marketplace.exceptions import DomainError
from marketplace.files import file_response
from marketplace.money import format_cny
from vendors import dashboard
from vendors.checklist import application_missing_items
from vendors.forms import ApplicationForm, DocumentForm, ExitRequestForm, StaffSettingsForm
from vendors.models import DepositRefund, OnboardingApplication, VendorExit
from vendors.pages import vendor_page
from vendors.selectors import (
    DepositSummary,
    applications_for_vendor,
    deposit_entries_for_vendor,
    deposit_summary,
    documents_expiring,
    documents_for_vendor,
    exit_for_vendor,
    exit_progress_for,
)
from vendors.services import (
    application_accept_agreement,
    application_create,
    application_document_add,
    application_submit,
    application_update,
    exit_request,
)

ENTRIES_PER_PAGE = 50


def _latest_application(request: HttpRequest) -> OnboardingApplication | None:
    return applications_for_vendor(user=request.user).order_by("-pk").first()


def deposit_money(summary: DepositSummary) -> dict[str, str]:
    """The deposit figures formatted once, as the admin formats them (`format_cny`)."""
    return {
        "balance": format_cny(summary.balance),
        "required": format_cny(summary.required),
        "owed": format_cny(summary.owed),
        "to_top_up": format_cny(summary.to_top_up),
    }


@vendor_page
def home(request: HttpRequest) -> HttpResponse:
    """The vendor's dashboard (issue 13): every figure from the selector the admin uses too
    (`deposit_summary`, compliance's `refund_rate_kpi` through its panel), state from the
    measures in force, and the panels other apps register."""
    vendor = request.vendor
    application = _latest_application(request)
    notes = dashboard.state_notes(vendor)  # the measures in force, from compliance
    summary = deposit_summary(vendor)
    context = {
        "vendor": vendor,
        "store": getattr(vendor, "store", None),
        "state_notes": notes,
        "products_hidden": any(note.hides_products for note in notes),
        "deposit": summary,
        "money": deposit_money(summary),
        "expiring": list(documents_expiring().filter(vendor=vendor)),
        "application": application,
        "missing": application_missing_items(application)
        if application and application.status != OnboardingApplication.Status.APPROVED
        else [],
        "panels": dashboard.panels(request, vendor),
    }
    return render(request, "vendor/home.html", context)


@vendor_page
def deposit(request: HttpRequest) -> HttpResponse:
    vendor = request.vendor
    page = Paginator(deposit_entries_for_vendor(user=request.user), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    summary = deposit_summary(vendor)
    context = {
        "vendor": vendor,
        "deposit": summary,
        "money": deposit_money(summary),
        "obligations": [ob for ob, _status in summary.obligations],
        "page": page,
        "refund": DepositRefund.objects.filter(vendor=vendor).first(),
    }
    return render(request, "vendor/deposit.html", context)


@vendor_page
def onboarding(request: HttpRequest) -> HttpResponse:
    application = _latest_application(request)
    return _application_page(request, application)


@vendor_page
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(applications_for_vendor(user=request.user), pk=pk)
    return _application_page(request, application)


def _application_page(
    request: HttpRequest,
    application: OnboardingApplication | None,
    *,
    form: ApplicationForm | None = None,
    document_form: DocumentForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    editable = application is not None and application.status == OnboardingApplication.Status.DRAFT
    if editable and form is None:
        form = ApplicationForm(
            initial={
                "contact_name": application.contact_name,
                "contact_phone": application.contact_phone,
                "contact_qq": application.contact_qq,
                "contact_email": application.contact_email,
                "categories": list(request.vendor.categories.all()),
                "declares_this_cloud_only": application.declares_this_cloud_only,
                "accept_agreement": application.agreement_accepted_at is not None,
            }
        )
    context = {
        "editable": editable,
        "form": form,
        "document_form": document_form or (DocumentForm() if editable else None),
        "errors": errors or [],
        "can_start_new": request.vendor.status == request.vendor.Status.APPLYING
        and (application is None or application.status == OnboardingApplication.Status.REJECTED),
        "vendor": request.vendor,
        "application": application,
        "applications": applications_for_vendor(user=request.user).order_by("-pk"),
        "missing": application_missing_items(application) if application else [],
        "documents": documents_for_vendor(user=request.user).filter(replaced_at__isnull=True),
        "expiring_ids": set(
            documents_expiring().filter(vendor=request.vendor).values_list("pk", flat=True)
        ),
    }
    return render(request, "vendor/onboarding.html", context, status=status)


def _draft(request: HttpRequest, pk: int) -> OnboardingApplication:
    return get_object_or_404(applications_for_vendor(user=request.user), pk=pk)


def _errors(exc: DomainError) -> list[str]:
    return list(getattr(exc, "items", None) or [str(exc)])


@require_POST
@vendor_page
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the applicant's data; on any error nothing is saved and the page says why."""
    application = _draft(request, pk)
    form = ApplicationForm(request.POST)
    if not form.is_valid():
        return _application_page(request, application, form=form, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            application_update(
                application=application,
                actor=request.user,
                categories=data["categories"],
                declares_this_cloud_only=data["declares_this_cloud_only"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                contact_qq=data["contact_qq"],
                contact_email=data["contact_email"],
            )
            if data["accept_agreement"] and application.agreement_accepted_at is None:
                application_accept_agreement(
                    application=application, version=agreement_version(), actor=request.user
                )
    except DomainError as exc:
        return _application_page(request, application, form=form, errors=_errors(exc), status=400)
    messages.success(request, _("Saved."))
    return redirect("vendor:application", pk=application.pk)


@require_POST
@vendor_page
def application_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _draft(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _application_page(request, application, document_form=form, status=400)
    try:
        application_document_add(application=application, actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        return _application_page(
            request, application, document_form=form, errors=_errors(exc), status=400
        )
    messages.success(request, _("Document uploaded."))
    return redirect("vendor:application", pk=application.pk)


@require_POST
@vendor_page
def application_send(request: HttpRequest, pk: int) -> HttpResponse:
    application = _draft(request, pk)
    try:
        application_submit(application=application, actor=request.user)
    except DomainError as exc:
        return _application_page(request, application, errors=_errors(exc), status=400)
    messages.success(request, _("Submitted. A reviewer will check your application."))
    return redirect("vendor:application", pk=application.pk)


@require_POST
@vendor_page
def application_new(request: HttpRequest) -> HttpResponse:
    try:
        application = application_create(vendor=request.vendor, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("vendor:onboarding")
    return redirect("vendor:application", pk=application.pk)


def agreement_version() -> str:
    """The version of the vendor access agreement in force (setting VENDOR_AGREEMENT_VERSION)."""
    return getattr(settings, "VENDOR_AGREEMENT_VERSION", "2023-03-17")


@vendor_page
def document_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The vendor's own document, with the private-file headers (issue 8 §4)."""
    document = get_object_or_404(documents_for_vendor(user=request.user), pk=pk)
    return file_response(document.file)


# --- exit (MS-8.2, MS-8.4.3) -------------------------------------------------------------------


def _exit_page(
    request: HttpRequest,
    *,
    form: ExitRequestForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    vendor = request.vendor
    exit_ = exit_for_vendor(user=request.user)
    live = exit_ is not None and exit_.status != VendorExit.Status.REJECTED
    context = {
        "vendor": vendor,
        "exit": exit_,
        "can_request": not live
        and vendor.status in (vendor.Status.ACTIVE, vendor.Status.SUSPENDED),
        "form": form or ExitRequestForm(),
        "errors": errors or [],
    }
    if exit_ is not None and exit_.begun:
        progress = exit_progress_for(exit_)
        context.update(
            steps=progress.steps,
            lines=progress.lines,
            deposit_text=progress.deposit_text,
            outstanding=progress.outstanding,
        )
    return render(request, "vendor/exit.html", context, status=status)


@vendor_page
def exit_page(request: HttpRequest) -> HttpResponse:
    """The vendor's exit: ask to leave (MS-8.2), then its progress (orders, deposit)."""
    return _exit_page(request)


@require_POST
@vendor_page
def exit_request_view(request: HttpRequest) -> HttpResponse:
    form = ExitRequestForm(request.POST)
    if not form.is_valid():
        return _exit_page(request, form=form, status=400)
    try:
        exit_request(vendor=request.vendor, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _exit_page(request, form=form, errors=_errors(exc), status=400)
    messages.success(request, _("Your request to leave was sent. The platform will review it."))
    return redirect("vendor:exit")


@vendor_page
def staff_settings(request: HttpRequest) -> HttpResponse:
    """The staff member's preferred language (issue 13): stored on the account, and the
    page language switches to it at once (the language cookie)."""
    from django.utils import translation

    from vendors.services.staff import staff_language_set

    staff = request.user.vendor_staff
    # Bound on every POST, an empty one included (it is refused with the field's error).
    data = request.POST if request.method == "POST" else None
    form = StaffSettingsForm(data, initial={"language": staff.language})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            staff_language_set(user=request.user, language=language, actor=request.user)
        except DomainError as exc:
            form.add_error("language", str(exc))
        else:
            translation.activate(language)
            messages.success(request, _("Saved."))
            response = redirect("vendor:settings")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
            return response
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "vendor/settings.html",
        {"vendor": request.vendor, "form": form, "staff": staff},
        status=status,
    )
