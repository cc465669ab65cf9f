"""Products admin: the security-review queue, specifications, revisions; delisting."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from catalog.admin.display import (
    EMPTY,
    china_time,
    list_text,
    revision_diff_html,
    revision_spec_values,
    spec_text,
    visibility_html,
    waiting_text,
)
from catalog.admin.review_start import review_panel, started_message
from catalog.exceptions import MarketingIneligible
from catalog.models import (
    DELIST_PERMISSION,
    REVIEW_PERMISSION,
    ZERO_PRICE_MESSAGE,
    MarketingGrant,
    Product,
    ProductQualification,
    ProductRevision,
    QualificationRequirement,
    SecurityReview,
    Specification,
    zero_price_refused,
)
from catalog.selectors import (
    open_revision_exists,
    open_revision_field,
    review_waiting_since,
    revision_awaiting_review,
    revision_base_moment,
    revision_diff,
    revision_waiting_since,
)
from catalog.services import (
    SpecInput,
    marketing_grant_create,
    product_delist,
    security_review_start,
    specification_add,
)
from catalog.services.products import EDITABLE_STATUSES
from catalog.visibility import hidden_reasons
from marketplace.admin_actions import MESSAGES_PER_OBJECT, reason_action, transition_check
from marketplace.admin_readonly import ReadOnlyTabularInline
from marketplace.exceptions import DomainError
from marketplace.files import file_link
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import format_cny
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

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self.has_add_permission(request, obj):
            return list(self.fields)
        return ["name", "price_cny", "billing_period", "is_trial", "active"]  # money as money

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if self.has_add_permission(request, obj):
            return ["active"]
        return self.get_fields(request, obj)

    @admin.display(description=_("price (CNY)"))
    def price_cny(self, obj: Specification) -> str:
        return format_cny(obj.price)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is not None
            and obj.status in EDITABLE_STATUSES
            and request.user.has_perm("catalog.add_specification")
        )


class RevisionInline(ReadOnlyTabularInline):
    model = ProductRevision
    fields = ["number", "title", "status", "rejection_reason", "created_at", "published_at"]
    readonly_fields = fields
    show_change_link = True


class SecurityReviewInline(ReadOnlyTabularInline):
    """The product's review history, linking to each review's page."""

    model = SecurityReview
    fields = ["started_at", "revision", "reviewer", "outcome", "rejection_reason", "decided_at"]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("revision", "reviewer")


class CatalogAdminMedia:
    css = {"all": ["catalog/admin.css"]}


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    # Issue 12 §2: what a reviewer decides on comes first and fits at 1440 px beside the
    # filters: state (with an update in progress), what buyers see, how long it has waited
    # for review, the vendor. Category and timestamps are on the product's page.
    list_display = ["title", "state", "visibility", "waiting", "vendor", "kind"]
    list_filter = [
        AwaitingReviewFilter,
        "status",
        "kind",
        "sales_mode",
        "searchable",
        VendorLinkFilter,
        "created_at",
    ]
    list_select_related = ["vendor"]
    search_fields = ["title", "vendor__name"]
    inlines = [SpecificationInline, RevisionInline, SecurityReviewInline]
    actions = ["start_security_review", "delist_products"]
    change_form_template = "admin/catalog/product/change_form.html"
    Media = CatalogAdminMedia
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
        "buyers_see",
        "searchable",
        "hidden_by",
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
            {"fields": ["buyers_see", "searchable", "hidden_by", "content_shielded"]},
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
                open_revision_number=open_revision_field("number"),
                open_revision_status=open_revision_field("status"),
                waiting_since=review_waiting_since(),
            )
        )

    # --- list columns ---------------------------------------------------------------------
    @admin.display(description=_("state"), ordering="status")
    def state(self, obj: Product) -> str:
        number = getattr(obj, "open_revision_number", None)
        if number is None:
            return obj.get_status_display()
        update = _("update #%(number)s: %(status)s") % {
            "number": number,
            "status": REVISION_STATUS_LABELS.get(obj.open_revision_status, ""),
        }
        return format_html('{}<div class="sub">{}</div>', obj.get_status_display(), update)

    @admin.display(description=_("what buyers see"))
    def visibility(self, obj: Product) -> str:
        return visibility_html(obj)

    @admin.display(description=_("waiting for review"), ordering="waiting_since")
    def waiting(self, obj: Product) -> str:
        since = getattr(obj, "waiting_since", None)
        if since is None:
            return EMPTY
        return format_html('<span title="{}">{}</span>', china_time(since), waiting_text(since))

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        """The vendor as a link to its page for whoever may open it (not a filter link: the
        list never carries one per vendor, see VendorLinkFilter)."""
        may_open = request.user.has_perm("vendors.view_vendor")

        @admin.display(description=_("vendor"), ordering="vendor__name")
        def vendor(obj: Product) -> str:
            if not may_open:
                return obj.vendor.name
            url = reverse("admin:vendors_vendor_change", args=[obj.vendor_id])
            return format_html('<a href="{}">{}</a>', url, obj.vendor.name)

        return [vendor if name == "vendor" else name for name in self.list_display]

    # --- change page fields ---------------------------------------------------------------
    @admin.display(description=_("what buyers see"))
    def buyers_see(self, obj: Product) -> str:
        return visibility_html(obj)

    @admin.display(description=_("hidden by"))
    def hidden_by(self, obj: Product) -> str:
        return list_text([str(reason) for reason in hidden_reasons(obj)]) or EMPTY

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

    # --- starting a review from the product's page (issue 12 §3) ---------------------------
    def get_urls(self):
        start = path(
            "<path:object_id>/start-review/",
            self.admin_site.admin_view(self.start_review_view),
            name="catalog_product_start_review",
        )
        return [start, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        product = self.get_object(request, unquote(object_id))
        panel = review_panel(request.user, product) if product is not None else None
        extra_context = {**(extra_context or {}), "review_panel": panel}
        return super().change_view(request, object_id, form_url, extra_context)

    def start_review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: take what the product has waiting (MS-4.1.1, MS-6.1.2), then open the
        review's page. Refused (403) to anyone without the review permission."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_review_permission(request):
            raise PermissionDenied
        product = self.get_object(request, unquote(object_id))
        if product is None:
            raise Http404
        try:
            review = security_review_start(product=product, actor=request.user)
        except DomainError as exc:
            self.message_user(request, f"{product}: {exc}", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:catalog_product_change", args=[product.pk]))
        self.message_user(request, started_message(review), messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:catalog_securityreview_change", args=[review.pk])
        )

    @admin.action(description=_("Start security review"), permissions=["review"])
    def start_security_review(self, request: HttpRequest, queryset):
        started = []
        for product in queryset:
            try:
                started.append(security_review_start(product=product, actor=request.user))
            except DomainError as exc:
                self.message_user(request, f"{product}: {exc}", messages.ERROR)
        if len(started) == 1:
            self.message_user(request, started_message(started[0]), messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:catalog_securityreview_change", args=[started[0].pk])
            )
        for review in started[:MESSAGES_PER_OBJECT]:
            self.message_user(request, started_message(review), messages.SUCCESS)
        if len(started) > MESSAGES_PER_OBJECT:
            self.message_user(
                request,
                _("%(count)d security reviews started.") % {"count": len(started)},
                messages.SUCCESS,
            )
        return None

    @admin.action(description=_("Delist (下架)"), permissions=["delist"])
    def delist_products(self, request: HttpRequest, queryset):
        return reason_action(
            self,
            request,
            queryset,
            title=_("Delist products"),
            check=transition_check("delist", request.user),
            apply=lambda product, data: product_delist(
                product=product, actor=request.user, reason=data["reason"]
            ),
            done=lambda product: (
                _("Delisted “%(product)s”: it is off sale.") % {"product": product}
            ),
        )


REVISION_STATUS_LABELS = dict(ProductRevision.Status.choices)


@admin.register(ProductRevision)
class ProductRevisionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "status", "waiting", "vendor", "created_at", "published_at"]
    list_filter = ["status"]
    list_select_related = ["product__vendor"]
    search_fields = ["product__title", "title", "product__vendor__name"]
    change_form_template = "admin/catalog/productrevision/change_form.html"
    Media = CatalogAdminMedia
    fieldsets = [
        (None, {"fields": ["product", "number", "status", "rejection_reason"]}),
        (_("Changes against the listed version"), {"fields": ["changes"]}),
        (
            _("The update as submitted"),
            {"fields": ["title", "description", "tags", "deployment", "specification_list"]},
        ),
        (_("Record"), {"fields": ["created_by", "created_at", "published_at"]}),
    ]
    readonly_fields = [
        "product",
        "number",
        "title",
        "description",
        "tags",
        "deployment",
        "specification_list",
        "changes",
        "status",
        "rejection_reason",
        "created_by",
        "created_at",
        "published_at",
    ]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(waiting_since=revision_waiting_since())

    @admin.display(description=_("vendor"), ordering="product__vendor__name")
    def vendor(self, obj: ProductRevision) -> Any:
        return obj.product.vendor

    @admin.display(description=_("waiting for review"), ordering="waiting_since")
    def waiting(self, obj: ProductRevision) -> str:
        since = getattr(obj, "waiting_since", None)
        return waiting_text(since) if since else EMPTY

    @admin.display(description=_("specifications"))
    def specification_list(self, obj: ProductRevision) -> str:
        specs = revision_spec_values(obj)
        if not specs:
            return EMPTY
        return format_html(
            '<ul class="plain">{}</ul>',
            format_html_join("", "<li>{}</li>", ((spec_text(s),) for s in specs)),
        )

    @admin.display(description=_("changes"))
    def changes(self, obj: ProductRevision) -> str:
        return revision_diff_html(revision_diff(obj, as_of=revision_base_moment(obj)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        revision = self.get_object(request, unquote(object_id))
        panel = review_panel(request.user, revision.product) if revision is not None else None
        if panel and panel["revision"] != revision:
            panel = None  # the panel speaks of another update of the product
        extra_context = {**(extra_context or {}), "review_panel": panel}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the vendor's content: read here, decided in its security review

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(QualificationRequirement)
class QualificationRequirementAdmin(SimpleHistoryAdmin):
    """MS-4.1.2: the qualifications a category's products must hold before security review."""

    list_display = ["category", "name", "description", "active"]
    list_filter = ["active", "category"]
    list_select_related = ["category"]
    search_fields = ["name", "category__name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch off with "required"; uploads keep pointing at the row

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool):
        obj._change_reason = "required qualification edited in the admin (MS-4.1.2)"
        super().save_model(request, obj, form, change)


