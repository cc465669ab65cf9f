# ruff: noqa: S608 -- SQL built here from table names, integers and timestamps of this command
"""`manage.py bench_compliance_sweep [--vendors N --products N --orders N]`: a benchmark, not
a test. PostgreSQL only, on a database of its own.

1. Seeds the marketplace fast with `INSERT … SELECT … FROM generate_series` (no Python
   loop per row, no history rows): vendors with stores, products (a fifth SaaS-delivered) with
   one specification each, orders spread over 120 days with a skewed (power-law) share per
   product, refunds (1.2 % of orders, three reasons in five counting against the vendor),
   SaaS delivery failures (0.1 % of recent SaaS orders, 70 % repaired), deposit deductions
   with top-up obligations (3 % of vendors, half overdue), documents (two per vendor, some
   expiring or expired), deposit refunds awaiting payment and store shields about to end.
   Review periods ended before the day before `as_of` are seeded closed: the state a daily
   sweep leaves (a first deployment's backlog is worked off in capped batches, see
   compliance/sweep/review_periods.py).
2. Times the raw SQL aggregates every rule needs (the floor any implementation pays).
3. Times a full sweep (the first run, which acts on everything the seed made due) and a
   second sweep a day later (the steady state), per rule: wall time and query count.

Targets (issue 5): the whole sweep under 60 s on a 2-core machine, within 3x the aggregates;
(issue 11) every rule's ratio printed, first run ≤ 3x, daily run ≤ 1.5x.

`--delivery-load` (issue 11, on a fresh copy of the seed, instead of the timings above): a
first sweep runs, as of now, in a subprocess (`run_compliance_sweep`) while this process
reports SaaS delivery failures through the API (`POST /api/v1/orders/{id}/delivery/`,
Django's test client: the whole middleware and DRF stack, no network) at a steady rate, with
the database task backend and a `db_worker` subprocess, as in production. It prints the
requests' p50 / p95 / max while the sweep ran, how many hidings were handed to the task, and
how long until every reported product was hidden.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.test.utils import override_settings

from catalog.models import Product, Specification
from compliance.models import AppliedMeasure
from compliance.sweep.runner import SweepReport, run_sweep
from marketplace.benchguard import add_allow_flag, refuse_existing_data
from marketplace.timeutils import CHINA_TZ, parse_aware
from orders.models import DeliveryFailure, Order, Refund
from vendors.models import (
    Category,
    DepositEntry,
    DepositRefund,
    Store,
    TopUpObligation,
    Vendor,
    VendorDocument,
)

DEFAULT_AS_OF = dt.datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ)


def insert_select(model: type[models.Model], values: dict[str, str], from_sql: str) -> int:
    """INSERT INTO model's table SELECT <exprs> <from_sql>; unnamed fields get their default.

    `values` maps field names to SQL expressions (trusted: built here from integers).
    Fields not named take their Python default (as a parameter), '' when blank text, now()
    when auto_now(_add), NULL when nullable; anything else is an error, so a field added to a
    model later fails loudly here instead of seeding nonsense.
    """
    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.name in values:
            expr = values[field.name].replace("%", "%%")  # '%' is modulo here, not a param
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expr = "now()"
        elif field.has_default():
            expr = "%s"
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            expr = "NULL"
        elif field.blank and isinstance(field, models.CharField | models.TextField):
            expr = "''"
        else:
            raise CommandError(f"bench seed: no value for {model.__name__}.{field.name}")
        columns.append(connection.ops.quote_name(field.column))
        exprs.append(expr)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
        f"({', '.join(columns)}) SELECT {', '.join(exprs)} {from_sql.replace('%', '%%')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def ts(moment: dt.datetime) -> str:
    return f"'{moment.isoformat()}'::timestamptz"


class Command(BaseCommand):
    help = "Seed PostgreSQL at marketplace scale and time the compliance sweep (benchmark)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_allow_flag(parser)
        parser.add_argument("--vendors", type=int, default=10_000)
        parser.add_argument("--products", type=int, default=50_000)
        parser.add_argument("--orders", type=int, default=2_000_000)
        parser.add_argument("--as-of", dest="as_of", help="ISO moment with offset")
        parser.add_argument(
            "--skip-seed", action="store_true", help="time the sweep on the data already there"
        )
        parser.add_argument(
            "--delivery-load",
            action="store_true",
            help="time the delivery API while a first sweep runs (on a fresh copy of the seed)",
        )
        parser.add_argument(
            "--delivery-rate",
            type=float,
            default=8.0,
            help="delivery reports per second during --delivery-load (the API throttles "
            "one account at 600/minute)",
        )
        parser.add_argument(
            "--seed-only",
            action="store_true",
            help="seed and stop (keep the database as a template: createdb -T it per timing run)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_existing_data(allow=options["allow_existing_data"])  # issue 8 §3, first
        if connection.vendor != "postgresql":
            raise CommandError("the benchmark needs PostgreSQL: set DATABASE_URL")
        as_of = parse_aware(options["as_of"]) if options["as_of"] else DEFAULT_AS_OF
        n_v, n_p, n_o = options["vendors"], options["products"], options["orders"]
        if min(n_v, n_p, n_o) <= 0 or n_p < n_v:
            raise CommandError("need positive sizes and at least one product per vendor")
        if not options["skip_seed"]:
            if Vendor.objects.exists():
                raise CommandError(
                    "the database already has vendors: use a fresh database, or --skip-seed"
                )
            started = time.perf_counter()
            self.seed(n_v, n_p, n_o, as_of)
            self.stdout.write(f"seeded in {time.perf_counter() - started:.1f} s")
            if options["seed_only"]:
                return
        if options["delivery_load"]:
            self.delivery_load(as_of, rate=options["delivery_rate"])
            return
        raw = self.time_aggregates(as_of)
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            first = run_sweep(as_of=as_of, trigger="benchmark")
            second = run_sweep(as_of=as_of + dt.timedelta(days=1), trigger="benchmark")
        self.report(raw, first, second)

    # --- seed ---------------------------------------------------------------------------

    def seed(self, n_v: int, n_p: int, n_o: int, as_of: dt.datetime) -> None:
        category = Category.objects.order_by("pk").first() or Category.objects.create(
            code="software", name="软件服务"
        )
        q = connection.ops.quote_name
        with transaction.atomic():
            self.step(
                "vendors",
                lambda: insert_select(
                    Vendor,
                    {
                        "name": "'Bench vendor ' || g",
                        "credit_code": "'BENCH' || lpad(g::text, 13, '0')",
                        "cloud_account_id": "'bench-' || g",
                        "status": "'active'",
                    },
                    f"FROM generate_series(1, {n_v}) g",
                ),
            )
            v0 = Vendor.objects.order_by("pk").values_list("pk", flat=True).first()
            self.step(
                "stores",
                lambda: insert_select(
                    Store,
                    {"vendor": "v.id", "name": "v.name || ' store'"},
                    f"FROM {q(Vendor._meta.db_table)} v",
                ),
            )
            # Product k belongs to vendor k mod V; every fifth is SaaS-delivered.
            self.step(
                "products",
                lambda: insert_select(
                    Product,
                    {
                        "vendor": f"{v0} + (g % {n_v})",
                        "kind": "CASE WHEN g % 5 = 0 THEN 'saas' ELSE 'software' END",
                        "saas_delivered": "g % 5 = 0",
                        "category": str(category.pk),
                        "title": "'Bench product ' || g",
                        "status": "'listed'",
                    },
                    f"FROM generate_series(1, {n_p}) g",
                ),
            )
            p0 = Product.objects.order_by("pk").values_list("pk", flat=True).first()
            self.step(
                "specifications",
                lambda: insert_select(
                    Specification,
                    {"product": "p.id", "name": "'Standard'", "price": "100.00"},
                    f"FROM {q(Product._meta.db_table)} p",
                ),
            )
            # Orders: a skewed product choice (power 2 of a hashed uniform), 120 days back.
            pick = f"floor({n_p} * power(((g::bigint * 2654435761) % 1000003) / 1000003.0, 2))"
            paid = (
                f"({ts(as_of)} - ((g % 120) || ' days')::interval"
                " - ((g % 86400) || ' s')::interval)"
            )
            self.step(
                "orders",
                lambda: insert_select(
                    Order,
                    {
                        "channel": "'cn'",
                        "external_id": "'B' || o.g",
                        "buyer_account_id": "'2000' || (o.g % 100000)",
                        "vendor": "p.vendor_id",
                        "product": "p.id",
                        "specification": "s.id",
                        "kind": "p.kind",
                        "sales_mode": "'platform'",
                        "saas_delivered": "p.saas_delivered",
                        "unit_price": "100.00",
                        "billing_period": "'once'",
                        "service_fee_rate": "0.1000",
                        "amount": "100.00",
                        "paid_at": "o.paid",
                        "review_rule": "'days_from_purchase'",
                        "review_days": "5",
                        "review_period_ends_at": "o.paid + interval '5 days'",
                        # A live system: yesterday's sweep closed every period ended before then.
                        "review_period_closed": (
                            f"o.paid + interval '5 days' <= {ts(as_of)} - interval '1 day'"
                        ),
                        "status": "'delivered'",
                    },
                    f"FROM (SELECT g, {p0} + {pick} AS pid, {paid} AS paid "
                    f"FROM generate_series(1, {n_o}) g) o "
                    f"JOIN {q(Product._meta.db_table)} p ON p.id = o.pid "
                    f"JOIN {q(Specification._meta.db_table)} s ON s.product_id = p.id",
                ),
            )
            o_table = q(Order._meta.db_table)
            # Refunds of 1.2 % of orders; reasons cycle, three in five count against the vendor.
            reasons = (
                "(ARRAY['not_as_expected','slow_or_rude','not_received',"
                "'bought_by_mistake','no_longer_needed'])"
            )
            self.step(
                "refunds",
                lambda: insert_select(
                    Refund,
                    {
                        "order": "o.id",
                        "vendor": "o.vendor_id",
                        "external_id": "'R' || o.id",
                        "reason_code": f"{reasons}[1 + o.id % 5]",
                        "counts_against_vendor": "o.id % 5 < 3",
                        "amount_requested": "100.00",
                        "requested_at": "o.paid_at + interval '1 day'",
                        "paid_amount": "100.00",
                        "already_refunded": "0.00",
                        "review_rule": "'days_from_purchase'",
                        "in_review_period": "true",
                        "consumed_fraction": "0",
                        "basis": "'review_period'",
                        "computed_amount": "100.00",
                        "approved_amount": "100.00",
                        "status": "'refunded'",
                        "refunded_at": "o.paid_at + interval '2 days'",
                    },
                    f"FROM {o_table} o WHERE o.id % 83 = 0",
                ),
            )
            # SaaS delivery failures: 0.1 % of the last 60 days' SaaS orders, 70 % repaired.
            self.step(
                "delivery failures",
                lambda: insert_select(
                    DeliveryFailure,
                    {
                        "order": "o.id",
                        "vendor": "o.vendor_id",
                        "product": "o.product_id",
                        "failed_at": "o.paid_at + interval '1 hour'",
                        "reason": "'bench failure'",
                        "repaired_at": (
                            "CASE WHEN o.id % 10 < 7 THEN o.paid_at + interval '1 day' END"
                        ),
                    },
                    f"FROM {o_table} o WHERE o.saas_delivered AND o.id % 997 = 0 "
                    f"AND o.paid_at > {ts(as_of)} - interval '60 days'",
                ),
            )
            # Deductions for 3 % of vendors, each opening an obligation; half of them overdue.
            self.step(
                "deposit deductions",
                lambda: insert_select(
                    DepositEntry,
                    {
                        "vendor": "v.id",
                        "kind": "'deduction'",
                        "amount": "500.00",
                        "delta": "-500.00",
                        "cause": "'violation'",
                        "reference": "'bench-' || v.id",
                        "reason": "'bench deduction'",
                        "created_at": f"{ts(as_of)} - ((v.id % 20) || ' days')::interval",
                    },
                    f"FROM {q(Vendor._meta.db_table)} v WHERE v.id % 33 = 0",
                ),
            )
            self.step(
                "top-up obligations",
                lambda: insert_select(
                    TopUpObligation,
                    {
                        "vendor": "e.vendor_id",
                        "opened_by": "e.id",
                        "opened_at": "e.created_at",
                        "due_at": "e.created_at + interval '10 days'",
                        "amount_due": "500.00",
                    },
                    f"FROM {q(DepositEntry._meta.db_table)} e WHERE e.reference LIKE 'bench-%'",
                ),
            )
            # Two documents per vendor, validity ending from 30 days ago to a year ahead.
            self.step(
                "documents",
                lambda: insert_select(
                    VendorDocument,
                    {
                        "vendor": "v.id",
                        "kind": "(ARRAY['business_licence','legal_rep_id'])[k]",
                        "file": "'vendor-documents/bench.pdf'",
                        "valid_from": f"{ts(as_of)}::date - 700",
                        "valid_until": f"{ts(as_of)}::date - 30 + ((v.id * 13 + k * 7) % 400)::int",
                    },
                    f"FROM {q(Vendor._meta.db_table)} v CROSS JOIN generate_series(1, 2) k",
                ),
            )
            self.step(
                "deposit refunds",
                lambda: insert_select(
                    DepositRefund,
                    {
                        "vendor": "v.id",
                        "status": "'receipt_received'",
                        "requested_at": f"{ts(as_of)} - interval '40 days'",
                        "receipt_received_at": f"{ts(as_of)} - interval '20 days'",
                        "due_at": f"{ts(as_of)} + ((v.id % 21 - 10) || ' days')::interval",
                    },
                    f"FROM {q(Vendor._meta.db_table)} v WHERE v.id % 200 = 7",
                ),
            )
            self.step(
                "store shields",
                lambda: insert_select(
                    AppliedMeasure,
                    {
                        "vendor": "v.id",
                        "kind": "'shield_store'",
                        "starts_at": (
                            f"{ts(as_of)} - interval '15 days'"
                            " + ((v.id / 100 % 20 - 10) || ' days')::interval"
                        ),
                        "ends_at": f"{ts(as_of)} + ((v.id / 100 % 20 - 10) || ' days')::interval",
                        "cause_type": "'penalty'",
                        "cause_id": "'bench-' || v.id",
                        "reason": "'bench shield'",
                    },
                    f"FROM {q(Vendor._meta.db_table)} v WHERE v.id % 100 = 3",
                ),
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def step(self, label: str, fn) -> None:
        started = time.perf_counter()
        rows = fn()
        self.stdout.write(f"  {label:<20} {rows:>10,} rows  {time.perf_counter() - started:6.1f} s")

    # --- raw aggregates --------------------------------------------------------------------

    def time_aggregates(self, as_of: dt.datetime) -> dict[str, float]:
        """The SQL each rule cannot avoid, timed on the same data before the sweep."""
        t = {
            m: connection.ops.quote_name(m._meta.db_table)
            for m in (
                TopUpObligation,
                DeliveryFailure,
                Order,
                Refund,
                AppliedMeasure,
                VendorDocument,
                DepositRefund,
            )
        }
        a = ts(as_of)
        queries = {
            "deposit_topup": f"SELECT vendor_id, min(id), min(due_at), count(*), sum(amount_due) "
            f"FROM {t[TopUpObligation]} WHERE closed_at IS NULL AND due_at < {a} "
            "GROUP BY vendor_id",
            "saas_delivery": f"SELECT vendor_id, min(failed_at), min(id), count(*) "
            f"FROM {t[DeliveryFailure]} WHERE repaired_at IS NULL AND failed_at <= {a} "
            f"GROUP BY vendor_id",
            "refund_rate": f"SELECT vendor_id, sum(p), sum(r) FROM ("
            f"SELECT vendor_id, count(*) p, 0 r FROM {t[Order]} WHERE paid_at > {a} - interval "
            f"'30 days' AND paid_at <= {a} GROUP BY vendor_id UNION ALL "
            f"SELECT vendor_id, 0, count(DISTINCT order_id) FROM {t[Refund]} WHERE status = "
            f"'refunded' AND counts_against_vendor AND refunded_at > {a} - interval '30 days' "
            f"AND refunded_at <= {a} GROUP BY vendor_id) x GROUP BY vendor_id",
            "measure_expiry": f"SELECT id, vendor_id FROM {t[AppliedMeasure]} WHERE lifted_at IS "
            f"NULL AND ends_at IS NOT NULL AND ends_at <= {a}",
            "documents": f"SELECT id, vendor_id, valid_until FROM {t[VendorDocument]} WHERE "
            f"replaced_at IS NULL AND valid_until <= ({a})::date + 30",
            "deposit_refund_due": f"SELECT id, vendor_id, due_at FROM {t[DepositRefund]} WHERE "
            f"status = 'receipt_received' AND completed_at IS NULL AND due_at <= {a} + "
            f"interval '5 days'",
            "review_periods": f"UPDATE {t[Order]} SET review_period_closed = true WHERE NOT "
            f"review_period_closed AND review_period_ends_at <= {a}",
        }
        timings: dict[str, float] = {}
        for rule, sql in queries.items():
            with transaction.atomic(), connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql)
                timings[rule] = time.perf_counter() - started
                transaction.set_rollback(True)  # the UPDATE is measured, not kept
        return timings

    # --- delivery API during a first sweep (issue 11) ---------------------------------------

    def delivery_load(self, as_of: dt.datetime, *, rate: float, baseline: int = 40) -> None:
        """Report SaaS delivery failures through the API, first `baseline` of them with no
        sweep running (the endpoint's own latency on this machine now), then while a first
        sweep runs; then wait until every reported product is hidden."""
        from django.test import Client
        from django_tasks_db.models import DBTaskResult

        from compliance.models import MeasureKind, SweepRun
        from orders.models import ApiOperation
        from orders.services import service_account_create

        _account, token = service_account_create(
            name=f"bench-delivery-{time.time_ns()}",
            channel="cn",
            operations=[ApiOperation.REPORT_DELIVERY],
            actor=None,
        )
        # One recent SaaS order per vendor, of vendors with no open failure (the typical
        # report: one product to hide). Seed rows are 'delivered'; the storefront reports
        # failures of paid orders, so these are put back to 'paid' (seed data, no history).
        open_failures = DeliveryFailure.objects.filter(repaired_at__isnull=True)
        picked = list(
            Order.objects.filter(
                saas_delivered=True,
                channel="cn",
                paid_at__gt=as_of - dt.timedelta(days=3),
                paid_at__lte=as_of,
            )
            .exclude(vendor_id__in=open_failures.values("vendor_id"))
            .order_by("vendor_id", "pk")
            .distinct("vendor_id")
            .values_list("pk", "product_id")[:1000]
        )
        Order.objects.filter(pk__in=[pk for pk, _p in picked]).update(status="paid")
        queue = iter(picked)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
        reported: list[tuple[int, float]] = []  # (product, wall moment of the report)

        def report_one() -> float:
            pk, product_id = next(queue)
            body = {
                "outcome": "failed",
                "at": dt.datetime.now(tz=CHINA_TZ).isoformat(),
                "reason": "bench: provisioning error",
            }
            reported.append((product_id, time.time()))
            t0 = time.perf_counter()
            response = client.post(
                f"/api/v1/orders/{pk}/delivery/", body, content_type="application/json"
            )
            elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise CommandError(f"delivery report: {response.status_code} {response.content!r}")
            time.sleep(max(0.0, 1 / rate - elapsed))  # a steady rate, under the API throttle
            return elapsed

        env = os.environ | {
            "DJANGO_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        worker = subprocess.Popen(  # noqa: S603 -- our own manage.py, fixed arguments
            [*manage, "db_worker", "--interval", "0.5", "--no-startup-delay", "--no-reload"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sweep = None
        try:
            with override_settings(
                TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
                ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
                EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            ):
                quiet = [report_one() for _ in range(baseline)]
                started_runs = SweepRun.objects.count()
                sweep = subprocess.Popen(  # noqa: S603
                    # As of now, as a scheduled run: the failures reported now are then
                    # judged by the same clock in the sweep and in the receivers.
                    [*manage, "run_compliance_sweep"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                # Start when the sweep's run exists (its process has started up).
                while SweepRun.objects.count() == started_runs and sweep.poll() is None:
                    time.sleep(0.05)
                sweep_started = time.perf_counter()
                timings: list[float] = []
                while sweep.poll() is None:
                    elapsed = report_one()
                    if sweep.poll() is None:  # only requests that ran during the sweep
                        timings.append(elapsed)
                sweep_seconds = time.perf_counter() - sweep_started
                output = sweep.stdout.read() if sweep.stdout else ""
                deferred = DBTaskResult.objects.filter(
                    task_path="compliance.tasks.run_rule_for_vendor"
                ).count()
                # Every reported product hidden (by the request or by the task), and when.
                products = {p for p, _t in reported}
                hidden_at: dict[int, dt.datetime] = {}
                deadline = time.time() + 120
                while time.time() < deadline:
                    hidden_at = dict(
                        AppliedMeasure.objects.filter(
                            product_id__in=products,
                            kind=MeasureKind.HIDE_PRODUCT,
                            lifted_at__isnull=True,
                        ).values_list("product_id", "created_at")
                    )
                    if hidden_at.keys() >= products:
                        break
                    time.sleep(0.5)
        finally:
            if sweep is not None and sweep.poll() is None:
                sweep.kill()
            worker.terminate()
            worker.wait(timeout=30)
        self.stdout.write(output)
        if not timings:
            raise CommandError("the sweep ended before any request was made")

        def summary(values: list[float]) -> str:
            values = sorted(values)
            p50 = values[len(values) // 2]
            p95 = values[max(0, math.ceil(0.95 * len(values)) - 1)]  # nearest rank
            return (
                f"{len(values)} requests, p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {values[-1] * 1000:.0f} ms"
            )

        delays = [hidden_at[p].timestamp() - t for p, t in reported if p in hidden_at]
        self.stdout.write(f"delivery reports, no sweep running: {summary(quiet)}")
        self.stdout.write(
            f"delivery reports during the first sweep ({sweep_seconds:.1f} s): "
            f"{summary(timings)}; hiding deferred to the task: {deferred}; "
            f"products hidden: {len(hidden_at)}/{len(products)}, "
            f"longest report-to-hidden {max(delays, default=0):.1f} s"
        )
        if len(hidden_at) < len(products):
            raise CommandError("some reported products were not hidden within 120 s")

    # --- report ---------------------------------------------------------------------------------

    def report(self, raw: dict[str, float], first: SweepReport, second: SweepReport) -> None:
        def ratio(seconds: float, floor: float) -> str:
            # Below a millisecond the raw figure is noise: no ratio is shown for it.
            return f"{seconds / floor:.2f}x" if floor >= 0.001 else "-"

        self.stdout.write("")
        self.stdout.write(
            f"{'rule':<20} {'raw SQL s':>9} | {'1st run s':>9} {'ratio':>7} {'queries':>7} "
            f"{'acted':>6} {'lifted':>6} {'flagged':>7} | {'2nd run s':>9} {'ratio':>7} "
            f"{'queries':>7}"
        )
        for r1, r2 in zip(first.rules, second.rules, strict=True):
            done = r1.acted + r1.recorded
            floor = raw.get(r1.rule, 0)
            self.stdout.write(
                f"{r1.rule:<20} {floor:>9.3f} | {r1.seconds:>9.3f} {ratio(r1.seconds, floor):>7} "
                f"{r1.queries:>7} {done:>6} {r1.lifted:>6} {r1.flagged:>7} | "
                f"{r2.seconds:>9.3f} {ratio(r2.seconds, floor):>7} {r2.queries:>7}"
            )
        raw_total = sum(raw.values())
        t1 = sum(r.seconds for r in first.rules)
        t2 = sum(r.seconds for r in second.rules)
        self.stdout.write(
            f"{'total':<20} {raw_total:>9.3f} | {t1:>9.3f} {ratio(t1, raw_total):>7} "
            f"{'':>7} {'':>6} {'':>6} {'':>7} | {t2:>9.3f} {ratio(t2, raw_total):>7}"
        )
        self.stdout.write(
            f"first run / raw aggregates = {t1 / raw_total:.2f}x; "
            f"second run / raw aggregates = {t2 / raw_total:.2f}x; "
            f"errors: {sum(r.errors for r in first.rules + second.rules)}"
        )
