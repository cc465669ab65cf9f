"""Time every vendor page (/vendor/…) as the vendor with the most orders, on a seeded database.

    manage.py bench_vendor_pages [--runs 5] [--vendor ID] [--only orders] [--json]

The pages are discovered from the URLconf (everything in the `vendor` namespace); a page with
an id in its path gets one of that vendor's own objects, read through the same scoping
selector the view uses (`ID_SOURCES`). For each page: one warm-up request, then `--runs`
timed requests through Django's test client: median, min and max ms, queries, page size.
Pages that only accept POST (405 on GET) are listed, not timed: a POST changes data.

Issue 11: every vendor page ≤ 100 ms median for the vendor with the most orders. Run it on a
copy of the sweep benchmark's seed (docs/benchmarks.md), never on real data: it signs in as a
throw-away vendor staff account it creates (`bench-vendor-staff`).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count, QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from marketplace.benchguard import add_allow_flag, refuse_existing_data

BENCH_USER = "bench-vendor-staff"  # starts with benchguard.BENCH_USERNAME_PREFIX
NAMESPACE = "vendor"
TARGET_MS = 100  # issue 11


def _applications(user: Any) -> QuerySet:
    from vendors.selectors import applications_for_vendor

    return applications_for_vendor(user=user)


def _documents(user: Any) -> QuerySet:
    from vendors.selectors import documents_for_vendor

    return documents_for_vendor(user=user)


def _products(user: Any) -> QuerySet:
    from catalog.selectors import products_for_vendor

    return products_for_vendor(user=user)


def _orders(user: Any) -> QuerySet:
    from orders.selectors import orders_for_vendor

    return orders_for_vendor(user=user)


def _refunds(user: Any) -> QuerySet:
    from orders.selectors import refunds_for_vendor

    return refunds_for_vendor(user=user)


def _statements(user: Any) -> QuerySet:
    from orders.statement_selectors import statements_for_vendor

    return statements_for_vendor(user=user)


def _cases(user: Any) -> QuerySet:
    from compliance.selectors import cases_for_vendor

    return cases_for_vendor(user=user)


def _notices(user: Any) -> QuerySet:
    from compliance.sweep.selectors import notifications_for_vendor

    return notifications_for_vendor(user=user)


# URL name -> the vendor's own objects its `pk` comes from (the view's scoping selector).
# A vendor page added with an id in its path must be added here (a test checks it).
ID_SOURCES: dict[str, Callable[[Any], QuerySet]] = {
    "application": _applications,
    "application_edit": _applications,
    "application_upload": _applications,
    "application_submit": _applications,
    "document": _documents,
    "product_detail": _products,
    "product_submit": _products,
    "product_update": _products,
    "revision_submit": _products,
    "product_edit": _products,
    "product_qualification_upload": _products,
    "product_spec_add": _products,
    "order": _orders,
    "refund": _refunds,
    "refund_agree": _refunds,
    "refund_dispute": _refunds,
    "statement": _statements,
    "statement_confirm": _statements,
    "statement_dispute": _statements,
    "statement_fee_invoice": _statements,
    "statement_vat_invoice": _statements,
    "statement_xlsx": _statements,
    "compliance_case": _cases,
    "notice_read": _notices,
}

# Query strings a vendor uses on the list pages ({last} is the last page of the list).
VARIANTS: dict[str, list[str]] = {
    "orders": [
        "status=delivered",
        "status=refunded",
        "page=2",
        "page={orders_last}",
        "q={order_id}",
        "product={product_id}",
        "paid_from={month_ago}&paid_to={today}",
        "product={product_id}&paid_from={month_ago}&page=2",
    ],
    "refunds": ["status=refunded", "page={refunds_last}"],
    # Issue 13: the orders list's filters and search, the CSV export, invoices by sales mode.
    "orders_export": ["status=delivered", "paid_from={month_ago}"],
    "invoices": ["mode=consignment", "mode=platform&red_letter=on"],
    "product_list": ["page={products_last}"],
    "inbox": ["rule=MS-5.8", "unread=1"],  # issue 13
}


@dataclass(frozen=True)
class VendorPage:
    name: str  # URL name inside the `vendor` namespace
    route: str  # e.g. "orders/refunds/<int:pk>/agree/"
    params: tuple[str, ...] = ()


@dataclass
class Timing:
    url: str
    name: str
    status: int | None = None
    median_ms: float | None = None
    min_ms: float | None = None
    max_ms: float | None = None
    queries: int | None = None
    kb: float | None = None
    note: str = ""
    runs: list[float] = field(default_factory=list)


def vendor_pages() -> list[VendorPage]:
    """Every named page of the `vendor` namespace, from the URLconf (nothing listed by hand)."""
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == NAMESPACE:
            prefix = str(entry.pattern)
            return sorted(_walk(entry.url_patterns, prefix), key=lambda page: page.route)
    raise CommandError(f"no '{NAMESPACE}' namespace in the URLconf")


def _walk(patterns: list, prefix: str) -> Iterator[VendorPage]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            yield VendorPage(name=entry.name, route=route, params=tuple(converters))


def busiest_vendor_id() -> int | None:
    from orders.models import Order

    return (
        Order.objects.values("vendor_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "vendor_id")
        .values_list("vendor_id", flat=True)
        .first()
    )


def bench_user(vendor: Any) -> Any:
    """The throw-away vendor staff account, moved to `vendor` if it acted for another one."""
    from vendors.models import VendorStaff

    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": False, "is_superuser": False}
    )
    VendorStaff.objects.update_or_create(user=user, defaults={"vendor": vendor})
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached vendor_staff


def page_urls(user: Any, pages: list[VendorPage]) -> list[tuple[VendorPage, str | None, str]]:
    """(page, URL or None, note): ids filled from the vendor's own objects; list variants."""
    import datetime as dt

    from django.utils import timezone

    from catalog.selectors import products_for_vendor
    from orders.selectors import orders_for_vendor, refunds_for_vendor

    per_page = 50  # the vendor lists' page size
    newest = orders_for_vendor(user=user).order_by("-paid_at", "-pk").first()
    busiest_product = (
        orders_for_vendor(user=user)
        .values("product_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "product_id")
        .values_list("product_id", flat=True)
        .first()
    )
    today = timezone.localdate() if newest is None else timezone.localtime(newest.paid_at).date()
    facts = {
        "order_id": newest.external_id if newest else "",
        "product_id": busiest_product or "",
        "today": today.isoformat(),
        "month_ago": (today - dt.timedelta(days=30)).isoformat(),
        "orders_last": max(1, -(-orders_for_vendor(user=user).count() // per_page)),
        "refunds_last": max(1, -(-refunds_for_vendor(user=user).count() // per_page)),
        "products_last": max(1, -(-products_for_vendor(user=user).count() // per_page)),
    }
    out: list[tuple[VendorPage, str | None, str]] = []
    for page in pages:
        kwargs: dict[str, Any] = {}
        note = ""
        if page.params:
            source = ID_SOURCES.get(page.name)
            if source is None:
                out.append((page, None, "no id source in ID_SOURCES"))
                continue
            pk = source(user).order_by("-pk").values_list("pk", flat=True).first()
            if pk is None:
                out.append((page, None, "the vendor has none"))
                continue
            kwargs = {name: pk for name in page.params}
        url = reverse(f"{NAMESPACE}:{page.name}", kwargs=kwargs)
        out.append((page, url, note))
        for query in VARIANTS.get(page.name, []):
            out.append((page, f"{url}?{query.format(**facts)}", ""))
    return out


def measure(client: Client, page: VendorPage, url: str, runs: int) -> Timing:
    first = client.get(url)  # warm-up: caches, template loading
    if first.status_code == 405:
        return Timing(url=url, name=page.name, status=405, note="POST only: not timed")
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            # A streamed download (the orders CSV) is timed and counted to its last byte.
            body = (
                b"".join(response.streaming_content)
                if getattr(response, "streaming", False)
                else response.content
            )
            times.append((time.perf_counter() - started) * 1000)
    return Timing(
        url=url,
        name=page.name,
        status=response.status_code,
        median_ms=round(statistics.median(times), 1),
        min_ms=round(min(times), 1),
        max_ms=round(max(times), 1),
        queries=len(ctx.captured_queries),
        kb=round(len(body) / 1024, 1),
        runs=[round(t, 1) for t in times],
    )


class Command(BaseCommand):
    help = "Time every vendor page as the vendor with the most orders (median ms, queries)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--vendor", type=int, help="vendor id (default: the most orders)")
        parser.add_argument("--only", default="", help="URL part or URL name to keep")
        parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
        add_allow_flag(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        from orders.models import Order
        from vendors.models import Vendor

        # Issue 8 §3: never on a database with real users or vendors (it makes a sign-in).
        refuse_existing_data(allow=options["allow_existing_data"])
        if options["runs"] < 1:
            raise CommandError("--runs must be at least 1")
        seeded = Vendor.objects.filter(credit_code__startswith="BENCH").exists()
        if not seeded and not options["allow_existing_data"]:
            raise CommandError(
                "No benchmark seed here (vendors with BENCH credit codes): seed with "
                "bench_compliance_sweep --seed-only, or pass --allow-existing-data."
            )
        vendor_id = options["vendor"] or busiest_vendor_id()
        vendor = Vendor.objects.filter(pk=vendor_id).first() if vendor_id else None
        if vendor is None:
            raise CommandError("no vendor to sign in for (no orders, or no such --vendor)")
        user = bench_user(vendor)
        client = Client(HTTP_HOST="127.0.0.1")  # an allowed host in every profile
        client.force_login(user)
        only = options["only"]
        timings = []
        for page, url, note in page_urls(user, vendor_pages()):
            if only and only not in (url or page.route) and only != page.name:
                continue
            if url is None:
                timings.append(Timing(url=f"/{page.route}", name=page.name, note=note))
            else:
                timings.append(measure(client, page, url, options["runs"]))
        orders = Order.objects.filter(vendor=vendor).count()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "vendor_id": vendor.pk,
                        "orders": orders,
                        "runs": options["runs"],
                        "target_ms": TARGET_MS,
                        "pages": [asdict(t) for t in timings],
                    },
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(f"vendor {vendor.pk} ({orders:,} orders), {options['runs']} runs each")
        self.stdout.write(
            f"{'URL':<52} {'median ms':>9} {'min–max ms':>13} {'queries':>7} {'KB':>6}"
        )
        for t in timings:
            self.stdout.write(self._line(t))

    def _line(self, t: Timing) -> str:
        if t.median_ms is None:
            return f"{t.url:<52} {'':>9} {'':>13} {'':>7} {'':>6}  {t.note}"
        flag = f"  [{t.status}]" if t.status != 200 else ""
        if t.median_ms > TARGET_MS:
            flag += f"  over {TARGET_MS} ms"
        return (
            f"{t.url[:52]:<52} {t.median_ms:>9.0f} {t.min_ms:>6.0f}–{t.max_ms:<6.0f} "
            f"{t.queries:>7} {t.kb:>6.0f}{flag}"
        )
