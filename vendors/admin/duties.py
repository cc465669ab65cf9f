"""Admin of the vendor's duties: agreement versions and signatures (MS-3.1.4), service
commitments (MS-4.3, MS-4.4). Signatures and commitments are the vendor's own statements:
read here, never edited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from marketplace.admin_readonly import ReadOnlyAdminMixin
from marketplace.history_admin import SimpleHistoryAdmin
from vendors.admin.common import NoDeleteMixin
from vendors.admin.display import china
from vendors.models import AgreementSignature, AgreementVersion, ServiceCommitment
from vendors.selectors import agreement_in_force


@admin.register(AgreementVersion)
class AgreementVersionAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    """MS-3.1.4: a new version, once effective, asks every vendor to sign again."""

    list_display = ["version", "title", "effective_from", "in_force", "signature_count"]
    search_fields = ["version", "title"]
    fields = ["version", "title", "effective_from", "summary", "text"]

    def get_readonly_fields(self, request, obj=None):
        # A version vendors signed is what they signed: its text and version stay.
        if obj is not None and obj.signatures.exists():
            return ["version", "effective_from", "text"]
        return []

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_signatures=Count("signatures"))

    def save_model(self, request, obj, form, change):
        obj._change_reason = "agreement version edited in the admin (MS-3.1.4)"
        super().save_model(request, obj, form, change)

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj: AgreementVersion) -> bool:
        current = getattr(self, "_current", None)
        if current is None:
            current = self._current = agreement_in_force() or False
        return bool(current) and current.pk == obj.pk

    def changelist_view(self, request, extra_context=None):
        self._current = None  # once per page
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("signatures"), ordering="n_signatures")
    def signature_count(self, obj: AgreementVersion) -> int:
        return obj.n_signatures


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["vendor", "version", "signed_by", "signed"]
    list_filter = ["version"]
    list_select_related = ["vendor", "version", "signed_by"]
    search_fields = ["vendor__name", "version__version"]
    fields = ["vendor", "version", "signed_by", "signed"]
    readonly_fields = ["signed"]

    @admin.display(description=_("signed at (China time)"), ordering="signed_at")
    def signed(self, obj: AgreementSignature) -> str:
        return china(obj.signed_at)


@admin.register(ServiceCommitment)
class ServiceCommitmentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["vendor", "online_channel", "phone", "qq", "hours", "updated"]
    list_select_related = ["vendor"]
    search_fields = ["vendor__name", "phone", "qq"]
    fields = ["vendor", "online_channel", "phone", "qq", "hours", "updated"]
    readonly_fields = ["hours", "updated"]

    @admin.display(description=_("after-sales hours (every day)"))
    def hours(self, obj: ServiceCommitment) -> str:
        return f"{obj.hours_start:%H:%M}–{obj.hours_end:%H:%M}"

    @admin.display(description=_("updated at (China time)"), ordering="updated_at")
    def updated(self, obj: ServiceCommitment) -> str:
        return china(obj.updated_at)
