"""`manage.py bench_penalty_import --rows 100000`: time the penalty-case import.

Seeds vendors and products (once; reused by later runs), writes a CSV of new cases, then
times the dry run and the real import (the same code path as the admin and
`import_penalty_cases`, history kept) and prints rows per second and peak memory.
A benchmark, not a test: run it on PostgreSQL and record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import resource
import time
import tracemalloc

from django.core.management.base import BaseCommand
from django.db import connection
from simple_history.utils import bulk_create_with_history

from catalog.models import Product, ProductKind
from compliance.importing import import_cases
from compliance.models import PenaltyCase
from marketplace.benchguard import add_allow_flag, refuse_existing_data
from vendors.models import Category, Store, Vendor
from vendors.validators import credit_code_check_char

BENCH_PREFIX = "9252"  # credit codes of benchmark vendors: 9252 + 13 digits + check char
CODES = ["SPAM_AD", "FAKE_TRANSACTION", "UNREACHABLE", "FRAUD", "DISHONESTY", "DATA_MISUSE"]


def _credit_code(n: int) -> str:
    body = f"{BENCH_PREFIX}{n:013d}"
    return body + credit_code_check_char(body)


class Command(BaseCommand):
    help = "Benchmark the penalty-case import (dry run and import) on a seeded database."

    def add_arguments(self, parser):
        add_allow_flag(parser)
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--vendors", type=int, default=2_000)
        parser.add_argument(
            "--tracemalloc",
            action="store_true",
            help="measure peak Python allocations too (slows the run)",
        )

    def handle(self, *args, rows: int, vendors: int, tracemalloc: bool, **options) -> None:
        refuse_existing_data(allow=options["allow_existing_data"])
        vendor_rows = self._seed(vendors)
        data = self._file(rows, vendor_rows)
        self.stdout.write(
            f"database={connection.vendor} cpus={os.cpu_count()} python={platform.python_version()}"
            f" file={len(data) / 1e6:.1f} MB rows={rows}"
        )
        for label, dry_run in (("dry run", True), ("import", False)):
            if tracemalloc:
                _start_tracing()
            started = time.perf_counter()
            report = import_cases(data, filename="bench.csv", dry_run=dry_run, actor=None)
            elapsed = time.perf_counter() - started
            peak_py = _stop_tracing() if tracemalloc else None
            assert not report.has_errors, report.error_messages()[:5]
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            line = (
                f"{label:8s} {elapsed:7.2f} s  {rows / elapsed:9,.0f} rows/s  "
                f"new={report.new} written={report.written}  peak RSS {rss:,.0f} MB"
            )
            if peak_py is not None:
                line += f"  peak Python allocations {peak_py / 1e6:,.0f} MB"
            self.stdout.write(line)
        self.stdout.write(f"cases in database: {PenaltyCase.objects.count()}")

    def _seed(self, count: int) -> list[tuple[str, int | None]]:
        existing = Vendor.objects.filter(credit_code__startswith=BENCH_PREFIX).count()
        if existing < count:
            category, _ = Category.objects.get_or_create(
                code="bench", defaults={"name": "Benchmark"}
            )
            new = [
                Vendor(
                    name=f"Bench vendor {n}",
                    credit_code=_credit_code(n),
                    cloud_account_id=f"bench-{n}",
                    status=Vendor.Status.ACTIVE,
                )
                for n in range(existing, count)
            ]
            created = bulk_create_with_history(new, Vendor, batch_size=1000)
            bulk_create_with_history(
                [Store(vendor=v, name=f"{v.name} store") for v in created], Store, batch_size=1000
            )
            bulk_create_with_history(
                [
                    Product(
                        vendor=v,
                        kind=ProductKind.SOFTWARE,
                        category=category,
                        title=f"{v.name} product",
                        status=Product.Status.LISTED,
                    )
                    for v in created
                ],
                Product,
                batch_size=1000,
            )
        products = dict(
            Product.objects.filter(vendor__credit_code__startswith=BENCH_PREFIX).values_list(
                "vendor__credit_code", "pk"
            )
        )
        return [
            (code, products.get(code))
            for code in Vendor.objects.filter(credit_code__startswith=BENCH_PREFIX)
            .order_by("pk")
            .values_list("credit_code", flat=True)[:count]
        ]

    def _file(self, rows: int, vendors: list[tuple[str, int | None]]) -> bytes:
        run = time.strftime("%Y%m%d%H%M%S")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["案例编号", "服务商", "违规代码", "发生时间", "产品", "描述", "证据链接", "举报人"]
        )
        for i in range(rows):
            code, product = vendors[i % len(vendors)]
            writer.writerow(
                [
                    f"BENCH-{run}-{i:07d}",
                    code,
                    CODES[i % len(CODES)],
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}",
                    product if i % 4 == 0 and product else "",
                    f"基准测试案例 {i}：服务商引导用户线下交易",
                    f"https://evidence.example.com/{i}" if i % 2 else "",
                    "合规审核员",
                ]
            )
        return out.getvalue().encode("utf-8")


def _start_tracing() -> None:
    tracemalloc.start()


def _stop_tracing() -> int:
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak
