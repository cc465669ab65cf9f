"""Searches by order ID that use the orders' indexes at 2,000,000 orders.

Django's admin ORs every search field, and an OR across a join to `orders_order` cannot use
an index (it read the whole table: 2 s for a refund search). Rows that point at an order are
searched by their own exact IDs or by `order_id IN (orders with that external or buyer
account ID)`, each side served by an index, and the list then shows those rows by id.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from orders.models import Order

MAX_MATCHES = 1000  # an exact ID matches a handful of rows; a buyer account at most this many
SEARCH_HELP = _("Exact order ID or buyer cloud account ID, or this record's own ID.")


class OrderIdSearchMixin:
    own_id_fields: tuple[str, ...] = ("external_id",)
    contains_fields: tuple[str, ...] = ()  # only on small tables: a join and a LIKE each
    search_help_text = SEARCH_HELP

    def get_search_results(
        self, request: Any, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        orders = Order.objects.filter(Q(external_id=term) | Q(buyer_account_id=term))
        match = Q(order_id__in=orders.values("pk"))
        for name in self.own_id_fields:
            match |= Q(**{name: term})
        for name in self.contains_fields:
            match |= Q(**{f"{name}__icontains": term})
        # The matching ids first (a few rows, by index): filtered by a subquery, the list's
        # join to the orders for display was planned as a scan of all of them.
        ids = list(queryset.filter(match).values_list("pk", flat=True)[:MAX_MATCHES])
        return queryset.filter(pk__in=ids), False
