"""State changes in the admin as buttons and actions with a reason page.

Each change is declared once (`AdminTransition`); the mixin adds a button on the change page
and a view that checks the permission itself (django-fsm-2's admin mixin does not), asks for
a reason on an intermediate page and calls the service. Domain errors come back as messages
on the same page; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from marketplace.admin_actions import ReasonForm, reason_action, transition_check
from marketplace.exceptions import DomainError
from marketplace.service_helpers import transition_allowed


@dataclass(frozen=True)
class AdminTransition:
    """A state change offered in the admin.

    `method` names the model's @transition (its source states, conditions and permission are
    checked with `transition_allowed`); for a change that is not a model transition, give
    `permission` and `allowed` instead.
    """

    name: str
    label: Any
    service: Callable[..., Any]
    method: str | None = None
    permission: str | None = None
    allowed: Callable[[Any], bool] | None = None
    reason_required: bool = True
    danger: bool = False
    help_text: Any = ""

    def permitted(self, obj: models.Model, user: Any) -> bool:
        if self.method is not None:
            return transition_allowed(obj, self.method, user)
        return bool(
            self.permission
            and user.has_perm(self.permission)
            and (self.allowed is None or self.allowed(obj))
        )


class TransitionAdminMixin:
    """Add to a ModelAdmin with `admin_transitions = [AdminTransition(...), ...]`."""

    admin_transitions: list[AdminTransition] = []
    change_form_template = "admin/vendors/change_form_transitions.html"

    def _transition(self, name: str) -> AdminTransition:
        for spec in self.admin_transitions:
            if spec.name == name:
                return spec
        raise Http404

    def get_urls(self):
        opts = self.model._meta  # type: ignore[attr-defined]
        return [
            path(
                "<path:object_id>/do/<slug:name>/",
                self.admin_site.admin_view(self.transition_view),  # type: ignore[attr-defined]
                name=f"{opts.app_label}_{opts.model_name}_transition",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def transition_buttons(self, request: HttpRequest, obj: models.Model) -> list[dict]:
        opts = self.model._meta  # type: ignore[attr-defined]
        return [
            {
                "name": spec.name,
                "label": spec.label,
                "danger": spec.danger,
                "disabled": "",  # a reason why the button cannot be used yet, if any
                "url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_transition",
                    args=[obj.pk, spec.name],
                ),
            }
            for spec in self.admin_transitions
            if spec.permitted(obj, request.user)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is not None:
            extra_context["transition_buttons"] = self.transition_buttons(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def transition_context(self, request: HttpRequest, obj: models.Model, spec) -> dict:
        """Extra context for the reason page (e.g. the checklist before an approval)."""
        return {}

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        spec = self._transition(name)
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        if not spec.permitted(obj, request.user):
            raise PermissionDenied
        opts = self.model._meta  # type: ignore[attr-defined]
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        form = ReasonForm(
            request.POST if request.method == "POST" else None,
            required=spec.reason_required,
        )
        error_items: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                spec.service(obj=obj, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                error_items = list(getattr(exc, "items", []))
                # A refusal with a list of items shows the list once, not in the message too.
                form.add_error(
                    None, _("Not done; see the list below.") if error_items else str(exc)
                )
            else:
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    _("%(action)s: done for %(obj)s.") % {"action": spec.label, "obj": obj},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": opts,
            "object": obj,
            "spec": spec,
            "form": form,
            "error_items": error_items,
            "change_url": change_url,
            "title": f"{spec.label}: {obj}",
            **self.transition_context(request, obj, spec),
        }
        if error_items and context.get("checklist") is not None:
            # The refusal's items are the page's own checklist, as of now: shown once.
            context["checklist"], context["error_items"] = error_items, []
        return TemplateResponse(request, "admin/vendors/transition_form.html", context)


def transition_action(spec: AdminTransition):
    """An admin action running `spec` on the selected rows, after a reason page."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset):
        def check(obj: models.Model) -> tuple[bool, str]:
            if spec.method is not None:
                return transition_check(spec.method, request.user)(obj)
            if spec.permitted(obj, request.user):
                return True, ""
            return False, str(_("you may not do this in its current state"))

        return reason_action(
            modeladmin,
            request,
            queryset,
            title=spec.label,
            submit_label=spec.label,
            check=check,
            form_kwargs={"required": spec.reason_required},
            apply=lambda obj, data: spec.service(
                obj=obj, actor=request.user, reason=data["reason"]
            ),
        )

    action.__name__ = f"do_{spec.name}"
    return admin.action(description=spec.label)(action)
