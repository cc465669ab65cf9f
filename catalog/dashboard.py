"""The catalogue's summary panel on the vendor home page (registered in apps.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest

from catalog.models import Product
from vendors.dashboard import Panel


def products_panel(request: HttpRequest, vendor: Any) -> Panel | None:
    """Counts of the vendor's products by state, in one query scoped to `vendor`."""
    if vendor is None:
        return None
    waiting = [Product.Status.SUBMITTED, Product.Status.IN_REVIEW]
    counts = Product.objects.filter(vendor=vendor).aggregate(
        total=Count("pk"),
        listed=Count("pk", filter=Q(status=Product.Status.LISTED)),
        in_review=Count("pk", filter=Q(status__in=waiting)),
        rejected=Count("pk", filter=Q(status=Product.Status.REJECTED)),
        delisted=Count("pk", filter=Q(status=Product.Status.DELISTED)),
        hidden=Count(
            "pk",
            filter=Q(status=Product.Status.LISTED)
            & (Q(searchable=False) | Q(content_shielded=True)),
        ),
    )
    return Panel(template="catalog/_home_panel.html", context=counts, order=20)
