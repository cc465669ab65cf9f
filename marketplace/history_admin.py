"""The history-aware ModelAdmin every app's admin uses (django-simple-history's, made safe)."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from simple_history import admin as simple_history_admin


class SimpleHistoryAdmin(simple_history_admin.SimpleHistoryAdmin):
    def history_view(self, request, object_id, extra_context=None):
        # simple-history filters its history table by the raw URL segment, so a hand-typed
        # non-numeric ID raised ValueError (a 500); like Django's own views, it is not found.
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        return super().history_view(request, object_id, extra_context)
