"""Admin of the deposit (MS-3.1.5): read-only ledger, an entry form over the services,
obligations, tiers and refunds."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.admin_readonly import ReadOnlyAdminMixin
from marketplace.exceptions import DomainError
from marketplace.history_admin import SimpleHistoryAdmin
from vendors.admin import display
from vendors.admin.common import NoDeleteMixin
from vendors.admin.display import (
    CSS,
    EMPTY,
    PreparedChangeListMixin,
    RowLinks,
    china,
    cny,
    deadline_html,
    object_link,
    prepare_entry_links,
    signed_cny,
)
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
from vendors.selectors import deadline_status, deadline_statuses, deposit_summary
from vendors.services import (
    deposit_deduct,
    deposit_pay,
    deposit_refund_complete,
    deposit_refund_receipt_received,
    deposit_reverse,
    deposit_topup,
)
from vendors.services.deposit import is_violation_deduction

RECORDABLE_KINDS = (EntryKind.PAYMENT, EntryKind.TOP_UP, EntryKind.DEDUCTION)


class EntryForm(forms.Form):
    """A new ledger entry; the service validates amounts, causes and references."""

    vendor = forms.ModelChoiceField(
        label=_("vendor"), queryset=Vendor.objects.only("pk", "name").order_by("name")
    )
    kind = forms.ChoiceField(
        label=_("kind"), choices=[(kind.value, kind.label) for kind in RECORDABLE_KINDS]
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page's script asks for the chosen vendor's position when the choice changes.
        self.fields["vendor"].widget.attrs["data-position-url"] = reverse(
            "admin:vendors_depositentry_position"
        )


def _vendor_from(value: Any) -> Vendor | None:
    """The vendor a query parameter or posted field names, or None (never an error)."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        return None
    return Vendor.objects.filter(pk=int(text)).first()


class EntryVendorFilter(admin.SimpleListFilter):
    """Filter by vendor id from links (no list of every vendor: the page stays cheap)."""

    title = _("vendor")
    parameter_name = "vendor__id__exact"

    def lookups(self, request, model_admin):
        vendor = _vendor_from(self.value())
        return [(str(vendor.pk), vendor.name)] if vendor else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isascii() and value.isdigit() and len(value) < 19:
            return queryset.filter(vendor_id=value)
        return queryset


def ledger_url(vendor_id: int) -> str:
    """The vendor's ledger: the entry list filtered to it."""
    return reverse("admin:vendors_depositentry_changelist") + f"?vendor__id__exact={vendor_id}"


