"""One way for an admin action to change records: a reason page, then a service per record.

Bulk semantics, the same in every app (docs/decisions/platform.md, "Admin actions"):
- the reason page lists exactly what will happen: the records that will be changed and,
  apart, the selected records that will be skipped, each with why (its state, or the
  viewer's permission, both read from the transition itself);
- on confirmation each ready record is changed by its service in its own transaction; a
  record refused then (someone acted meanwhile, a rule says no) is reported by name and the
  others stay done: partial success, reported per record, never a 500;
- when no selected record is ready, nothing is asked and each refusal is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm

from marketplace.exceptions import DomainError
from marketplace.service_helpers import transition_allowed

# Up to this many records, each done one gets its own message; beyond, a count.
MESSAGES_PER_OBJECT = 10

# (allowed, why not): whether a record can be changed now, and a reason people read if not.
Check = Callable[[Model], tuple[bool, str]]


class ReasonForm(forms.Form):
    """The audit reason every admin change asks for (who and when are the request's)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_("Recorded in the history with your name."),
    )

    def __init__(
        self,
        *args: Any,
        required: bool = True,
        label: Any = None,
        help_text: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = required
        if label is not None:
            field.label = label
        if help_text is not None:
            field.help_text = help_text


def transition_check(name: str, user: Any) -> Check:
    """The check of a model transition: its source states, conditions and permission."""

    def check(obj: Model) -> tuple[bool, str]:
        if not transition_allowed(obj, name, None):
            return False, gettext("not allowed in its current state")
        if not has_transition_perm(getattr(obj, name), user):
            return False, gettext("you lack the permission")
        return True, ""

    return check


def record_line(obj: Model, text: str) -> str:
    """ "<record>: <what happened>", with the colon of the reader's language."""
    return gettext("%(object)s: %(text)s") % {"object": obj, "text": text}


def error_text(exc: DomainError | ValidationError) -> str:
    """One line people read for a refused change."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    items = list(getattr(exc, "items", []))
    if items:
        # A refusal listing items (an incomplete checklist) gives their number here; the
        # list itself is on the record's page.
        return ngettext(
            "not done, %(count)d item is missing or failed (listed on its page).",
            "not done, %(count)d items are missing or failed (listed on its page).",
            len(items),
        ) % {"count": len(items)}
    return str(exc)


def reason_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: Iterable[Model],
    *,
    title: Any,
    apply: Callable[[Model, dict[str, Any]], Any],
    check: Check | None = None,
    form_class: type[forms.Form] = ReasonForm,
    form_kwargs: dict[str, Any] | None = None,
    done: Callable[[Model], str] | None = None,
    submit_label: Any = None,
    extra_context: Callable[[list[Model]], dict[str, Any]] | None = None,
) -> TemplateResponse | None:
    """Run a bulk admin action with the semantics above.

    `apply(obj, cleaned_data)` calls the service for one record; `check(obj)` says whether
    the record is ready (defaults to always: the service decides); `done(obj)` says what
    happened to a record, in words (otherwise a count).
    """
    objects = list(queryset)
    ready, skipped = [], []
    for obj in objects:
        ok, why = check(obj) if check else (True, "")
        if ok:
            ready.append(obj)
        else:
            skipped.append((obj, why))
    if not ready:
        for obj, why in skipped:
            modeladmin.message_user(request, record_line(obj, why), messages.ERROR)
        return None
    bound = request.POST if "apply" in request.POST else None
    form = form_class(bound, **(form_kwargs or {}))
    if form.is_bound and form.is_valid():
        succeeded: list[str] = []
        for obj in ready:
            try:
                apply(obj, form.cleaned_data)
            except (DomainError, ValidationError) as exc:
                modeladmin.message_user(request, record_line(obj, error_text(exc)), messages.ERROR)
            else:
                succeeded.append(done(obj) if done else str(obj))
        for obj, why in skipped:
            modeladmin.message_user(request, record_line(obj, why), messages.ERROR)
        if done and len(succeeded) <= MESSAGES_PER_OBJECT:
            for text in succeeded:
                modeladmin.message_user(request, text, messages.SUCCESS)
        elif succeeded:
            modeladmin.message_user(
                request,
                gettext("%(action)s: done for %(count)d.")
                % {"action": title, "count": len(succeeded)},
                messages.SUCCESS,
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": ready,
        "skipped": [record_line(obj, why) for obj, why in skipped],
        "form": form,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
        "submit_label": submit_label or _("Confirm"),
        **(extra_context(ready) if extra_context else {}),
    }
    return TemplateResponse(request, "admin/marketplace/reason_action.html", context)
