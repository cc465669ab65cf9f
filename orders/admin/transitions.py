"""Admin actions over services: check the transition's permission, ask for a reason (and any
other input) on an intermediate page, then call the service once per selected row.

The same actions are buttons on a record's change page (only those the viewer may run and the
state allows), each opening `<id>/do/<name>/`: the record's decision page, which checks again
on GET and POST and calls the service for that one record. An admin may add the facts of the
decision to both pages (`decision_context`).

django-fsm-2's admin mixin does not check `permission=`, so this does: a row whose
transition the user may not run, or that is in the wrong state, is listed as skipped on the
reason page and left alone; the others are done (`marketplace.admin_actions`, one bulk
semantics for every app). Domain errors come back as messages, never as a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext

from marketplace.admin_actions import ReasonForm, reason_action, transition_check
from marketplace.exceptions import DomainError


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
    danger: bool = False  # shown as a red button (a refusal)

    def allowed(self, obj: Model, user: Any) -> tuple[bool, str]:
        if self.transition is None:
            return user.has_perm(self.permission), gettext("you lack the permission")
        return transition_check(self.transition, user)(obj)

    def as_admin_action(self) -> Callable:
        spec = self

        def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet):
            decision = getattr(modeladmin, "decision_context", None)
            return reason_action(
                modeladmin,
                request,
                queryset,
                title=spec.label,
                check=lambda obj: spec.allowed(obj, request.user),
                form_class=spec.form_class,
                apply=lambda obj, data: spec.call(obj, request.user, data),
                extra_context=lambda ready: {
                    "decision_template": "admin/orders/decision_facts.html",
                    "extra_css": "orders/admin.css",
                    "decisions": [decision(request, obj, spec, None) for obj in ready]
                    if decision
                    else [],
                },
            )

        action.__name__ = spec.name
        action.short_description = spec.label  # type: ignore[attr-defined]
        return action


class TransitionActionsMixin:
    """Admin mixin: `transition_actions` become actions shown only to who may run them, and
    buttons on the change page leading to the record's decision page."""

    transition_actions: list[TransitionAction] = []
    change_form_template = "admin/orders/change_form_transitions.html"
    transition_template = "admin/orders/transition_object.html"

    def get_urls(self):
        opts = self.model._meta  # type: ignore[attr-defined]
        return [
            path(
                "<path:object_id>/do/<slug:name>/",
                self.admin_site.admin_view(self.transition_view),  # type: ignore[attr-defined]
                name=f"{opts.app_label}_{opts.model_name}_do",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def transition_buttons(self, request: HttpRequest, obj: Model) -> list[dict[str, Any]]:
        """The actions this viewer may run on `obj` in its current state."""
        opts = self.model._meta  # type: ignore[attr-defined]
        return [
            {
                "label": spec.label,
                "danger": spec.danger,
                "url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_do", args=[obj.pk, spec.name]
                ),
            }
            for spec in self.transition_actions
            if spec.allowed(obj, request.user)[0]
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is not None:
            extra_context["transition_buttons"] = self.transition_buttons(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def decision_context(
        self, request: HttpRequest, obj: Model, spec: TransitionAction, form: forms.Form | None
    ) -> dict[str, Any]:
        """The facts shown beside the form (override per admin); `form` is bound when the
        viewer asked to preview their inputs."""
        return {"object": obj}

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        spec = next((s for s in self.transition_actions if s.name == name), None)
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if spec is None or obj is None:
            raise Http404
        opts = self.model._meta  # type: ignore[attr-defined]
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        ok, why = spec.allowed(obj, request.user)
        if not ok:
            if not self.has_view_permission(request, obj) or not request.user.has_perm(  # type: ignore[attr-defined]
                spec.permission or self._transition_permission(spec)
            ):
                raise PermissionDenied
            # The viewer may run it, but not now (someone decided meanwhile): say so.
            messages.error(request, gettext("%(obj)s: %(why)s.") % {"obj": obj, "why": why})
            return HttpResponseRedirect(change_url)
        form = spec.form_class(request.POST if request.method == "POST" else None)
        preview = request.method == "POST" and "_preview" in request.POST
        if form.is_bound and form.is_valid() and not preview:
            try:
                spec.call(obj, request.user, form.cleaned_data)
            except (DomainError, ValidationError) as exc:
                text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                form.add_error(None, text)
            else:
                messages.success(
                    request,
                    gettext("%(label)s: done for %(obj)s.") % {"label": spec.label, "obj": obj},
                )
                return HttpResponseRedirect(change_url)
        if preview:
            form.errors.pop("reason", None)  # a preview writes nothing and needs no reason yet
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": opts,
            "object": obj,
            "spec": spec,
            "form": form,
            "change_url": change_url,
            "title": f"{spec.label}: {obj}",
            "decision": self.decision_context(request, obj, spec, form if preview else None),
        }
        return TemplateResponse(request, self.transition_template, context)

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
