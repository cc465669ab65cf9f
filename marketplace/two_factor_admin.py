"""Admin side of two-factor sign-in (issue 8 §3).

- django-otp's own device admins are removed: they show a user's secret key and delete
  devices without a reason. Devices change only through the pages in `two_factor_views`.
- The user page shows the two-factor status and links to the audited reset.
- The events (enrolled, recovery codes, reset with its reason) are read-only.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace import two_factor
from marketplace.two_factor_models import TwoFactorEvent

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

User = get_user_model()


@admin.register(TwoFactorEvent)
class TwoFactorEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "actor", "reason"]
    list_filter = ["kind"]
    search_fields = ["user__username__exact", "actor__username__exact"]
    list_select_related = ["user", "actor"]
    date_hierarchy = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


if admin.site.is_registered(User):
    _BaseUserAdmin = type(admin.site._registry[User])
    admin.site.unregister(User)
else:  # pragma: no cover - the auth app always registers it
    _BaseUserAdmin = UserAdmin


@admin.register(User)
class TwoFactorUserAdmin(_BaseUserAdmin):  # type: ignore[misc,valid-type]
    """The one user admin: two-factor status, and accounts that are never deleted."""

    def has_delete_permission(self, request, obj=None) -> bool:
        # Audit: history names who made each change. Deleting an account would null that
        # reference (simple-history's SET_NULL) and show the person's work as "system";
        # a leaver is deactivated (untick "active") instead.
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((_("Two-factor sign-in"), {"fields": ["two_factor_status"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "two_factor_status"]

    @admin.display(description=_("Two-factor sign-in"))
    def two_factor_status(self, obj) -> str:
        device = two_factor.totp_device(obj)
        if device is None:
            status = gettext("Off")
        else:
            status = gettext("On, %(codes)d recovery codes left") % {
                "codes": two_factor.recovery_codes_left(obj)
            }
        return format_html(
            '{} · <a href="{}">{}</a>',
            status,
            reverse("two-factor-reset", args=[obj.pk]),
            gettext("Reset…"),
        )
