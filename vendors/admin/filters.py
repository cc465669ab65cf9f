"""List filters over vendors that stay cheap with 10,000 of them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vendors.models import Vendor


class VendorLinkFilter(admin.SimpleListFilter):
    """Filter by vendor id from links (a vendor's page links its lists): the filter names the
    chosen vendor and never lists every vendor, which would put 10,000 links on each page."""

    title = _("vendor")
    parameter_name = "vendor__id__exact"
    field = "vendor_id"

    def _vendor_id(self) -> int | None:
        value = self.value() or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        pk = self._vendor_id()
        vendor = Vendor.objects.filter(pk=pk).only("name").first() if pk else None
        return [(str(pk), vendor.name)] if vendor else []

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        pk = self._vendor_id()
        return queryset.filter(**{self.field: pk}) if pk else queryset
