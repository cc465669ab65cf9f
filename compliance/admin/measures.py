"""Applied measures, and the lift page shared with the case admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.admin.common import (
    ViewerMixin,
    admin_link,
    execution_shown,
    money,
)
from compliance.models import (
    AppliedMeasure,
    CauseType,
)
from compliance.services import penalties as svc
from marketplace.admin_actions import ReasonForm
from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin


def _may_lift(user, measure: AppliedMeasure) -> bool:
    """MS-8.3 / MS-7: waiting proposals and evict / ban / deductions are the lead's to lift."""
    if not user.has_perm(svc.PERM_APPLY):
        return False
    return not svc.lift_needs_lead(measure) or user.has_perm(svc.PERM_APPROVE)


def _lift_page(model_admin, request, measure: AppliedMeasure, back_url: str) -> HttpResponse:
    if not _may_lift(request.user, measure):
        raise PermissionDenied
    form = ReasonForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            svc.penalty_measure_lift(
                measure=measure, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            error = str(exc)
        else:
            model_admin.message_user(request, _("Measure lifted."), messages.SUCCESS)
            return HttpResponseRedirect(back_url)
    others = (
        AppliedMeasure.objects.in_force(timezone.now())
        .filter(vendor_id=measure.vendor_id)
        .exclude(pk=measure.pk)
        .select_related("product")
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Lift measure"),
        "measure": measure,
        "object": measure,
        "others": list(others),
        "form": form,
        "error": error,
        "change_url": back_url,
    }
    return TemplateResponse(request, "admin/compliance/lift.html", context)


# --- applied measures -----------------------------------------------------------------------


class InForceFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", _("In force now")), ("waiting", _("Waiting for approval"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.in_force(timezone.now())
        if self.value() == "waiting":
            return queryset.filter(awaiting_approval=True, lifted_at__isnull=True)
        return queryset


@admin.register(AppliedMeasure)
class AppliedMeasureAdmin(ViewerMixin, SimpleHistoryAdmin):
    list_display = (
        "kind",
        "vendor",
        "product",
        "cause_shown",
        "starts_at",
        "ends_at",
        "amount_shown",
        "awaiting_approval",
        "lifted_at",
    )
    list_select_related = ("vendor", "product", "penalty_case")
    fields = (
        "kind",
        "vendor",
        "product",
        "cause_shown",
        "reason",
        "starts_at",
        "ends_at",
        "amount_shown",
        "created_by",
        "created_at",
        "awaiting_approval",
        "approved_by",
        "approved_at",
        "executed_at",
        "execution",
        "lifted_at",
        "lifted_by",
        "lift_reason",
    )
    readonly_fields = fields

    @admin.display(description=_("cause"), ordering="cause_type")
    def cause_shown(self, obj: AppliedMeasure):
        """The cause by name with a link to it (the stored reference is an id or a code)."""
        label = obj.get_cause_type_display()
        ref = obj.cause_id or ""
        if obj.cause_type == CauseType.PENALTY and obj.penalty_case_id:
            target = admin_link("compliance.penaltycase", obj.penalty_case_id, obj.penalty_case)
        elif obj.cause_type == CauseType.SAAS_DELIVERY and ref.isdigit():
            target = admin_link("orders.deliveryfailure", int(ref), f"#{ref}")
        elif obj.cause_type == CauseType.DEPOSIT_TOPUP and ref.isdigit():
            target = admin_link("vendors.topupobligation", int(ref), f"#{ref}")
        elif obj.cause_type == CauseType.REFUND_RATE and ref:
            target = format_html("{} {}", _("evaluated on"), ref)
        else:
            target = ref
        return format_html("{} · {}", label, target) if target else label

    @admin.display(description=AppliedMeasure._meta.get_field("amount").verbose_name)
    def amount_shown(self, obj: AppliedMeasure) -> str:
        return money(obj.amount)

    @admin.display(description=AppliedMeasure._meta.get_field("execution_ref").verbose_name)
    def execution(self, obj: AppliedMeasure):
        return execution_shown(obj.execution_ref) if obj.execution_ref else "-"

    list_filter = (InForceFilter, "kind", "cause_type")
    search_fields = ("vendor__name", "vendor__credit_code", "cause_id")
    change_form_template = "admin/compliance/appliedmeasure/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<path:object_id>/lift/",
                self.admin_site.admin_view(self.lift_view),
                name="compliance_appliedmeasure_lift",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        measure = self.get_object(request, unquote(object_id))
        if measure is not None and measure.lifted_at is None and _may_lift(request.user, measure):
            extra_context["lift_url"] = reverse(
                "admin:compliance_appliedmeasure_lift", args=[measure.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def lift_view(self, request, object_id):
        # get_object answers None for a non-numeric ID too (get_object_or_404 raised a 500).
        measure = self.get_object(request, unquote(object_id))
        if measure is None:
            raise Http404
        return _lift_page(
            self,
            request,
            measure,
            reverse("admin:compliance_appliedmeasure_change", args=[measure.pk]),
        )
