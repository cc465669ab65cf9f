"""Admin of vendors, stores, staff accounts and categories."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from marketplace.history_admin import SimpleHistoryAdmin
from marketplace.money import format_cny
from vendors.admin import links as vendor_links
from vendors.admin.common import (
    NoDeleteMixin,
    balance_subquery,
    expiring_documents_subquery,
    open_obligations_subquery,
    today,
)
from vendors.admin.display import (
    CSS,
    PreparedChangeListMixin,
    china,
    expiry_html,
    object_link,
)
from vendors.admin.transitions import AdminTransition, TransitionAdminMixin
from vendors.models import Category, DepositRefund, Store, Vendor, VendorStaff
from vendors.selectors import deposit_summary, documents_expiring
from vendors.services import (
    deposit_refund_request,
    exit_propose,
    vendor_activate,
    vendor_reinstate,
    vendor_suspend,
)


def _vendor_service(fn):
    return lambda *, obj, actor, reason: fn(vendor=obj, actor=actor, reason=reason)


class ExpiringDocumentsFilter(admin.SimpleListFilter):
    """MS-6.1.1: vendors with a document expired or expiring within 30 days."""

    title = _("documents")
    parameter_name = "documents"

    def lookups(self, request, model_admin):
        return [("expiring", _("Expired or expiring within 30 days"))]

    def queryset(self, request, queryset):
        if self.value() == "expiring":
            return queryset.filter(expiring_documents__gt=0)
        return queryset


class ObligationFilter(admin.SimpleListFilter):
    title = _("top-up obligation")
    parameter_name = "obligation"

    def lookups(self, request, model_admin):
        return [("open", _("Open top-up obligation"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(open_obligations__gt=0)
        return queryset


class StoreInline(admin.StackedInline):
    model = Store
    can_delete = False
    fields = ["name", "displayed", "trading", "closed"]
    readonly_fields = ["displayed", "trading", "closed"]  # effective state from compliance


@admin.register(Vendor)
class VendorAdmin(PreparedChangeListMixin, TransitionAdminMixin, NoDeleteMixin, SimpleHistoryAdmin):
    list_display = [
        "name",
        "credit_code",
        "cloud_account_id",
        "status",
        "store_flags",
        "balance_column",
        "obligations_column",
        "documents_column",
        "created",
    ]
    list_filter = ["status", ExpiringDocumentsFilter, ObligationFilter, "categories"]
    search_fields = ["name", "credit_code", "cloud_account_id", "store__name"]
    date_hierarchy = "created_at"
    list_select_related = ["store"]
    inlines = [StoreInline]
    fields = [
        "name",
        "credit_code",
        "cloud_account_id",
        "status",
        "categories",
        "can_publish",
        "marketing_eligible",
        "term",
        "exit_link",
        "deposit_summary",
        "dashboard_figures",
        "expiring_documents_list",
        "created",
    ]
    readonly_fields = [
        "term",
        "exit_link",
        "credit_code",
        "cloud_account_id",
        "status",
        "can_publish",
        "marketing_eligible",
        "deposit_summary",
        "dashboard_figures",
        "expiring_documents_list",
        "created",
    ]
    filter_horizontal = ["categories"]

    class Media:
        css = CSS

    admin_transitions = [
        AdminTransition(
            "activate",
            _("Activate"),
            _vendor_service(vendor_activate),
            method="activate",
            help_text=_("Only once the application is approved and the deposit paid."),
        ),
        AdminTransition("suspend", _("Suspend"), _vendor_service(vendor_suspend), method="suspend"),
        AdminTransition(
            "reinstate", _("Reinstate"), _vendor_service(vendor_reinstate), method="reinstate"
        ),
        # MS-8.1 platform side: a compliance lead proposes, a second lead approves (on the
        # exit's page). Exits start and complete through `VendorExit`, never by hand here.
        AdminTransition(
            "propose-exit",
            _("Propose ending the term early"),
            _vendor_service(exit_propose),
            permission="vendors.propose_vendorexit",
            allowed=lambda v: v.status in (Vendor.Status.ACTIVE, Vendor.Status.SUSPENDED)
            and not v.exits.exclude(status="rejected").exists(),
            danger=True,
            help_text=_(
                "MS-8.1: a second compliance lead must approve before the exit starts."
            ),
        ),
        # MS-8.3 / MS-7: no one-person eviction here. Evicting or banning is a measure of a
        # penalty case, proposed and then approved by another compliance lead; the link to
        # that path comes from `vendors.admin.links` (registered by compliance).
        AdminTransition(
            "request-refund",
            _("Request deposit refund"),
            _vendor_service(deposit_refund_request),
            permission="vendors.process_depositrefund",
            allowed=lambda v: not DepositRefund.objects.filter(vendor=v).exists(),
            help_text=_("MS-3.1.5 ④: refused while anything is outstanding."),
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return False  # vendors come from onboarding applications (the MS-8.3 ban check)

    def get_urls(self):
        from vendors.admin.exits import term_view

        return [
            path(
                "<path:object_id>/term/",
                self.admin_site.admin_view(
                    lambda request, object_id: term_view(self, request, object_id)
                ),
                name="vendors_vendor_term",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("agreement term (MS-8.1)"))
    def term(self, obj: Vendor):
        if obj.pk is None:
            return "-"
        text = (
            f"{obj.term_start or '—'} – {obj.term_end or '—'}"
            if obj.term_start or obj.term_end
            else str(_("Not recorded"))
        )
        if not getattr(obj, "may_change_term", False):
            return text
        url = reverse("admin:vendors_vendor_term", args=[obj.pk])
        return format_html('{} — <a href="{}">{}</a>', text, url, _("record or renew"))

    @admin.display(description=_("exit (MS-8)"))
    def exit_link(self, obj: Vendor):
        exit_ = obj.exits.order_by("-pk").first() if obj.pk else None
        if exit_ is None:
            return "-"
        url = reverse("admin:vendors_vendorexit_change", args=[exit_.pk])
        return format_html('<a href="{}">{}</a>', url, exit_.get_status_display())

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.may_change_term = request.user.has_perm("vendors.change_vendor_term")
        return obj

    def transition_buttons(self, request, obj):
        # Higher apps' buttons (e.g. compliance's "propose eviction") after our own.
        return [*super().transition_buttons(request, obj), *vendor_links.buttons(obj, request.user)]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                deposit_balance=balance_subquery(),
                open_obligations=open_obligations_subquery(),
                expiring_documents=expiring_documents_subquery(),
            )
        )

    @admin.display(description=_("created at (China time)"), ordering="created_at")
    def created(self, obj: Vendor) -> str:
        return china(obj.created_at)

    @admin.display(description=_("store"))
    def store_flags(self, obj: Vendor) -> str:
        store = getattr(obj, "store", None)
        if store is None:
            return "-"
        flags = []
        if store.closed:
            flags.append(str(_("closed")))
        if not store.displayed:
            flags.append(str(_("hidden")))
        if not store.trading:
            flags.append(str(_("trading suspended")))
        return ", ".join(flags) or str(_("normal"))

    @admin.display(description=_("deposit balance"), ordering="deposit_balance")
    def balance_column(self, obj: Vendor) -> str:
        return format_cny(obj.deposit_balance)

    @admin.display(description=_("open obligations"), ordering="open_obligations")
    def obligations_column(self, obj: Vendor):
        if not obj.open_obligations:
            return "0"
        url = reverse("admin:vendors_topupobligation_changelist")
        return format_html(
            '<a href="{}?vendor__id__exact={}&amp;open=open">{}</a>',
            url,
            obj.pk,
            obj.open_obligations,
        )

    @admin.display(description=_("documents expiring"), ordering="expiring_documents")
    def documents_column(self, obj: Vendor):
        if not obj.expiring_documents:
            return "0"
        if not getattr(obj, "may_view_documents", False):
            return format_html(
                '<strong class="expiry expiry-soon">⚠ {}</strong>', obj.expiring_documents
            )
        url = reverse("admin:vendors_vendordocument_changelist")
        return format_html(
            '<a class="expiry expiry-soon" href="{}?{}">⚠ {}</a>',
            url,
            f"vendor__id__exact={obj.pk}&expiry=flagged",
            obj.expiring_documents,
        )

    def prepare_rows(self, request, rows) -> None:
        # Links to the ledger and the record form only for those who may open them.
        may_view = request.user.has_perm("vendors.view_depositentry")
        may_record = request.user.has_perm("vendors.record_depositentry")
        may_view_documents = request.user.has_perm("vendors.view_vendordocument")
        for row in rows:
            row.may_view_ledger, row.may_record = may_view, may_record
            row.may_view_documents = may_view_documents

    @admin.display(description=_("deposit"))
    def deposit_summary(self, obj: Vendor):
        if obj.pk is None:
            return "-"
        # Issue 13: the same selector as the vendor's home page, so the figures agree
        # (data-figure names the figure for tests/vendors/test_dashboard_figures.py).
        summary = deposit_summary(obj)
        text = format_html_join(
            " · ",
            '{}: <span data-figure="{}">{}</span>',
            (
                (_("balance"), "deposit-balance", format_cny(summary.balance)),
                (_("required"), "deposit-required", format_cny(summary.required)),
                (_("owed"), "deposit-owed", format_cny(summary.owed)),
                (_("to top up"), "deposit-to-top-up", format_cny(summary.to_top_up)),
            ),
        )
        links = []
        if getattr(obj, "may_view_ledger", False):
            ledger = reverse("admin:vendors_depositentry_changelist")
            links.append(
                format_html('<a href="{}?vendor__id__exact={}">{}</a>', ledger, obj.pk, _("ledger"))
            )
        if getattr(obj, "may_record", False):
            record = reverse("admin:vendors_depositentry_record")
            links.append(
                format_html('<a href="{}?vendor={}">{}</a>', record, obj.pk, _("record an entry"))
            )
        if not links:
            return text
        return format_html("{} — {}", text, format_html_join(" · ", "{}", ((x,) for x in links)))

    @admin.display(description=_("figures the vendor sees"))
    def dashboard_figures(self, obj: Vendor):
        """Issue 13: what other apps register (the MS-5.8 refund rate), from the selectors of
        the vendor's home page."""
        from vendors.admin import figures

        if obj.pk is None:
            return "-"
        rows = figures.shown(obj)
        if not rows:
            return "-"
        return format_html_join("", "<div>{}: {}</div>", rows)

    @admin.display(description=_("documents expired or expiring (MS-6.1.1)"))
    def expiring_documents_list(self, obj: Vendor):
        if obj.pk is None:
            return "-"
        docs = documents_expiring(on=today()).filter(vendor=obj)
        if not docs:
            return _("None")
        day = today()
        linked = getattr(obj, "may_view_documents", False)
        return format_html_join(
            "",
            "<div>{} — {} {} · {}</div>",
            (
                (
                    object_link(d, d.get_kind_display(), allowed=linked),
                    _("valid until"),
                    d.valid_until.isoformat() if d.valid_until else "-",
                    expiry_html(d, day),
                )
                for d in docs
            ),
        )


@admin.register(Store)
class StoreAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["name", "vendor", "displayed", "trading", "closed"]
    list_filter = ["displayed", "trading", "closed"]
    search_fields = ["name", "vendor__name"]
    list_select_related = ["vendor"]
    readonly_fields = ["vendor", "displayed", "trading", "closed"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(VendorStaff)
class VendorStaffAdmin(SimpleHistoryAdmin):
    list_display = ["user", "vendor", "is_owner"]
    list_filter = ["is_owner"]
    search_fields = ["user__username", "user__email", "vendor__name"]
    list_select_related = ["user", "vendor"]
    raw_id_fields = ["user", "vendor"]


@admin.register(Category)
class CategoryAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
