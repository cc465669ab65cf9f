"""API service accounts in the admin: the token is shown once, at creation or rotation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.history_admin import SimpleHistoryAdmin
from orders.models import ApiOperation, ServiceAccount
from orders.services import service_account_create, service_account_rotate_token


class ServiceAccountForm(forms.ModelForm):
    operations = forms.MultipleChoiceField(
        label=_("allowed operations"),
        choices=ApiOperation.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ServiceAccount
        fields = ["name", "channel", "operations", "active"]


def _show_token(request: HttpRequest, account: ServiceAccount, token: str) -> None:
    messages.warning(
        request,
        gettext("Token of %(name)s (shown only now, copy it): %(token)s")
        % {"name": account.name, "token": token},
    )


@admin.register(ServiceAccount)
class ServiceAccountAdmin(SimpleHistoryAdmin):
    form = ServiceAccountForm
    list_display = ["name", "channel", "operations", "active", "token_prefix", "created_at"]
    list_filter = ["active", "channel"]
    search_fields = ["name"]
    readonly_fields = ["token_prefix", "created_at"]
    actions = ["rotate_token"]

    def save_model(self, request: HttpRequest, obj: ServiceAccount, form: Any, change: bool):
        if change:
            super().save_model(request, obj, form, change)
            return
        account, token = service_account_create(
            name=obj.name,
            channel=obj.channel,
            operations=list(form.cleaned_data["operations"]),
            actor=request.user,
        )
        obj.pk, obj.token_prefix = account.pk, account.token_prefix
        _show_token(request, account, token)

    @admin.action(
        permissions=["change"], description=_("Rotate the token (the old one stops working)")
    )
    def rotate_token(self, request: HttpRequest, queryset: Any) -> None:
        for account in queryset:
            _show_token(
                request, account, service_account_rotate_token(account=account, actor=request.user)
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: orders keep pointing at their creator
