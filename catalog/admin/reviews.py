"""Security reviews admin: per-item results, approve and reject through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.admin.display import content_html, revision_diff_html
from catalog.admin.products import CatalogAdminMedia
from catalog.models import (
    REVIEW_PERMISSION,
    ItemResult,
    Product,
    ReviewItem,
    SecurityReview,
    SecurityReviewItem,
)
from catalog.selectors import SpecValue, revision_diff
from catalog.services import (
    security_review_approve,
    security_review_record,
    security_review_reject,
)
from marketplace.admin_actions import ReasonForm, reason_action, transition_check
from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin


def decided_message(review: SecurityReview, *, listed_title: str) -> str:
    """What the decision did to which product (issue 12 §3), read back from the database.

    `listed_title` is the title the reviewer knew; an approved update may have changed it.
    """
    review = SecurityReview.objects.select_related("product", "revision").get(pk=review.pk)
    product = review.product
    names = {"product": listed_title, "title": product.title, "status": ""}
    if review.outcome == SecurityReview.Outcome.REJECTED:
        if review.revision_id:
            return (
                gettext(
                    "Rejected the update of “%(product)s”; the listed version stays on sale and "
                    "the vendor sees the reason."
                )
                % names
            )
        return gettext("Rejected “%(product)s”; the vendor sees the reason.") % names
    if not review.revision_id:
        return gettext("Approved “%(product)s”; it is listed now.") % names
    if product.status != Product.Status.LISTED:
        names["status"] = product.get_status_display()
        return (
            gettext(
                "Approved the update of “%(product)s”; the new version is published, but the "
                "product stays %(status)s."
            )
            % names
        )
    if product.title != listed_title:
        return (
            gettext("Approved the update of “%(product)s”; the new version “%(title)s” is listed.")
            % names
        )
    return gettext("Approved the update of “%(product)s”; the new version is listed.") % names


class SecurityReviewItemInline(admin.TabularInline):
    """One row per MS-4.1.4 ①–⑥ / MS-3.1.6 item; editable while the review is open."""

    model = SecurityReviewItem
    fields = ["item", "result", "notes"]
    readonly_fields = ["item"]
    extra = 0
    can_delete = False
    classes = ["no-row-title"]  # the item column names the row; no title above it as well

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            obj is not None
            and obj.outcome == SecurityReview.Outcome.OPEN
            and request.user.has_perm(REVIEW_PERMISSION)
        )


@admin.register(SecurityReview)
class SecurityReviewAdmin(SimpleHistoryAdmin):
    list_display = [
        "review_subject",
        "vendor",
        "reviewer",
        "outcome",
        "items_summary",
        "started_at",
        "decided_at",
    ]
    list_filter = ["outcome", "started_at"]
    list_select_related = ["product__vendor", "revision", "reviewer"]
    search_fields = ["product__title", "product__vendor__name"]
    inlines = [SecurityReviewItemInline]
    change_form_template = "admin/catalog/securityreview/change_form.html"
    actions = ["approve_reviews", "reject_reviews"]
    Media = CatalogAdminMedia
    readonly_fields = [
        "product",
        "revision",
        "content_under_review",
        "reviewer",
        "outcome",
        "started_at",
        "decided_at",
        "rejection_reason",
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        content = (
            _("Changes against the listed version")
            if obj is not None and obj.revision_id
            else _("Content under review")
        )
        return [
            (
                None,
                {
                    "fields": [
                        "product",
                        "revision",
                        "reviewer",
                        "outcome",
                        "started_at",
                        "decided_at",
                    ]
                },
            ),
            (content, {"fields": ["content_under_review"]}),
            (_("Decision"), {"fields": ["notes", "rejection_reason"]}),
        ]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                passed=Count("items", filter=Q(items__result=ItemResult.PASS)),
                failed=Count("items", filter=Q(items__result=ItemResult.FAIL)),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None or obj.outcome != SecurityReview.Outcome.OPEN:
            return [*self.readonly_fields, "notes"]
        return list(self.readonly_fields)

    @admin.display(description=_("vendor"), ordering="product__vendor__name")
    def vendor(self, obj: SecurityReview) -> Any:
        return obj.product.vendor

    @admin.display(description=_("reviewed"), ordering="product__title")
    def review_subject(self, obj: SecurityReview) -> Any:
        if obj.revision_id:
            update = _("update #%(number)s") % {"number": obj.revision.number}
        else:
            update = _("the product itself")
        return format_html('{}<div class="sub">{}</div>', obj.product.title, update)

    @admin.display(description=_("items"), ordering="failed")
    def items_summary(self, obj: SecurityReview) -> str:
        text = _("%(passed)d/%(total)d passed") % {
            "passed": obj.passed,
            "total": len(ReviewItem.values),
        }
        if obj.failed:
            failed = _("%(failed)d failed") % {"failed": obj.failed}
            return format_html('{}<div class="sub warn">{}</div>', text, failed)
        return text

    @admin.display(description=_("content under review"))
    def content_under_review(self, obj: SecurityReview) -> str:
        """An update: what it changes against the listed version (MS-6.1.2), not its raw
        values. The product's own submission: its content."""
        if obj.revision_id:
            as_of = None if obj.outcome == SecurityReview.Outcome.OPEN else obj.started_at
            return revision_diff_html(revision_diff(obj.revision, as_of=as_of))
        specs = [
            SpecValue(s.name, s.price, s.billing_period, s.is_trial)
            for s in obj.product.specifications.filter(active=True).order_by("pk")
        ]
        return content_html(obj.product, specs)

    def get_urls(self):
        decide = path(
            "<int:object_id>/decide/<str:decision>/",
            self.admin_site.admin_view(self.decide_view),
            name="catalog_securityreview_decide",
        )
        return [decide, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": self.has_review_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request: HttpRequest, object_id: int, decision: str) -> HttpResponse:
        """Approve or reject one review from its page: a reason page, then the service."""
        if decision not in ("approve", "reject"):
            raise Http404
        if not self.has_review_permission(request):
            raise PermissionDenied
        review = get_object_or_404(SecurityReview.objects.select_related("product"), pk=object_id)
        approving = decision == "approve"
        label = _("Reviewer notes") if approving else _("Reason")
        form = ReasonForm(request.POST or None, required=not approving, label=label)
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["reason"]
            try:
                if approving:
                    security_review_approve(review=review, actor=request.user, notes=text)
                else:
                    security_review_reject(review=review, actor=request.user, reason=text)
            except DomainError as exc:
                self.message_user(request, f"{review.product}: {exc}", messages.ERROR)
            else:
                message = decided_message(review, listed_title=review.product.title)
                self.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:catalog_securityreview_change", args=[review.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Approve security review") if approving else _("Reject security review"),
            "review": review,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/catalog/decide_form.html", context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reviews are started from the products queue

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A decided review is a record: read-only, no Save button (issue 12 §2)."""
        if obj is not None and obj.outcome != SecurityReview.Outcome.OPEN:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REVIEW_PERMISSION)

    def save_model(self, request: HttpRequest, obj: SecurityReview, form: Any, change: bool):
        """Saved through the service in save_related, with the item results."""

    def construct_change_message(self, request, form, formsets, add=False):
        """Writes go through the services, which record history with who and why."""
        return [{"changed": {"fields": [str(self.model._meta.verbose_name)]}}]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        results: dict[str, tuple[str, str]] = {}
        for formset in formsets:
            for item_form in formset.forms:
                data = getattr(item_form, "cleaned_data", None)
                if data and item_form.instance.pk:
                    results[item_form.instance.item] = (data["result"], data.get("notes", ""))
        notes = form.cleaned_data.get("notes") if "notes" in form.cleaned_data else None
        try:
            security_review_record(
                review=form.instance, actor=request.user, results=results, notes=notes
            )
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    @admin.action(
        description=_("Approve (list the product / publish the update)"), permissions=["review"]
    )
    def approve_reviews(self, request: HttpRequest, queryset):
        queryset = queryset.select_related("product")  # the titles the reviewer knows
        return reason_action(
            self,
            request,
            queryset,
            title=_("Approve security reviews"),
            form_kwargs={"required": False, "label": _("Reviewer notes")},
            # No state check here: a review with an item not passed is refused by the
            # service, which names what is missing (MS-4.1.4).
            apply=lambda review, data: security_review_approve(
                review=review, actor=request.user, notes=data["reason"]
            ),
            done=lambda review: decided_message(review, listed_title=review.product.title),
        )

    @admin.action(description=_("Reject with a reason"), permissions=["review"])
    def reject_reviews(self, request: HttpRequest, queryset):
        queryset = queryset.select_related("product")
        return reason_action(
            self,
            request,
            queryset,
            title=_("Reject security reviews"),
            check=transition_check("reject", request.user),
            apply=lambda review, data: security_review_reject(
                review=review, actor=request.user, reason=data["reason"]
            ),
            done=lambda review: decided_message(review, listed_title=review.product.title),
        )
