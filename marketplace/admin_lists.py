"""Admin changelists that cost the same at 2,000,000 rows as at 100 (DESIGN "Pitfalls").

- `CappedCountPaginator`: the paginator counts at most `COUNT_CAP` rows of a filtered list
  (`SELECT COUNT(*) FROM (… LIMIT cap + 1)`) and reads PostgreSQL's row estimate for an
  unfiltered one, instead of counting millions of rows on every page view. The list says
  "more than 10,000" or "about 2,000,000" rather than a number it did not count.
- `ScaledListMixin`: uses that paginator, never the second, unfiltered count, and lets an
  admin add per-row figures for the shown page only (`annotate_page`), where an annotated
  aggregate in `get_queryset` would turn every list into a GROUP BY over the whole table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    capped = False  # the count shown is a lower bound
    estimated = False  # the count shown is PostgreSQL's estimate of the table's rows

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = queryset.query
        if not query.where and connections[queryset.db].vendor == "postgresql":
            estimate = _estimated_rows(queryset.model._meta.db_table, queryset.db)
            if estimate > COUNT_CAP:
                self.estimated = True
                return estimate
        counted = queryset[: COUNT_CAP + 1].count()
        if counted > COUNT_CAP:
            self.capped = True
            return COUNT_CAP
        return counted


def _estimated_rows(table: str, alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] and row[0] > 0 else 0


class ScaledChangeList(ChangeList):
    def get_results(self, request: Any) -> None:
        super().get_results(request)
        self.result_count_capped = getattr(self.paginator, "capped", False)
        self.result_count_estimated = getattr(self.paginator, "estimated", False)
        page = list(self.result_list)
        self.model_admin.annotate_page(page)
        self.result_list = page


class ScaledListMixin:
    """For admins of big tables: capped counts and per-page figures."""

    show_full_result_count = False
    paginator = CappedCountPaginator

    def get_changelist(self, request: Any, **kwargs: Any) -> type[ChangeList]:
        return ScaledChangeList

    def annotate_page(self, objects: Sequence[Any]) -> None:
        """Attach figures to the rows of the shown page (a fixed number of queries)."""