def record_url(vendor_id: int, kind: str = "") -> str:
    url = reverse("admin:vendors_depositentry_record") + f"?vendor={vendor_id}"
    return url + (f"&kind={kind}" if kind else "")


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
class DepositEntryAdmin(
    PreparedChangeListMixin, TransitionAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin
):
    # The amount entered is on the entry's page; the list shows its effect (balance and amount
    # owed), so the key columns fit at 1440 px beside the navigation and the filters.
    list_display = [
        "recorded_at",
        "vendor",
        "kind",
        "effect",
        "basis",
        "actor",
    ]
    list_filter = ["kind", "cause", EntryVendorFilter]
    search_fields = ["vendor__name", "vendor__credit_code", "reference", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["vendor", "actor", "reverses"]
    change_list_template = "admin/vendors/depositentry/change_list.html"
    admin_transitions = [REVERSE]
    actions = [transition_action(REVERSE)]
    fields = [
        "vendor",
        "kind",
        "amount_cny",
        "delta_cny",
        "owed_delta_cny",
        "cause",
        "reference_link",
        "reverses_link",
        "reason",
        "actor",
        "recorded_at",
        "vendor_ledger",
    ]
    readonly_fields = fields

    class Media:
        css = CSS

    def prepare_rows(self, request: HttpRequest, rows: list[DepositEntry]) -> None:
        prepare_entry_links(RowLinks(request, self.admin_site), rows)

    @admin.display(description=_("recorded at (China time)"), ordering="created_at")
    def recorded_at(self, obj: DepositEntry) -> str:
        return china(obj.created_at)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_cny(self, obj: DepositEntry) -> str:
        return cny(obj.amount)

    @admin.display(description=_("effect on balance"))
    def delta_cny(self, obj: DepositEntry) -> str:
        return signed_cny(obj.delta)

    @admin.display(description=_("effect on amount owed"))
    def owed_delta_cny(self, obj: DepositEntry) -> str:
        return signed_cny(obj.owed_delta)

    @admin.display(description=_("effect"))
    def effect(self, obj: DepositEntry):
        """Balance and amount owed in one cell: the list keeps its key columns at 1440 px."""
        parts = [format_html("{} {}", _("balance"), signed_cny(obj.delta))]
        if obj.owed_delta:
            parts.append(format_html("{} {}", _("owed"), signed_cny(obj.owed_delta)))
        return format_html(
            "<br>".join(['<span class="money-effect">{}</span>'] * len(parts)), *parts
        )

    @admin.display(description=_("cause and reference"))
    def basis(self, obj: DepositEntry):
        parts = []
        if obj.cause:
            parts.append(format_html("{}", obj.get_cause_display()))
        if obj.reference:
            parts.append(getattr(obj, "reference_html", obj.reference))
        if obj.reverses_id:
            parts.append(getattr(obj, "reverses_html", EMPTY))
        if not parts:
            return EMPTY
        return format_html(" · ".join(["{}"] * len(parts)), *parts)

    @admin.display(description=_("reference"))
    def reference_link(self, obj: DepositEntry):
        return getattr(obj, "reference_html", obj.reference or EMPTY)

    @admin.display(description=_("reverses"))
    def reverses_link(self, obj: DepositEntry):
        return getattr(obj, "reverses_html", EMPTY)

    @admin.display(description=_("ledger"))
    def vendor_ledger(self, obj: DepositEntry):
        return format_html(
            '<a href="{}">{}</a>', ledger_url(obj.vendor_id), _("All entries of this vendor")
        )

    def get_urls(self):
        return [
            path(
                "record/",
                self.admin_site.admin_view(self.record_view),
                name="vendors_depositentry_record",
            ),
            path(
                "record/position/",
                self.admin_site.admin_view(self.position_view),
                name="vendors_depositentry_position",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_record": request.user.has_perm("vendors.record_depositentry"),
        }
        return super().changelist_view(request, extra_context)

    def _position_context(self, request: HttpRequest, vendor: Vendor | None) -> dict[str, Any]:
        summary = deposit_summary(vendor, now=display.now()) if vendor is not None else None
        return {
            "summary": summary,
            "ledger_url": ledger_url(vendor.pk) if vendor else "",
            "obligations_url": (
                reverse("admin:vendors_topupobligation_changelist")
                + f"?vendor__id__exact={vendor.pk}&open=open"
                if vendor
                else ""
            ),
            "obligation_rows": [
                {
                    "obligation": ob,
                    "amount": cny(ob.amount_due),
                    "deadline": deadline_html(status, with_due=True),
                }
                for ob, status in (summary.obligations if summary else [])
            ],
            "money": (
                {
                    # Issue 13: the figures of `deposit_summary`, as the vendor sees them.
                    "balance": cny(summary.balance),
                    "required": cny(summary.required),
                    "owed": cny(summary.owed),
                    "to_top_up": cny(summary.to_top_up),
                    "tier": cny(summary.tier.amount) if summary.tier else "",
                }
                if summary
                else {}
            ),
        }

    def position_view(self, request: HttpRequest) -> HttpResponse:
        """The chosen vendor's deposit, server-rendered, for the record page's script."""
        if not request.user.has_perm("vendors.record_depositentry"):
            raise PermissionDenied
        context = self._position_context(request, _vendor_from(request.GET.get("vendor")))
        return TemplateResponse(request, "admin/vendors/depositentry/position.html", context)

    def record_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("vendors.record_depositentry"):
            raise PermissionDenied
        chosen = _vendor_from(request.GET.get("vendor"))
        kind = request.GET.get("kind")
        initial = {
            "vendor": chosen.pk if chosen else None,
            "kind": kind if kind in EntryKind.values else None,
        }
        form = EntryForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST":
            chosen = _vendor_from(request.POST.get("vendor"))
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
                return HttpResponseRedirect(ledger_url(entry.vendor_id))
        context = {
            **self.admin_site.each_context(request),
            **self._position_context(request, chosen),
            "opts": self.model._meta,
            "form": form,
            "title": _("Record a deposit ledger entry"),
            "intro": _(
                "Entries are never changed or deleted; a mistake is corrected by reversing the "
                "entry."
            ),
            "submit_label": _("Record"),
        }
        return TemplateResponse(request, "admin/vendors/depositentry/record.html", context)


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


def _attach_deadlines(rows: list[Any], *, open_only: Any) -> None:
    """`deadline` on each row whose clock still runs (one working calendar for the page)."""
    running = [row for row in rows if open_only(row)]
    statuses = deadline_statuses(running, now=display.now())
    for row in rows:
        row.deadline = statuses.get(row.pk)


@admin.register(TopUpObligation)
class TopUpObligationAdmin(PreparedChangeListMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "vendor",
        "amount_due_cny",
        "opened",
        "due",
        "time_left",
        "ledger",
    ]
    list_filter = [OpenFilter, "provisional", EntryVendorFilter]
    search_fields = ["vendor__name", "vendor__credit_code"]
    date_hierarchy = "due_at"
    list_select_related = ["vendor"]
    fields = [
        "vendor",
        "amount_due_cny",
        "opened",
        "opened_by_link",
        "due",
        "time_left",
        "provisional",
        "closed",
        "closed_by_link",
        "ledger",
    ]
    readonly_fields = fields

    class Media:
        css = CSS

    def prepare_rows(self, request: HttpRequest, rows: list[TopUpObligation]) -> None:
        _attach_deadlines(rows, open_only=lambda ob: ob.closed_at is None)
        can_record = request.user.has_perm("vendors.record_depositentry")
        for row in rows:
            row.can_record = can_record

    @admin.display(description=_("amount to top up"), ordering="amount_due")
    def amount_due_cny(self, obj: TopUpObligation) -> str:
        return cny(obj.amount_due)

    @admin.display(description=_("opened at (China time)"), ordering="opened_at")
    def opened(self, obj: TopUpObligation) -> str:
        return china(obj.opened_at)

    @admin.display(description=_("due by (China time)"), ordering="due_at")
    def due(self, obj: TopUpObligation):
        if obj.provisional:
            return format_html(
                '{} <span class="badge-provisional" title="{}">{}</span>',
                china(obj.due_at),
                _("The working calendar of that year is not confirmed yet; the date may change."),
                _("provisional"),
            )
        return china(obj.due_at)

    @admin.display(description=_("working days left / overdue"), ordering="due_at")
    def time_left(self, obj: TopUpObligation):
        if obj.closed_at is not None:
            return _("topped up %(time)s") % {"time": china(obj.closed_at)}
        status = getattr(obj, "deadline", None)
        if status is None:
            status = deadline_status(obj.due_at, now=display.now())
        return deadline_html(status)

    @admin.display(description=_("closed at (China time)"), ordering="closed_at")
    def closed(self, obj: TopUpObligation) -> str:
        return china(obj.closed_at)

    @admin.display(description=_("opened by entry"))
    def opened_by_link(self, obj: TopUpObligation):
        return object_link(obj.opened_by) if obj.opened_by_id else EMPTY

    @admin.display(description=_("closed by entry"))
    def closed_by_link(self, obj: TopUpObligation):
        return object_link(obj.closed_by) if obj.closed_by_id else EMPTY

    @admin.display(description=_("ledger"))
    def ledger(self, obj: TopUpObligation):
        link = format_html('<a href="{}">{}</a>', ledger_url(obj.vendor_id), _("vendor's ledger"))
        if obj.closed_at is None and getattr(obj, "can_record", False):
            return format_html(
                '{}<br><a href="{}">{}</a>',
                link,
                record_url(obj.vendor_id, EntryKind.TOP_UP),
                _("record the top-up"),
            )
        return link


@admin.register(DepositTier)
class DepositTierAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["category", "amount_cny", "effective_from"]
    list_filter = ["category"]
    search_fields = ["category__name", "category__code"]
    date_hierarchy = "effective_from"
    list_select_related = ["category"]

    @admin.display(description=_("deposit amount"), ordering="amount")
    def amount_cny(self, obj: DepositTier) -> str:
        return cny(obj.amount)

    def get_readonly_fields(self, request, obj=None):
        # A tier in force is history: change the schedule by adding a tier from a later date.
        return ["category", "amount_cny", "effective_from"] if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["category", "amount_cny" if obj is not None else "amount", "effective_from"]


def _refund_service(fn):
    def run(*, obj, actor, reason):
        return fn(refund=obj, actor=actor, reason=reason)

    return run


@admin.register(DepositRefund)
class DepositRefundAdmin(
    PreparedChangeListMixin, TransitionAdminMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin
):
    list_display = [
        "vendor",
        "status",
        "requested",
        "receipt_received",
        "due",
        "time_left",
        "completed",
    ]
    list_filter = ["status", "provisional"]
    search_fields = ["vendor__name", "vendor__credit_code"]
    date_hierarchy = "requested_at"
    list_select_related = ["vendor"]
    fields = [
        "vendor",
        "status",
        "requested",
        "receipt_received",
        "due",
        "time_left",
        "provisional",
        "completed",
        "entry_link",
        "ledger",
    ]
    readonly_fields = fields
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

    class Media:
        css = CSS

    def prepare_rows(self, request: HttpRequest, rows: list[DepositRefund]) -> None:
        _attach_deadlines(
            rows, open_only=lambda r: r.status == DepositRefund.Status.RECEIPT_RECEIVED
        )

    @admin.display(description=_("requested at (China time)"), ordering="requested_at")
    def requested(self, obj: DepositRefund) -> str:
        return china(obj.requested_at)

    @admin.display(
        description=_("receipt received at (China time)"), ordering="receipt_received_at"
    )
    def receipt_received(self, obj: DepositRefund) -> str:
        return china(obj.receipt_received_at)

    @admin.display(description=_("refund due by (China time)"), ordering="due_at")
    def due(self, obj: DepositRefund) -> str:
        return china(obj.due_at)

    @admin.display(description=_("working days left / overdue"), ordering="due_at")
    def time_left(self, obj: DepositRefund):
        return deadline_html(getattr(obj, "deadline", None))

    @admin.display(description=_("refunded at (China time)"), ordering="completed_at")
    def completed(self, obj: DepositRefund) -> str:
        return china(obj.completed_at)

    @admin.display(description=_("refund entry"))
    def entry_link(self, obj: DepositRefund):
        return object_link(obj.entry) if obj.entry_id else EMPTY

    @admin.display(description=_("ledger"))
    def ledger(self, obj: DepositRefund):
        return format_html('<a href="{}">{}</a>', ledger_url(obj.vendor_id), _("vendor's ledger"))
