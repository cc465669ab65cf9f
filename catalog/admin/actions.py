"""An admin action that asks for a reason on an intermediate page, then calls a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from marketplace.exceptions import DomainError

# Up to this many objects, each done one gets its own message naming it; beyond, a count.
MESSAGES_PER_OBJECT = 10


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), max_length=2000
    )

    def __init__(self, *args: Any, required: bool = True, label: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if label is not None:
            self.fields["reason"].label = label


def run_with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: Any,
    apply: Callable[[Model, str], None],
    required: bool = True,
    label: Any = None,
    done: Callable[[Model], str] | None = None,
) -> TemplateResponse | None:
    """Show the reason page; on confirmation call `apply(obj, reason)` for each object.

    `done(obj)` says what happened to each object (issue 12 §3: which product, what now);
    without it, or for many objects, a count is shown.

    Domain errors are shown per object and never become a 500; objects that succeeded stay
    done (each service call is its own transaction).
    """
    if "apply" in request.POST:
        form = ReasonForm(request.POST, required=required, label=label)
        if form.is_valid():
            succeeded: list[str] = []
            for obj in queryset:
                try:
                    apply(obj, form.cleaned_data["reason"])
                except DomainError as exc:
                    modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
                else:
                    succeeded.append(done(obj) if done else "")
            if done and len(succeeded) <= MESSAGES_PER_OBJECT:
                for text in succeeded:
                    modeladmin.message_user(request, text, messages.SUCCESS)
            elif succeeded:
                modeladmin.message_user(
                    request, _("%(count)d done.") % {"count": len(succeeded)}, messages.SUCCESS
                )
            return None
    else:
        form = ReasonForm(required=required, label=label)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": list(queryset),
        "form": form,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/catalog/reason_form.html", context)
