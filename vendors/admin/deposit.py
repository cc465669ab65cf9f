"""Admin of the deposit (MS-3.1.5): read-only ledger, an entry form over the services,
obligations, tiers and refunds."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import format_cny
from vendors.admin.common import NoDeleteMixin, ReadOnlyAdminMixin
from vendors.admin.transitions import AdminTransition, TransitionAdminMixin, transition_action
from vendors.models import (
    DeductionCause,
    DepositEntry,
    DepositRefund,
    DepositTier,
    EntryKind,
    TopUpObligation,
    Vendor,
)
from vendors.services import (
    deposit_deduct,
    deposit_pay,
    deposit_refund_complete,
    deposit_refund_receipt_received,
    deposit_reverse,
    deposit_topup,
)
from vendors.services.deposit import is_violation_deduction


class EntryForm(forms.Form):
    """A new ledger entry; the service validates amounts, causes and references."""

    vendor = forms.ModelChoiceField(
        label=_("vendor"), queryset=Vendor.objects.only("pk", "name").order_by("name")
    )
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[
            (EntryKind.PAYMENT, EntryKind.PAYMENT.label),
            (EntryKind.TOP_UP, EntryKind.TOP_UP.label),
            (EntryKind.DEDUCTION, EntryKind.DEDUCTION.label),
        ],
    )
    amount = forms.CharField(label=_("amount (CNY)"), help_text=_("For example 1000.00"))
    # MS-7: a deduction for a violation is made by its penalty case's approved deduction
    # measure (two compliance leads), never recorded here by one person.
    cause = forms.ChoiceField(
        label=_("deduction cause"),
        choices=[("", "---------"), (DeductionCause.REFUND, DeductionCause.REFUND.label)],
        required=False,
    )
    reference = forms.CharField(
        label=_("reference"),
        required=False,
        help_text=_(
            "Refund compensation: refund:<number>. Deductions for a violation are made by "
            "approving the penalty case's deduction measure (compliance)."
        ),
    )
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))


class EntryVendorFilter(admin.SimpleListFilter):
    """Filter by vendor id from links (no list of every vendor: the page stays cheap)."""

    title = _("vendor")
    parameter_name = "vendor__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        vendor = Vendor.objects.filter(pk=value).only("name").first()
        return [(value, vendor.name)] if vendor else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(vendor_id=value)
        return queryset


REVERSE = AdminTransition(
    "reverse",
    _("Reverse entry"),
    lambda *, obj, actor, reason: deposit_reverse(entry=obj, actor=actor, reason=reason),
    permission="vendors.reverse_depositentry",
    # MS-7: a violation deduction is given back only by revoking its penalty case.
    allowed=lambda entry: (
        entry.kind not in (EntryKind.REVERSAL, EntryKind.REFUND)
        and not is_violation_deduction(entry)
    ),
    help_text=_("A correction appends the opposite entry; the original stays as it was."),
)


@admin.register(DepositEntry)
class DepositEntryAdmin(TransitionAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "created_at",
        "vendor",
        "kind",
        "amount_column",
        "delta",
        "owed_delta",
        "cause",
        "reference",
        "reverses",
        "actor",
    ]
    list_filter = ["kind", "cause", EntryVendorFilter]
    search_fields = ["vendor__name", "vendor__credit_code", "reference", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["vendor", "actor", "reverses"]
    change_list_template = "admin/vendors/depositentry/change_list.html"
    admin_transitions = [REVERSE]
    actions = [transition_action(REVERSE)]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_column(self, obj: DepositEntry) -> str:
        return format_cny(obj.amount)

    def get_urls(self):
        return [
            path(
                "record/",
                self.admin_site.admin_view(self.record_view),
                name="vendors_depositentry_record",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_record": request.user.has_perm("vendors.record_depositentry"),
        }
        return super().changelist_view(request, extra_context)

    def record_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("vendors.record_depositentry"):
            raise PermissionDenied
        initial = {"vendor": request.GET.get("vendor")}
        form = EntryForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            common = {
                "vendor": data["vendor"],
                "amount": data["amount"],
                "actor": request.user,
                "reason": data["reason"],
            }
            try:
                if data["kind"] == EntryKind.DEDUCTION:
                    entry = deposit_deduct(
                        cause=data["cause"], reference=data["reference"], **common
                    )
                elif data["kind"] == EntryKind.TOP_UP:
                    entry = deposit_topup(**common)
                else:
                    entry = deposit_pay(**common)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, _("Recorded: %(entry)s.") % {"entry": entry}, messages.SUCCESS
                )
                url = reverse("admin:vendors_depositentry_changelist")
                return HttpResponseRedirect(f"{url}?vendor__id__exact={entry.vendor_id}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Record a deposit ledger entry"),
            "intro": _(
                "Entries are never changed or deleted; a mistake is corrected by reversing the "
                "entry."
            ),
            "submit_label": _("Record"),
        }
        return TemplateResponse(request, "admin/vendors/form_page.html", context)


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("closed", _("Closed"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(TopUpObligation)
class TopUpObligationAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "vendor",
        "amount_due",
        "opened_at",
        "due_at",
        "provisional",
        "closed_at",
    ]
    list_filter = [OpenFilter, "provisional", EntryVendorFilter]
    search_fields = ["vendor__name", "vendor__credit_code"]
    date_hierarchy = "due_at"
    list_select_related = ["vendor"]


@admin.register(DepositTier)
class DepositTierAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["category", "amount", "effective_from"]
    list_filter = ["category"]
    search_fields = ["category__name", "category__code"]
    date_hierarchy = "effective_from"
    list_select_related = ["category"]

    def get_readonly_fields(self, request, obj=None):
        # A tier in force is history: change the schedule by adding a tier from a later date.
        return ["category", "amount", "effective_from"] if obj is not None else []


def _refund_service(fn):
    def run(*, obj, actor, reason):
        return fn(refund=obj, actor=actor, reason=reason)

    return run


@admin.register(DepositRefund)
class DepositRefundAdmin(TransitionAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "vendor",
        "status",
        "requested_at",
        "receipt_received_at",
        "due_at",
        "provisional",
        "completed_at",
    ]
    list_filter = ["status", "provisional"]
    search_fields = ["vendor__name", "vendor__credit_code"]
    date_hierarchy = "requested_at"
    list_select_related = ["vendor"]
    admin_transitions = [
        AdminTransition(
            "receipt",
            _("Deposit receipt received"),
            _refund_service(deposit_refund_receipt_received),
            method="receive_receipt",
            help_text=_("MS-3.1.5 ④: the refund is due within 15 working days from now."),
        ),
        AdminTransition(
            "complete",
            _("Refund paid"),
            _refund_service(deposit_refund_complete),
            method="complete",
            help_text=_("The whole balance is refunded, without interest."),
        ),
    ]
