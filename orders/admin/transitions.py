"""Admin actions over services: check the transition's permission, ask for a reason (and any
other input) on an intermediate page, then call the service once per selected row.

django-fsm-2's admin mixin does not check `permission=`, so this does: a row whose
transition the user may not run, or that is in the wrong state, is refused before anything
is written. Domain errors come back as messages, never as a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

from marketplace.exceptions import DomainError


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded in the history with your name."),
    )


@dataclass(frozen=True)
class TransitionAction:
    name: str
    label: Any
    # The model's @transition method whose permission and source states are checked; or
    # None for a plain service with `permission`.
    transition: str | None
    call: Callable[[Model, Any, dict[str, Any]], Any]
    form_class: type[forms.Form] = ReasonForm
    permission: str = ""

    def allowed(self, obj: Model, user: Any) -> tuple[bool, str]:
        if self.transition is None:
            return user.has_perm(self.permission), gettext("you lack the permission")
        method = getattr(obj, self.transition)
        if not can_proceed(method):
            return False, gettext("not allowed in its current state")
        if not has_transition_perm(method, user):
            return False, gettext("you lack the permission")
        return True, ""

    def as_admin_action(self) -> Callable:
        spec = self

        def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet):
            objects = list(queryset)
            refused = False
            for obj in objects:
                ok, why = spec.allowed(obj, request.user)
                if not ok:
                    refused = True
                    messages.error(request, gettext("%(obj)s: %(why)s.") % {"obj": obj, "why": why})
            if refused:
                return None  # all or nothing: fix the selection first
            form = spec.form_class(request.POST if "apply" in request.POST else None)
            if form.is_bound and form.is_valid():
                done = 0
                for obj in objects:
                    try:
                        spec.call(obj, request.user, form.cleaned_data)
                        done += 1
                    except (DomainError, ValidationError) as exc:
                        text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                        messages.error(request, f"{obj}: {text}")
                if done:
                    messages.success(
                        request,
                        gettext("%(label)s: %(n)d done.") % {"label": spec.label, "n": done},
                    )
                return None
            context = {
                **modeladmin.admin_site.each_context(request),
                "title": spec.label,
                "objects": objects,
                "form": form,
                "action_name": spec.name,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": modeladmin.model._meta,
            }
            return TemplateResponse(request, "admin/orders/transition_form.html", context)

        action.__name__ = spec.name
        action.short_description = spec.label  # type: ignore[attr-defined]
        return action


class TransitionActionsMixin:
    """Admin mixin: `transition_actions` become actions shown only to who may run them."""

    transition_actions: list[TransitionAction] = []

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        for spec in self.transition_actions:
            perm = spec.permission or self._transition_permission(spec)
            if perm and not request.user.has_perm(perm):
                continue
            actions[spec.name] = (spec.as_admin_action(), spec.name, spec.label)
        return actions

    def _transition_permission(self, spec: TransitionAction) -> str:
        if spec.transition is None:
            return ""
        method = getattr(self.model, spec.transition)  # type: ignore[attr-defined]
        meta = getattr(method, "_django_fsm", None)
        if meta is None:
            return ""
        perms = {t.permission for t in meta.transitions.values() if t.permission}
        return next(iter(perms), "") if len(perms) == 1 else ""
