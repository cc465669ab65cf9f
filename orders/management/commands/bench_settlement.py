"""`manage.py bench_settlement`: time `run_settlement` at marketplace scale (PostgreSQL).

    manage.py bench_settlement [--vendors 10000 --products 50000 --orders 2000000]
                               [--monthly] [--allow-existing-data]

On an empty database it first seeds with `bench_compliance_sweep --seed-only` (10,000
vendors, 2,000,000 orders over the 120 days before 2026-11-20, refunds, ...); on a database
that holds that seed already (bench_all's copies) it uses it. Then it times:

1. one run of the latest complete month, which states every order of the seed at once (no
   earlier month was run: the worst case, all 2,000,000 orders in one run);
2. the same month again (idempotent: nothing made; the steady-state cost of a rerun);
and prints each with its query count, the statements and lines made, and `uptime`.
`--monthly` instead runs every month of the seed in order (the normal schedule).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Max, Min
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.benchguard import add_allow_flag, refuse_existing_data
from marketplace.timeutils import china_date
from orders.models import Order, Statement
from orders.services.settlement import period_bounds, settlement_run
from vendors.models import Vendor


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


class Command(BaseCommand):
    help = "Time run_settlement on 10,000 vendors and 2,000,000 orders (benchmark)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_allow_flag(parser)
        parser.add_argument("--vendors", type=int, default=10_000)
        parser.add_argument("--products", type=int, default=50_000)
        parser.add_argument("--orders", type=int, default=2_000_000)
        parser.add_argument(
            "--monthly", action="store_true", help="run each month of the seed in order"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_existing_data(allow=options["allow_existing_data"])
        if connection.vendor != "postgresql":
            raise CommandError("the benchmark needs PostgreSQL: set DATABASE_URL")
        if Statement.objects.exists():
            raise CommandError("the database already has statements: use a fresh copy")
        if not Vendor.objects.exists():
            started = time.perf_counter()
            call_command(
                "bench_compliance_sweep",
                "--seed-only",
                "--vendors",
                str(options["vendors"]),
                "--products",
                str(options["products"]),
                "--orders",
                str(options["orders"]),
                stdout=self.stdout,
            )
            self.stdout.write(f"seeded in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        span = Order.objects.aggregate(first=Min("paid_at"), last=Max("paid_at"))
        orders = Order.objects.count()
        vendors = Vendor.objects.count()
        now = timezone.now()
        first = china_date(span["first"]).replace(day=1)
        last = china_date(span["last"]).replace(day=1)
        if period_bounds(last)[1] > now:
            raise CommandError("the seed's last month is not over yet; seed with --as-of earlier")
        self.stdout.write(
            f"{vendors:,} vendors, {orders:,} orders, {first:%Y-%m} … {last:%Y-%m}; {_load()}"
        )
        months = [first]
        while months[-1] < last:
            m = months[-1]
            months.append(dt.date(m.year + m.month // 12, m.month % 12 + 1, 1))
        runs = months if options["monthly"] else [last]
        total = 0.0
        for period in runs:
            total += self.timed(f"run {period:%Y-%m}", period)
        self.timed(f"rerun {last:%Y-%m} (idempotent)", last)
        self.stdout.write(
            f"settlement total {total:.1f} s for {orders:,} orders and {vendors:,} vendors "
            f"({len(runs)} run{'s' if len(runs) > 1 else ''}); {_load()}"
        )

    def timed(self, label: str, period: dt.date) -> float:
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            result = settlement_run(period=period)
            seconds = time.perf_counter() - started
        self.stdout.write(
            f"  {label:<28} {seconds:7.1f} s  {len(ctx.captured_queries):3d} queries  "
            f"{result.statements:7,} statements  {result.lines:10,} lines  "
            f"net {result.net_total:,} CNY  {_load()}"
        )
        return seconds
