"""Products admin: the security-review queue, specifications, revisions; delisting."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.admin.actions import run_with_reason
from catalog.models import (
    DELIST_PERMISSION,
    REVIEW_PERMISSION,
    ZERO_PRICE_MESSAGE,
    MarketingGrant,
    Product,
    ProductQualification,
    ProductRevision,
    SecurityReview,
    Specification,
    zero_price_refused,
)
from catalog.selectors import open_revision_exists, revision_awaiting_review
from catalog.services import SpecInput, product_delist, security_review_start, specification_add
from catalog.services.products import EDITABLE_STATUSES
from marketplace.exceptions import DomainError
from marketplace.files import file_link
from marketplace.history_admin import SimpleHistoryAdmin
from vendors.admin.filters import VendorLinkFilter


class AwaitingReviewFilter(admin.SimpleListFilter):
    """The security reviewers' work queue (MS-4.1.1, MS-6.1.2)."""

    title = _("security review queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("awaiting", _("Awaiting security review")),
            ("to_start", _("Submitted, review not started")),
        ]

    def queryset(self, request: HttpRequest, queryset):
        waiting_status = [Product.Status.SUBMITTED, Product.Status.IN_REVIEW]
        if self.value() == "awaiting":
            return queryset.filter(Q(status__in=waiting_status) | Q(revision_awaiting_review=True))
        if self.value() == "to_start":
            return queryset.filter(Q(status=Product.Status.SUBMITTED) | Q(revision_submitted=True))
        return queryset


