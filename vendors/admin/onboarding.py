"""Admin of onboarding: the review queue, documents, extra conditions, bans (MS-3.1, MS-8.3)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import DomainError
from marketplace.files import file_link
from marketplace.history_admin import SimpleHistoryAdmin
from vendors.admin.common import NoDeleteMixin, ReadOnlyAdminMixin, today
from vendors.admin.transitions import AdminTransition, TransitionAdminMixin, transition_action
from vendors.checklist import application_missing_items
from vendors.identity import IdentityFormField
from vendors.models import (
    BannedIdentity,
    ExtraCondition,
    ExtraConditionResult,
    OnboardingApplication,
    VendorDocument,
)
from vendors.models.onboarding import EXPIRY_WARNING_DAYS
from vendors.services import (
    application_approve,
    application_reject,
    application_start,
    application_start_review,
)

REVIEW_REASON = "review result recorded in the admin"


def _application_service(fn):
    return lambda *, obj, actor, reason: fn(application=obj, actor=actor, reason=reason)


def expiry_badge(doc: VendorDocument, on: dt.date):
    state = doc.expiry_state(on)
    if state == "expired":
        return format_html('<strong class="expiry-flag">⚠ {}</strong>', _("expired"))
    if state == "expiring":
        return format_html('<strong class="expiry-flag">⚠ {}</strong>', _("expires within 30 days"))
    return _("valid")


class ExpiryFilter(admin.SimpleListFilter):
    """MS-6.1.1: current documents expired or expiring within 30 days."""

    title = _("expiry")
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [
            ("expired", _("Expired")),
            ("expiring", _("Expiring within 30 days")),
            ("flagged", _("Expired or expiring")),
            ("replaced", _("Replaced")),
        ]

    def queryset(self, request, queryset):
        day = today()
        limit = day + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        current = queryset.filter(replaced_at__isnull=True)
        match self.value():
            case "expired":
                return current.filter(valid_until__lt=day)
            case "expiring":
                return current.filter(valid_until__gte=day, valid_until__lte=limit)
            case "flagged":
                return current.filter(valid_until__lte=limit)
            case "replaced":
                return queryset.filter(replaced_at__isnull=False)
        return queryset


class ConditionResultInline(admin.TabularInline):
    model = ExtraConditionResult
    fields = ["condition", "result", "note"]
    readonly_fields = ["condition"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # one row per active condition is created when the review starts

    def has_change_permission(self, request, obj=None) -> bool:
        under_review = obj is not None and obj.status == OnboardingApplication.Status.UNDER_REVIEW
        return under_review and super().has_change_permission(request, obj)


class DocumentInline(admin.TabularInline):
    model = VendorDocument
    fields = [
        "kind",
        "document_file",
        "valid_from",
        "valid_until",
        "expiry",
        "replaced_at",
        "review_result",
    ]
    readonly_fields = [
        "kind",
        "document_file",
        "valid_from",
        "valid_until",
        "expiry",
        "replaced_at",
    ]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # applicants upload through the service (type and size checks)

    def has_change_permission(self, request, obj=None) -> bool:
        under_review = obj is not None and obj.status == OnboardingApplication.Status.UNDER_REVIEW
        return under_review and request.user.has_perm("vendors.change_vendordocument")

    @admin.display(description=_("expiry"))
    def expiry(self, doc: VendorDocument):
        return expiry_badge(doc, today())

    @admin.display(description=_("file"))
    def document_file(self, doc: VendorDocument):
        return file_link(doc.file)  # issue 8 §4: the authenticated view, never /media/


class StartApplicationForm(forms.Form):
    """A company's identity; the service validates it and checks the MS-8.3 ban."""

    company_name = forms.CharField(label=_("company name"), max_length=200)
    # MS-8.3: canonical form (full-width digits, spaces) before the length check.
    credit_code = IdentityFormField(
        normaliser="credit_code", label=_("unified social credit code"), max_length=18
    )
    cloud_account_id = IdentityFormField(
        normaliser="cloud_account_id", label=_("cloud account ID"), max_length=64
    )
    owner_username = forms.CharField(
        label=_("owner's login"),
        max_length=150,
        required=False,
        help_text=_("An existing non-staff user who will act for the vendor."),
    )

    def clean_owner_username(self):
        username = self.cleaned_data["owner_username"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("No user with this login."))
        if user.is_staff or hasattr(user, "vendor_staff"):
            raise forms.ValidationError(
                _("This user is platform staff or already acts for a vendor.")
            )
        return user


APPLICATION_TRANSITIONS = [
    AdminTransition(
        "start-review",
        _("Start review"),
        _application_service(application_start_review),
        method="start_review",
        reason_required=False,
    ),
    AdminTransition(
        "approve",
        _("Approve"),
        _application_service(application_approve),
        method="approve",
        reason_required=False,
        help_text=_(
            "MS-3.1: approval is refused while any checklist item is missing or failed. The "
            "vendor becomes active once its onboarding deposit is paid."
        ),
    ),
    AdminTransition(
        "reject",
        _("Reject"),
        _application_service(application_reject),
        method="reject",
        danger=True,
        help_text=_("The applicant reads this reason."),
    ),
]


