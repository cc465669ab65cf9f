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
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from catalog.admin.actions import ReasonForm, run_with_reason
from catalog.models import (
    REVIEW_PERMISSION,
    ItemResult,
    SecurityReview,
    SecurityReviewItem,
)
from catalog.services import (
    security_review_approve,
    security_review_record,
    security_review_reject,
)
from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin


class SecurityReviewItemInline(admin.TabularInline):
    """One row per MS-4.1.4 ①–⑥ / MS-3.1.6 item; editable while the review is open."""

    model = SecurityReviewItem
    fields = ["item", "result", "notes"]
    readonly_fields = ["item"]
    extra = 0
    can_delete = False

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
        "product",
        "vendor",
        "subject",
        "reviewer",
        "outcome",
        "items_passed",
        "items_failed",
        "started_at",
        "decided_at",
    ]
    list_filter = ["outcome", "started_at"]
    list_select_related = ["product__vendor", "revision", "reviewer"]
    search_fields = ["product__title", "product__vendor__name"]
    inlines = [SecurityReviewItemInline]
    change_form_template = "admin/catalog/securityreview/change_form.html"
    actions = ["approve_reviews", "reject_reviews"]
    fields = [
        "product",
        "revision",
        "content_under_review",
        "reviewer",
        "outcome",
        "started_at",
        "decided_at",
        "notes",
        "rejection_reason",
    ]
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

    @admin.display(description=_("reviewed"))
    def subject(self, obj: SecurityReview) -> Any:
        if obj.revision_id:
            return _("update #%(number)s") % {"number": obj.revision.number}
        return _("product")

    @admin.display(description=_("passed"), ordering="passed")
    def items_passed(self, obj: SecurityReview) -> int:
        return obj.passed

    @admin.display(description=_("failed"), ordering="failed")
    def items_failed(self, obj: SecurityReview) -> int:
        return obj.failed

    @admin.display(description=_("content under review"))
    def content_under_review(self, obj: SecurityReview) -> str:
        """What the reviewer judges: the update's content, or the product's own."""
        if obj.revision_id:
            source = obj.revision
            specs = [
                (s["name"], s["price"], s["billing_period"], _("trial") if s["is_trial"] else "")
                for s in source.specifications
            ]
        else:
            source = obj.product
            specs = [
                (s.name, s.price, s.get_billing_period_display(), _("trial") if s.is_trial else "")
                for s in source.specifications.filter(active=True)
            ]
        rows = format_html_join("", "<li>{} — ¥{} / {} {}</li>", specs)
        return format_html(
            "<strong>{}</strong><br>{}<br>{}: {}<br>{}: {}<ul>{}</ul>",
            source.title,
            source.description,
            _("tags"),
            source.tags,
            _("where it is deployed"),
            source.deployment,
            rows,
        )

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
        review = get_object_or_404(SecurityReview, pk=object_id)
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
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, _("Done."), messages.SUCCESS)
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
        return run_with_reason(
            self,
            request,
            queryset,
            title=_("Approve security reviews"),
            required=False,
            label=_("Reviewer notes"),
            apply=lambda review, notes: security_review_approve(
                review=review, actor=request.user, notes=notes
            ),
        )

    @admin.action(description=_("Reject with a reason"), permissions=["review"])
    def reject_reviews(self, request: HttpRequest, queryset):
        return run_with_reason(
            self,
            request,
            queryset,
            title=_("Reject security reviews"),
            apply=lambda review, reason: security_review_reject(
                review=review, actor=request.user, reason=reason
            ),
        )
