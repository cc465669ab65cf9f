"""The history-aware ModelAdmin every app's admin uses (django-simple-history's, made safe).

History is read-only here (issue 8 §1, DESIGN "Pitfalls"): the library's "revert" view saves
a past version over the record for anyone with the *view* permission, and its
`SIMPLE_HISTORY_REVERT_DISABLED` setting only hides the button. So:

- `<id>/history/` lists the versions (titled "View history", no revert instructions), each
  with its China time, actor, reason and what changed, formatted for people by
  `marketplace.history_display` (issue 12 §2);
- `<id>/history/<version>/view/` shows one past version read-only (labels and values, no form,
  no button); it answers GET/HEAD only;
- `<id>/history/<version>/` (the library's revert URL) answers 403 for every method and every
  user, superusers included, with a link to the read-only version.

A change to a record goes through its own actions and services, which check permissions and
ask for a reason; restoring old values by hand is one of those changes, never a shortcut.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import re_path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history import admin as simple_history_admin
from simple_history.utils import get_history_model_for_model

from marketplace.history_display import HistoryPresenter, china_time, display_name

READONLY_VERSION_TEMPLATE = "admin/history/version_readonly.html"
REVERT_REFUSED_TEMPLATE = "admin/history/revert_refused.html"
HISTORY_LIST_TEMPLATE = "admin/history/object_history_list.html"
HISTORY_PAGE_TEMPLATE = "admin/history/object_history.html"


class SimpleHistoryAdmin(simple_history_admin.SimpleHistoryAdmin):
    object_history_form_template = READONLY_VERSION_TEMPLATE
    object_history_list_template = HISTORY_LIST_TEMPLATE
    object_history_template = HISTORY_PAGE_TEMPLATE

    # --- the history list: rows formatted by marketplace.history_display ------------------
    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        # Related rows are fetched by HistoryPresenter, one query per related model; the
        # library's join of every tracked foreign key is not needed.
        return history_manager.filter(**{pk_name: object_id}).select_related("history_user")

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """The library diffs each pair of versions with queries per version (many-to-many
        rows, deleted related rows); the presenter does it for the page at once."""

    def render_history_view(self, request, template, context, **kwargs):
        page_obj = context["page_obj"]
        records = list(page_obj.object_list)
        # The version before the page's last one, so that its changes show too.
        older = None
        if page_obj.has_next():
            older = page_obj.paginator.object_list[page_obj.end_index()]
        info = self.admin_site.name, self.model._meta.app_label, self.model._meta.model_name
        object_pk = quote(getattr(context["object"], self.model._meta.pk.attname))

        def url_for(record) -> str:
            return reverse("{}:{}_{}_simple_history".format(*info), args=[object_pk, record.pk])

        presenter = HistoryPresenter(self.model, request, self.admin_site)
        context["versions"] = presenter.versions(records, older, url_for)
        context["object_name"] = display_name(context["object"])
        return super().render_history_view(request, template, context, **kwargs)

    # --- URLs -------------------------------------------------------------------------------
    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        library_name = "{}_{}_simple_history".format(*info)
        # Drop the library's revert route; ours come first (before ModelAdmin's catch-all).
        urls = [u for u in super().get_urls() if getattr(u, "name", None) != library_name]
        view = self.admin_site.admin_view
        return [
            # The library's templates link each version by this name: it is the read-only page.
            re_path(
                r"^([^/]+)/history/([^/]+)/view/$",
                view(self.history_version_view),
                name=library_name,
            ),
            re_path(
                r"^([^/]+)/history/([^/]+)/$",
                view(self.history_form_view),
                name="{}_{}_history_revert".format(*info),
            ),
            *urls,
        ]

    # --- the history list -------------------------------------------------------------------
    def history_view(self, request, object_id, extra_context=None):
        # A page to read: nothing is ever posted to it.
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        # simple-history filters its history table by the raw URL segment, so a hand-typed
        # non-numeric ID raised ValueError (a 500); like Django's own views, it is not found.
        self._object_id_or_404(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_view_title(self, request, obj):
        return _("View history: %s") % display_name(obj)

    def revert_disabled(self, request, obj=None) -> bool:
        return True  # no "revert" wording or button anywhere, for anyone

    # --- the library's revert URL: refused -------------------------------------------------
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Reverting from history is refused for every method and user (issue 8 §1).

        The answer is a 403 page pointing to the read-only version when the user may read it.
        """
        record = self._version_or_none(object_id, version_id)
        readable = record is not None and self.has_view_history_or_change_history_permission(
            request, record.instance
        )
        if not readable:
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **self._page_context(request, record),
            "title": _("History is read-only"),
            **(extra_context or {}),
        }
        return TemplateResponse(request, REVERT_REFUSED_TEMPLATE, context, status=403)

    # --- one past version, read-only --------------------------------------------------------
    def history_version_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        record = self._version_or_none(object_id, version_id)
        if record is None:
            raise Http404
        obj = record.instance
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        previous = self._previous_version(record)
        presenter = HistoryPresenter(self.model, request, self.admin_site)
        presenter.prepare([record, previous])
        context = {
            **self.admin_site.each_context(request),
            **self._page_context(request, record),
            "title": _("Past version of %(object)s") % {"object": display_name(obj)},
            "object_name": display_name(obj),
            "recorded_at": china_time(record.history_date, "%Y-%m-%d %H:%M:%S"),
            "actor": presenter.actor(record),
            "reason": presenter.reason(record),
            "changes": presenter.changes(previous, record) if previous is not None else None,
            "sections": self._version_sections(request, obj, record, presenter),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.object_history_form_template, context)

    # --- helpers ----------------------------------------------------------------------------
    def _object_id_or_404(self, object_id: str) -> Any:
        try:
            return self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None

    def _version_or_none(self, object_id: str, version_id: str):
        pk = self._object_id_or_404(object_id)
        history_model = get_history_model_for_model(self.model)
        try:
            version = history_model._meta.pk.to_python(unquote(version_id))
        except ValidationError:
            raise Http404 from None
        return (
            history_model.objects.filter(**{self.model._meta.pk.attname: pk, "pk": version})
            .select_related("history_user")
            .first()
        )

    def _page_context(self, request: HttpRequest, record) -> dict[str, Any]:
        opts = self.model._meta
        info = self.admin_site.name, opts.app_label, opts.model_name
        obj = record.instance
        object_pk = getattr(obj, opts.pk.attname)
        return {
            "opts": opts,
            "app_label": opts.app_label,
            "record": record,
            "object": obj,
            "changelist_url": reverse("{}:{}_{}_changelist".format(*info)),
            "change_url": reverse("{}:{}_{}_change".format(*info), args=[object_pk]),
            "history_url": reverse("{}:{}_{}_history".format(*info), args=[object_pk]),
            "version_url": reverse(
                "{}:{}_{}_simple_history".format(*info), args=[object_pk, record.pk]
            ),
        }

    def _previous_version(self, record):
        """The version recorded just before `record` (None for the first)."""
        history_model = type(record)
        earlier = models.Q(history_date__lt=record.history_date) | models.Q(
            history_date=record.history_date, pk__lt=record.pk
        )
        return (
            history_model.objects.filter(**{self.model._meta.pk.attname: record.instance.pk})
            .filter(earlier)
            .order_by("-history_date", "-pk")
            .first()
        )

    def _version_sections(
        self, request: HttpRequest, obj: models.Model, record, presenter: HistoryPresenter
    ) -> list[dict]:
        """The admin's own fieldsets, restricted to recorded fields (a callable of the admin
        would show today's related data, not the version's), each as (label, value); the
        recorded fields the fieldsets leave out follow in a last section."""
        recorded = {f.name: f for f in [*presenter.fields, *presenter.m2m_fields]}
        try:
            fieldsets = self.get_fieldsets(request, obj)
        except Exception:  # a custom get_fieldsets that needs a live object: plain list
            fieldsets = []
        sections, shown = [], set()
        for name, options in fieldsets:
            rows = []
            for entry in options.get("fields", ()):
                for field_name in entry if isinstance(entry, list | tuple) else [entry]:
                    field = recorded.get(field_name) if isinstance(field_name, str) else None
                    if field is not None and field_name not in shown:
                        shown.add(field_name)
                        rows.append((capfirst(field.verbose_name), presenter.value(record, field)))
            if rows:
                sections.append({"name": name, "rows": rows})
        rest = [
            (capfirst(f.verbose_name), presenter.value(record, f))
            for name, f in recorded.items()
            if name not in shown
        ]
        if rest:
            sections.append(
                {"name": _("Other recorded values") if sections else None, "rows": rest}
            )
        return sections