@admin.register(OnboardingApplication)
class OnboardingApplicationAdmin(TransitionAdminMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "vendor_credit_code",
        "status",
        "submitted_at",
        "decided_at",
        "decided_by",
    ]
    list_filter = ["status", "cloud_account_result", "bank_verification_result"]
    search_fields = [
        "vendor__name",
        "vendor__credit_code",
        "vendor__cloud_account_id",
        "contact_name",
        "contact_email",
    ]
    date_hierarchy = "submitted_at"
    list_select_related = ["vendor", "decided_by"]
    inlines = [ConditionResultInline, DocumentInline]
    admin_transitions = APPLICATION_TRANSITIONS
    actions = [transition_action(t) for t in APPLICATION_TRANSITIONS]
    fieldsets = [
        (None, {"fields": ["vendor", "status", "checklist"]}),
        (
            _("Reviewer's checks (MS-3.1.1, MS-3.1.2)"),
            {
                "fields": [
                    "cloud_account_result",
                    "bank_verification_result",
                    "bank_verification_reference",
                ]
            },
        ),
        (
            _("Applicant's data (MS-3.1.3-3.1.6)"),
            {
                "fields": [
                    "contact_name",
                    "contact_phone",
                    "contact_qq",
                    "contact_email",
                    "agreement_version",
                    "agreement_accepted_at",
                    "declares_this_cloud_only",
                ]
            },
        ),
        (
            _("Decision"),
            {"fields": ["submitted_at", "decided_at", "decided_by", "rejection_reason"]},
        ),
    ]
    applicant_fields = [
        "vendor",
        "status",
        "checklist",
        "contact_name",
        "contact_phone",
        "contact_qq",
        "contact_email",
        "agreement_version",
        "agreement_accepted_at",
        "declares_this_cloud_only",
        "submitted_at",
        "decided_at",
        "decided_by",
        "rejection_reason",
    ]
    review_fields = [
        "cloud_account_result",
        "bank_verification_result",
        "bank_verification_reference",
    ]

    change_list_template = "admin/vendors/onboardingapplication/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # started through `start_view` below (validation and the MS-8.3 ban check)

    def get_urls(self):
        return [
            path(
                "start/",
                self.admin_site.admin_view(self.start_view),
                name="vendors_onboardingapplication_start",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_start": request.user.has_perm("vendors.add_onboardingapplication"),
        }
        return super().changelist_view(request, extra_context)

    def start_view(self, request):
        if not request.user.has_perm("vendors.add_onboardingapplication"):
            raise PermissionDenied
        form = StartApplicationForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                application = application_start(
                    company_name=data["company_name"],
                    credit_code=data["credit_code"],
                    cloud_account_id=data["cloud_account_id"],
                    owner=data["owner_username"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, _("Application started."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:vendors_onboardingapplication_change", args=[application.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Start an onboarding application"),
            "intro": _(
                "MS-8.3: a company or cloud account evicted from the marketplace is refused for "
                "ever."
            ),
            "submit_label": _("Start"),
        }
        return TemplateResponse(request, "admin/vendors/form_page.html", context)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == OnboardingApplication.Status.UNDER_REVIEW:
            return self.applicant_fields
        return self.applicant_fields + self.review_fields

    @admin.display(description=_("credit code"), ordering="vendor__credit_code")
    def vendor_credit_code(self, obj: OnboardingApplication) -> str:
        return obj.vendor.credit_code

    @admin.display(description=_("checklist (MS-3.1.1-3.1.7)"))
    def checklist(self, obj: OnboardingApplication):
        missing = application_missing_items(obj)
        if not missing:
            return format_html('<span class="checklist-ok">✔ {}</span>', _("complete"))
        return format_html(
            '<ul class="checklist-missing">{}</ul>',
            format_html_join("", "<li>{}</li>", ((item,) for item in missing)),
        )

    def save_model(self, request, obj, form, change):
        obj._change_reason = REVIEW_REASON
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            inline_form.instance._change_reason = REVIEW_REASON
        super().save_formset(request, form, formset, change)

    def transition_context(self, request, obj, spec):
        if spec.name == "approve":
            return {"checklist": application_missing_items(obj)}
        return {}


@admin.register(VendorDocument)
class VendorDocumentAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = [
        "vendor",
        "kind",
        "document_file",
        "valid_from",
        "valid_until",
        "expiry",
        "review_result",
        "replaced_at",
        "uploaded_at",
    ]
    list_filter = [ExpiryFilter, "kind", "review_result"]
    search_fields = ["vendor__name", "vendor__credit_code"]
    date_hierarchy = "valid_until"
    list_select_related = ["vendor"]
    readonly_fields = [
        "vendor",
        "application",
        "kind",
        "document_file",
        "valid_from",
        "valid_until",
        "expiry",
        "uploaded_at",
        "replaced_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("expiry (MS-6.1.1)"))
    def expiry(self, doc: VendorDocument):
        if doc.replaced_at is not None:
            return _("replaced")
        return expiry_badge(doc, today())

    @admin.display(description=_("file"))
    def document_file(self, doc: VendorDocument):
        return file_link(doc.file)  # issue 8 §4: the authenticated view, never /media/

    def save_model(self, request, obj, form, change):
        obj._change_reason = REVIEW_REASON
        super().save_model(request, obj, form, change)


@admin.register(ExtraCondition)
class ExtraConditionAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["position", "code", "text", "active"]
    list_display_links = ["code"]
    list_filter = ["active"]
    search_fields = ["code", "text"]


@admin.register(BannedIdentity)
class BannedIdentityAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["kind", "value", "vendor", "banned_at", "banned_by"]
    list_filter = ["kind"]
    search_fields = ["value", "vendor__name"]
    date_hierarchy = "banned_at"
    list_select_related = ["vendor", "banned_by"]