@admin.register(ProductQualification)
class ProductQualificationAdmin(SimpleHistoryAdmin):
    """MS-4.1.2: the qualifications each product needs."""

    list_display = [
        "product",
        "name",
        "document_file",
        "number",
        "expires_on",
        "verified",
        "uploaded",
        "replaced",
    ]
    list_filter = ["verified"]
    list_select_related = ["product"]
    search_fields = ["product__title", "name", "number"]
    autocomplete_fields = ["product"]
    readonly_fields = ["requirement", "uploaded", "replaced"]

    @admin.display(description=_("document"))
    def document_file(self, obj: ProductQualification):
        return file_link(obj.document)  # issue 8 §4: the authenticated view, never /media/

    @admin.display(description=_("uploaded at (China time)"), ordering="uploaded_at")
    def uploaded(self, obj: ProductQualification) -> str:
        return china_time(obj.uploaded_at) if obj.uploaded_at else EMPTY

    @admin.display(description=_("replaced at (China time)"), ordering="replaced_at")
    def replaced(self, obj: ProductQualification) -> str:
        return china_time(obj.replaced_at) if obj.replaced_at else EMPTY


class MarketingGrantForm(forms.ModelForm):
    """MS-4.1.3 with MS-5.8: an ineligible vendor's product is refused here, nothing saved."""

    class Meta:
        model = MarketingGrant
        fields = ["product", "resource", "starts_on", "ends_on", "note"]

    def clean(self):
        data = super().clean()
        product = data.get("product")
        if product is not None and not product.vendor.marketing_eligible:
            raise forms.ValidationError(str(MarketingIneligible().message))
        return data


@admin.register(MarketingGrant)
class MarketingGrantAdmin(SimpleHistoryAdmin):
    """MS-4.1.3: marketing resources granted per product."""

    form = MarketingGrantForm
    list_display = ["product", "resource", "starts_on", "ends_on", "granted_by"]
    list_select_related = ["product", "granted_by"]
    search_fields = ["product__title", "resource"]
    autocomplete_fields = ["product"]
    readonly_fields = ["granted_by"]

    def save_model(self, request: HttpRequest, obj: MarketingGrant, form: Any, change: bool):
        if not change:
            # MS-4.1.3 / MS-5.8 checked again under the vendor's lock by the service.
            try:
                created = marketing_grant_create(
                    product=obj.product,
                    resource=obj.resource,
                    starts_on=obj.starts_on,
                    ends_on=obj.ends_on,
                    note=obj.note,
                    actor=request.user,
                )
            except DomainError as exc:
                raise PermissionDenied(str(exc)) from exc
            obj.pk = created.pk
            obj.granted_by = created.granted_by
            return
        obj._change_reason = "marketing grant edited in the admin (MS-4.1.3)"
        super().save_model(request, obj, form, change)
