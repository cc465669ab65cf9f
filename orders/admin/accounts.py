"""API service accounts in the admin: the token is shown once, at creation or rotation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
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


def _remember_token(request: HttpRequest, account: ServiceAccount, token: str) -> None:
    # Issue 8 §3: a token goes only into the body of this response, never into the messages
    # cookie (or session), so it is not stored or sent again anywhere.
    request._new_service_tokens = [*getattr(request, "_new_service_tokens", []), (account, token)]


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
        _remember_token(request, account, token)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None):
        if getattr(request, "_new_service_tokens", None):
            return self._token_page(request)
        return super().response_add(request, obj, post_url_continue)

    def _token_page(self, request: HttpRequest) -> HttpResponse:
        """The new tokens, shown once on this page; nothing caches it."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Copy the new token now"),
            "tokens": request._new_service_tokens,
        }
        response = TemplateResponse(request, "admin/orders/serviceaccount/token_once.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(
        permissions=["change"], description=_("Rotate the token (the old one stops working)")
    )
    def rotate_token(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        for account in queryset:
            token = service_account_rotate_token(account=account, actor=request.user)
            _remember_token(request, account, token)
        if not getattr(request, "_new_service_tokens", None):
            return None  # none of the selected accounts exists (any more): nothing rotated
        return self._token_page(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: orders keep pointing at their creator
