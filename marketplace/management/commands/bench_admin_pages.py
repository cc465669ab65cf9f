"""Time every admin changelist and change page (and a few filtered lists) on a seeded database.

    manage.py bench_admin_pages [--runs 5] [--only orders] [--url /admin/orders/order/?q=X]

For each URL: the median and range of the wall time over `--runs` requests (after one warm-up
request), the number of queries, and the page size. Run it on the sweep benchmark's seed
(docs/benchmarks.md), never on real data: it logs in as a throw-away superuser it creates.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.benchguard import add_allow_flag, refuse_existing_data

BENCH_USER = "bench-admin"

# Filtered lists and searches reviewers use every day (issue 11's table).
EXTRA_URLS = [
    "/admin/orders/order/?q={order_external_id}",
    "/admin/orders/order/?paid_at__gte={month_start}&paid_at__lt={month_end}",
    "/admin/orders/order/?status__exact=refunded",
    "/admin/orders/order/?vendor__id__exact={busiest_vendor}",
    "/admin/orders/order/?channel=cn",
    "/admin/orders/refund/?q={refund_external_id}",
    "/admin/orders/refund/?status__exact=refunded",
    "/admin/catalog/product/?q=product+49999",
    "/admin/catalog/product/?q=vendor+9999",
    "/admin/catalog/product/?vendor__id__exact={busiest_vendor}",
]


class Command(BaseCommand):
    help = "Time every admin changelist and change page (median ms, queries, KB)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--only", default="", help="app label or URL part to keep")
        parser.add_argument("--url", action="append", default=[], help="extra URL (repeatable)")
        add_allow_flag(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        from orders.models import Order, Refund
        from vendors.models import Vendor

        # Issue 8 §3: never on a database with real users or vendors (it makes a superuser).
        refuse_existing_data(allow=options["allow_existing_data"])
        seeded = Vendor.objects.filter(credit_code__startswith="BENCH").exists()
        if not seeded and not options["allow_existing_data"]:
            raise CommandError(
                "No benchmark seed here (vendors with BENCH credit codes): seed with "
                "bench_compliance_sweep --seed-only, or pass --allow-existing-data."
            )
        user, _ = get_user_model().objects.get_or_create(
            username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client(HTTP_HOST="127.0.0.1")  # an allowed host in every profile
        client.force_login(user)
        facts = self._facts(Order, Refund)
        urls = [*self._registry_urls(), *(u.format(**facts) for u in EXTRA_URLS), *options["url"]]
        if options["only"]:
            urls = [u for u in urls if options["only"] in u]
        self.stdout.write(f"{'URL':<72} {'median ms':>9} {'range ms':>15} {'queries':>7} {'KB':>6}")
        for url in urls:
            self.stdout.write(self._measure(client, url, options["runs"]))

    def _facts(self, order_model: Any, refund_model: Any) -> dict[str, Any]:
        from django.db.models import Count

        order = order_model.objects.order_by("pk").only("external_id", "paid_at").last()
        refund = refund_model.objects.order_by("pk").only("external_id").last()
        busiest = (
            order_model.objects.values("vendor_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("vendor_id", flat=True)
            .first()
        )
        month = order.paid_at.date().replace(day=1) if order else dt.date.today()
        next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return {
            "order_external_id": order.external_id if order else "",
            "refund_external_id": refund.external_id if refund else "",
            "busiest_vendor": busiest or 0,
            "month_start": month.isoformat(),
            "month_end": next_month.isoformat(),
        }

    def _registry_urls(self) -> list[str]:
        urls = []
        for model, _model_admin in sorted(
            admin.site._registry.items(), key=lambda item: item[0]._meta.label
        ):
            opts = model._meta
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
            first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            if first is not None:
                name = f"admin:{opts.app_label}_{opts.model_name}_change"
                urls.append(reverse(name, args=[first]))
        return urls

    def _measure(self, client: Client, url: str, runs: int) -> str:
        client.get(url)  # warm-up: caches, connections, template loading
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
        size = len(response.content) / 1024
        status = "" if response.status_code == 200 else f" [{response.status_code}]"
        return (
            f"{(url + status)[:72]:<72} {statistics.median(times):>9.0f} "
            f"{min(times):>7.0f}–{max(times):<7.0f} {len(ctx.captured_queries):>7} {size:>6.0f}"
        )
