"""Admin of onboarding: the review queue, documents, extra conditions, bans (MS-3.1, MS-8.3)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.admin_readonly import ReadOnlyAdminMixin
from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin
from vendors.admin.common import NoDeleteMixin, today
from vendors.admin.display import (
    CSS,
    china,
    document_preview,
    expiry_html,
    validity_text,
)
from vendors.admin.filters import VendorLinkFilter
from vendors.admin.transitions import AdminTransition, TransitionAdminMixin, transition_action
from vendors.checklist import application_missing_items
from vendors.identity import IdentityFormField
from vendors.models import (
    BannedIdentity,
    CheckResult,
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
    document_review,
)

REVIEW_REASON = "review result recorded in the admin"


def _application_service(fn):
    return lambda *, obj, actor, reason: fn(application=obj, actor=actor, reason=reason)


def expiry_badge(doc: VendorDocument, on: dt.date):
    state = doc.expiry_state(on)
    if state == "expired":
        return format_html('<strong class="expiry expiry-expired">⚠ {}</strong>', _("expired"))
    if state == "expiring":
        return format_html(
            '<strong class="expiry expiry-soon">⚠ {}</strong>', _("expires within 30 days")
        )
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
    classes = ["no-row-title"]  # the condition column names the row

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # one row per active condition is created when the review starts

    def has_change_permission(self, request, obj=None) -> bool:
        under_review = obj is not None and obj.status == OnboardingApplication.Status.UNDER_REVIEW
        return under_review and super().has_change_permission(request, obj)


class DocumentInline(admin.StackedInline):
    """MS-3.1.3: every document of the application shown inline, its validity beside it.

    Files open through the authenticated view (`marketplace.files`): images as images, PDFs
    in the browser's viewer; the reviewer records a result per document while reviewing.
    """

    model = VendorDocument
    template = "admin/vendors/onboardingapplication/documents_inline.html"
    fields = [
        "kind",
        "validity",
        "expiry",
        "uploaded",
        "review_result",
        "preview",
    ]
    readonly_fields = ["kind", "validity", "expiry", "uploaded", "preview"]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        # Current documents first (kind by kind), replaced ones after them.
        return (
            super()
            .get_queryset(request)
            .order_by(F("replaced_at").asc(nulls_first=True), "kind", "-pk")
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # applicants upload through the service (type and size checks)

    def has_change_permission(self, request, obj=None) -> bool:
        under_review = obj is not None and obj.status == OnboardingApplication.Status.UNDER_REVIEW
        return under_review and request.user.has_perm("vendors.change_vendordocument")

    @admin.display(description=_("valid (from – until)"))
    def validity(self, doc: VendorDocument) -> str:
        return validity_text(doc)

    @admin.display(description=_("expiry state (MS-6.1.1)"))
    def expiry(self, doc: VendorDocument):
        return expiry_html(doc, today())

    @admin.display(description=_("uploaded at (China time)"))
    def uploaded(self, doc: VendorDocument) -> str:
        return china(doc.uploaded_at)

    @admin.display(description=_("document"))
    def preview(self, doc: VendorDocument):
        # Replaced documents are history: a link, no viewer.
        return document_preview(doc, embed=doc.replaced_at is None)


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
        "submitted",
        "decided",
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
    inlines = [DocumentInline, ConditionResultInline]
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
                    "agreement_accepted",
                    "declares_this_cloud_only",
                ]
            },
        ),
        (
            _("Decision"),
            {"fields": ["submitted", "decided", "decided_by", "rejection_reason"]},
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
        "agreement_accepted",
        "declares_this_cloud_only",
        "submitted",
        "decided",
        "decided_by",
        "rejection_reason",
    ]
    review_fields = [
        "cloud_account_result",
        "bank_verification_result",
        "bank_verification_reference",
    ]

    change_list_template = "admin/vendors/onboardingapplication/change_list.html"
    # Checklist, documents, reviewer's checks, extra conditions, then the applicant's data.
    change_form_template = "admin/vendors/onboardingapplication/change_form.html"

    class Media:
        css = CSS

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

    def has_change_permission(self, request, obj=None) -> bool:
        # A decided application is a record: its page is read-only (no Save buttons that
        # could change nothing); the decision changes only through its transitions.
        decided = (OnboardingApplication.Status.APPROVED, OnboardingApplication.Status.REJECTED)
        if obj is not None and obj.status in decided:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("submitted at (China time)"), ordering="submitted_at")
    def submitted(self, obj: OnboardingApplication) -> str:
        return china(obj.submitted_at)

    @admin.display(description=_("decided at (China time)"), ordering="decided_at")
    def decided(self, obj: OnboardingApplication) -> str:
        return china(obj.decided_at)

    @admin.display(description=_("agreement accepted at (China time)"))
    def agreement_accepted(self, obj: OnboardingApplication) -> str:
        return china(obj.agreement_accepted_at)

    @admin.display(description=_("credit code"), ordering="vendor__credit_code")
    def vendor_credit_code(self, obj: OnboardingApplication) -> str:
        return obj.vendor.credit_code

    @admin.display(description=_("checklist (MS-3.1.1-3.1.7)"))
    def checklist(self, obj: OnboardingApplication):
        """The one list of what stops approval: the reviewer decides on this page."""
        return checklist_html(application_missing_items(obj))

    def transition_buttons(self, request, obj):
        buttons = super().transition_buttons(request, obj)
        approve = [b for b in buttons if b["name"] == "approve"]
        if approve:
            missing = len(application_missing_items(obj))
            if missing:
                # Approval is refused while anything is missing: the list is on this page.
                approve[0]["disabled"] = ngettext(
                    "%(count)d checklist item open", "%(count)d checklist items open", missing
                ) % {"count": missing}
        return buttons

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


def checklist_html(missing: list[str]):
    if not missing:
        return format_html('<span class="checklist-ok">✔ {}</span>', _("complete"))
    summary = ngettext(
        "Approval is not possible yet: %(count)d item is missing or failed.",
        "Approval is not possible yet: %(count)d items are missing or failed.",
        len(missing),
    ) % {"count": len(missing)}
    return format_html(
        '<p class="checklist-summary">{}</p><ul class="checklist-missing">{}</ul>',
        summary,
        format_html_join("", "<li>{}</li>", ((item,) for item in missing)),
    )


class ReplacementQueueFilter(admin.SimpleListFilter):
    """MS-6.1.1: replacements reported by vendors that wait for a reviewer (the work board's
    queue opens this list)."""

    title = _("replacement (MS-6.1.1)")
    parameter_name = "replacement"

    def lookups(self, request, model_admin):
        return [("waiting", _("Awaiting review")), ("all", _("All replacements"))]

    def queryset(self, request, queryset):
        match self.value():
            case "waiting":
                return queryset.filter(
                    is_replacement=True,
                    replaced_at__isnull=True,
                    review_result=CheckResult.PENDING,
                )
            case "all":
                return queryset.filter(is_replacement=True)
        return queryset


def _replacement_waiting(doc: VendorDocument) -> bool:
    return (
        doc.is_replacement and doc.replaced_at is None and doc.review_result == CheckResult.PENDING
    )


DOCUMENT_TRANSITIONS = [
    AdminTransition(
        "accept",
        _("Accept the replacement"),
        lambda *, obj, actor, reason: document_review(
            document=obj, accept=True, actor=actor, reason=reason
        ),
        permission="vendors.review_vendordocument",
        allowed=_replacement_waiting,
        reason_required=False,
        help_text=_("MS-6.1.1: the document becomes the vendor's reviewed document."),
    ),
    AdminTransition(
        "reject",
        _("Reject the replacement"),
        lambda *, obj, actor, reason: document_review(
            document=obj, accept=False, actor=actor, reason=reason
        ),
        permission="vendors.review_vendordocument",
        allowed=_replacement_waiting,
        danger=True,
        help_text=_("The vendor reads this reason and uploads a new document."),
    ),
]


@admin.register(VendorDocument)
class VendorDocumentAdmin(TransitionAdminMixin, NoDeleteMixin, SimpleHistoryAdmin):
    admin_transitions = DOCUMENT_TRANSITIONS
    list_display = [
        "vendor",
        "kind",
        "document_file",
        "validity",
        "expiry",
        "review_result",
        "uploaded",
    ]
    list_filter = [
        ReplacementQueueFilter,
        ExpiryFilter,
        "kind",
        "review_result",
        VendorLinkFilter,
    ]
    search_fields = ["vendor__name", "vendor__credit_code"]
    date_hierarchy = "valid_until"
    list_select_related = ["vendor"]
    readonly_fields = [
        "vendor",
        "application",
        "kind",
        "valid_from",
        "valid_until",
        "expiry",
        "uploaded",
        "replaced",
        "document_file",
        "is_replacement",
        "review_note",
        "reviewed",
        "reviewed_by",
    ]
    fields = [
        "vendor",
        "application",
        "kind",
        "valid_from",
        "valid_until",
        "expiry",
        "review_result",
        "is_replacement",
        "review_note",
        "reviewed",
        "reviewed_by",
        "uploaded",
        "replaced",
        "document_file",
    ]

    def get_readonly_fields(self, request, obj=None):
        # MS-6.1.1: a replacement is decided with Accept / Reject (reason, history), not here.
        if obj is not None and obj.is_replacement:
            return [*self.readonly_fields, "review_result"]
        return self.readonly_fields

    @admin.display(description=_("reviewed at (China time)"), ordering="reviewed_at")
    def reviewed(self, doc: VendorDocument) -> str:
        return china(doc.reviewed_at)

    class Media:
        css = CSS

    def has_add_permission(self, request) -> bool:
        return False

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.on_change_page = True  # the change page shows the document, the list a link
        return obj

    @admin.display(description=_("uploaded at (China time)"), ordering="uploaded_at")
    def uploaded(self, doc: VendorDocument) -> str:
        return china(doc.uploaded_at)

    @admin.display(description=_("valid (from – until)"), ordering="valid_until")
    def validity(self, doc: VendorDocument) -> str:
        return validity_text(doc)

    @admin.display(description=_("replaced at (China time)"), ordering="replaced_at")
    def replaced(self, doc: VendorDocument) -> str:
        return china(doc.replaced_at)

    @admin.display(description=_("expiry state (MS-6.1.1)"))
    def expiry(self, doc: VendorDocument):
        if getattr(doc, "on_change_page", False):
            return expiry_html(doc, today())
        if doc.replaced_at is not None:
            return _("replaced")
        return expiry_badge(doc, today())  # the list's words match its filter (30 days)

    @admin.display(description=_("file"))
    def document_file(self, doc: VendorDocument):
        # issue 8 §4: the authenticated view, never /media/
        on_page = getattr(doc, "on_change_page", False)
        return document_preview(doc, embed=on_page, short=not on_page)

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
    list_display = ["kind", "value", "vendor", "banned", "banned_by"]
    fields = ["kind", "value", "vendor", "reason", "banned", "banned_by"]
    readonly_fields = ["banned"]

    @admin.display(description=_("banned at (China time)"), ordering="banned_at")
    def banned(self, obj: BannedIdentity) -> str:
        return china(obj.banned_at)

    list_filter = ["kind"]
    search_fields = ["value", "vendor__name"]
    date_hierarchy = "banned_at"
    list_select_related = ["vendor", "banned_by"]