class SpecificationForm(forms.ModelForm):
    class Meta:
        model = Specification
        fields = ["name", "price", "billing_period", "is_trial"]

    def __init__(self, *args: Any, product: Product | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._product = product

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        price = data.get("price")
        if price is not None and price < 0:
            self.add_error("price", _("A price cannot be negative."))
        if self._product is not None and zero_price_refused(  # MS-4.1.5
            kind=self._product.kind, price=price, is_trial=bool(data.get("is_trial"))
        ):
            self.add_error("price", ZERO_PRICE_MESSAGE)
        return data


class SpecificationInline(admin.TabularInline):
    """Existing specifications are read-only (orders point at them); new ones may be added
    only while the product is neither on sale nor under review, through the service."""

    model = Specification
    form = SpecificationForm
    fields = ["name", "price", "billing_period", "is_trial", "active"]
    extra = 0
    can_delete = False

    def get_formset(self, request: HttpRequest, obj: Product | None = None, **kwargs: Any):
        formset = super().get_formset(request, obj, **kwargs)

        class BoundForm(formset.form):  # type: ignore[name-defined,misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, product=obj, **kw)

        formset.form = BoundForm
        return formset

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["active"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is not None
            and obj.status in EDITABLE_STATUSES
            and request.user.has_perm("catalog.add_specification")
        )


class RevisionInline(admin.TabularInline):
    model = ProductRevision
    fields = ["number", "title", "status", "rejection_reason", "created_at", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SecurityReviewInline(admin.TabularInline):
    """The product's review history, linking to each review's page."""

    model = SecurityReview
    fields = ["started_at", "revision", "reviewer", "outcome", "rejection_reason", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("revision", "reviewer")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "vendor",
        "kind",
        "category",
        "status",
        "pending_update",
        "searchable",
        "content_shielded",
        "updated_at",
    ]
    list_filter = [
        AwaitingReviewFilter,
        "status",
        "kind",
        "sales_mode",
        "searchable",
        VendorLinkFilter,
        "created_at",
    ]
    list_select_related = ["vendor", "category"]
    search_fields = ["title", "vendor__name"]
    inlines = [SpecificationInline, RevisionInline, SecurityReviewInline]
    actions = ["start_security_review", "delist_products"]
    # Content is the vendor's; changes come through revisions (MS-6.1.2). State and the
    # visibility written by compliance are shown, never edited here.
    readonly_fields = [
        "vendor",
        "kind",
        "saas_delivered",
        "sales_mode",
        "category",
        "title",
        "description",
        "tags",
        "deployment",
        "status",
        "rejection_reason",
        "listed_at",
        "delisted_at",
        "delist_reason",
        "searchable",
        "hidden_reason",
        "content_shielded",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["vendor", "title", "kind", "saas_delivered", "sales_mode", "category"]}),
        (_("Content"), {"fields": ["description", "tags", "deployment"]}),
        (
            _("Lifecycle"),
            {"fields": ["status", "rejection_reason", "listed_at", "delisted_at", "delist_reason"]},
        ),
        (
            _("Visibility (set by compliance measures)"),
            {"fields": ["searchable", "hidden_reason", "content_shielded"]},
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                revision_awaiting_review=revision_awaiting_review(),
                revision_submitted=revision_awaiting_review(
                    statuses=[ProductRevision.Status.SUBMITTED]
                ),
                has_open_revision=open_revision_exists(),
            )
        )

    @admin.display(description=_("update pending"), boolean=True)
    def pending_update(self, obj: Product) -> bool:
        return bool(getattr(obj, "has_open_revision", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # vendors create products; reviewers do not

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # orders and history point at products: delist instead

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    def has_delist_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(DELIST_PERMISSION)

    def construct_change_message(self, request, form, formsets, add=False):
        """Writes go through the services, which record history with who and why."""
        return [{"changed": {"fields": [str(self.model._meta.verbose_name)]}}]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """New specifications go through the service (MS-4.1.5 checked there too)."""
        if formset.model is not Specification:
            return super().save_formset(request, form, formset, change)
        for spec_form in formset.extra_forms:
            if not spec_form.has_changed() or not spec_form.cleaned_data:
                continue
            data = spec_form.cleaned_data
            try:
                specification_add(
                    product=form.instance,
                    actor=request.user,
                    spec=SpecInput(
                        name=data["name"],
                        price=data["price"],
                        billing_period=data["billing_period"],
                        is_trial=data.get("is_trial", False),
                    ),
                )
            except DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        return None

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        """Every product field is read-only here; nothing to save on the product itself."""

    @admin.action(description=_("Start security review"), permissions=["review"])
    def start_security_review(self, request: HttpRequest, queryset):
        started = []
        for product in queryset:
            try:
                started.append(security_review_start(product=product, actor=request.user))
            except DomainError as exc:
                self.message_user(request, f"{product}: {exc}", messages.ERROR)
        if len(started) == 1:
            return HttpResponseRedirect(
                reverse("admin:catalog_securityreview_change", args=[started[0].pk])
            )
        if started:
            self.message_user(
                request,
                _("%(count)d security reviews started.") % {"count": len(started)},
                messages.SUCCESS,
            )
        return None

    @admin.action(description=_("Delist (下架)"), permissions=["delist"])
    def delist_products(self, request: HttpRequest, queryset):
        return run_with_reason(
            self,
            request,
            queryset,
            title=_("Delist products"),
            apply=lambda product, reason: product_delist(
                product=product, actor=request.user, reason=reason
            ),
        )


@admin.register(ProductRevision)
class ProductRevisionAdmin(SimpleHistoryAdmin):
    list_display = ["product", "number", "status", "created_at", "published_at"]
    list_filter = ["status"]
    list_select_related = ["product"]
    search_fields = ["product__title", "title", "product__vendor__name"]
    readonly_fields = [
        "product",
        "number",
        "title",
        "description",
        "tags",
        "deployment",
        "specifications",
        "status",
        "rejection_reason",
        "created_by",
        "created_at",
        "published_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProductQualification)
class ProductQualificationAdmin(SimpleHistoryAdmin):
    """MS-4.1.2: the qualifications each product needs."""

    list_display = ["product", "name", "document_file", "number", "expires_on", "verified"]
    list_filter = ["verified"]
    list_select_related = ["product"]
    search_fields = ["product__title", "name", "number"]
    autocomplete_fields = ["product"]

    @admin.display(description=_("document"))
    def document_file(self, obj: ProductQualification):
        return file_link(obj.document)  # issue 8 §4: the authenticated view, never /media/


@admin.register(MarketingGrant)
class MarketingGrantAdmin(SimpleHistoryAdmin):
    """MS-4.1.3: marketing resources granted per product."""

    list_display = ["product", "resource", "starts_on", "ends_on", "granted_by"]
    list_select_related = ["product", "granted_by"]
    search_fields = ["product__title", "resource"]
    autocomplete_fields = ["product"]
    readonly_fields = ["granted_by"]

    def save_model(self, request: HttpRequest, obj: MarketingGrant, form: Any, change: bool):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)
