"""Load the order API through gunicorn and report throughput, latency and queries (issue 11).

    manage.py bench_api [--requests 2000] [--concurrency 6] [--runs 3] [--workers 3] [--json]

On the PostgreSQL database DATABASE_URL names, which must hold the compliance sweep's
benchmark seed and nothing else (marketplace/benchguard.py), it:

1. seeds what it needs, once: a vendor of its own (credit code BENCHAPI…) with a store and
   20 listed products of five kinds with one specification each, and the service account
   `bench-api` (channel `cn`, storefront operations) whose token it rotates every time;
2. per run, starts gunicorn (`--workers`, sync workers as in production) on 127.0.0.1 at a
   free port, with DEBUG off and the production profile, warms every worker up, and drives a
   bounded pool of `--concurrency` client threads (stdlib http.client, 127.0.0.1 only)
   through three phases of `--requests` each:
   - create: `POST /api/v1/orders/` of new orders (201),
   - retry: the same bodies again (200, the idempotent answer),
   - read: `GET /api/v1/refunds/<id>/` of the seed's refunds (200);
3. prints, per phase and run, req/s, p50/p95/max latency and the queries and CPU time per
   request as the gunicorn workers counted them (server hooks: a database execute wrapper
   and `time.process_time()` around each request), then the medians and ranges over the
   runs. `--json` prints one JSON line instead (bench_all reads it).

The per-account throttle (600/minute by default) would refuse a benchmark: the server gets
`API_THROTTLE_RATE=1000000/second`, so the throttle still runs its cache read and write on
every request but never refuses. A one-second window, because DRF's throttle keeps the time
of every request in the window and pickles that list into the cache on each request: with a
minute's window at 300 requests a second it would hold 18,000 entries and time the throttle
rather than the API (a production limit such as 600/minute keeps it at most 600 long).
The orders created stay in the database (external IDs `BAPI-<run>-<n>`).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from marketplace.benchguard import BENCH_CREDIT_CODE_PREFIXES, add_allow_flag, refuse_existing_data

HOST = "127.0.0.1"  # the server binds here and the client connects nowhere else
ACCOUNT_NAME = "bench-api"
CHANNEL = "cn"  # the seed's orders and refunds are in this channel: the read phase reads them
VENDOR_CREDIT_CODE = "BENCHAPI0000000001"
KINDS = ("software", "image", "saas", "tool", "ops")
PRODUCTS_PER_KIND = 4
PRICE = Decimal("100.00")
PHASES = ("create", "retry", "read")
EXPECTED = {"create": 201, "retry": 200, "read": 200}
PHASE_HEADER = "X-Bench-Phase"
TARGETS = {"create": (300, 50, 4), "retry": (600, None, 2)}  # req/s ≥, p95 ms ≤, queries ≤

# Runs inside each gunicorn worker: counts queries and CPU time per request, by phase.
GUNICORN_HOOKS = """
import json, os, time
_stats = {}
_now = {"queries": 0}

def post_worker_init(worker):
    from django.db import connections

    def count(execute, sql, params, many, context):
        _now["queries"] += 1
        return execute(sql, params, many, context)

    connections["default"].execute_wrappers.append(count)

def pre_request(worker, req):
    _now["start"] = (_now["queries"], time.process_time())

def post_request(worker, req, environ, resp):
    phase = environ.get("HTTP_X_BENCH_PHASE", "other")
    queries, cpu = _now.pop("start", (_now["queries"], time.process_time()))
    status = getattr(resp, "status_code", None) or int(str(resp.status).split()[0])
    row = _stats.setdefault(f"{phase}|{status}", [0, 0, 0.0])
    row[0] += 1
    row[1] += _now["queries"] - queries
    row[2] += time.process_time() - cpu

def worker_exit(server, worker):
    path = os.path.join(os.environ["BENCH_API_STATS_DIR"], f"worker-{os.getpid()}.json")
    with open(path, "w") as handle:
        json.dump(_stats, handle)
"""


@dataclass
class PhaseResult:
    phase: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    queries: float | None = None
    cpu_ms: float | None = None
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@dataclass
class Call:
    method: str
    path: str
    body: bytes | None
    phase: str


class Command(BaseCommand):
    help = "Load POST /api/v1/orders/ (create, retry) and a read through gunicorn (req/s, p95)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=2000, help="per phase and run")
        parser.add_argument("--concurrency", type=int, default=6, help="client threads")
        parser.add_argument("--runs", type=int, default=3)
        parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
        parser.add_argument("--json", action="store_true", help="print one JSON line")
        add_allow_flag(parser)

    # --- guards and seed ------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_existing_data(allow=options["allow_existing_data"])  # issue 8 §3, first
        if connection.vendor != "postgresql":
            raise CommandError("the API benchmark needs PostgreSQL: set DATABASE_URL")
        self._check_seed(allow=options["allow_existing_data"])
        for name in ("requests", "concurrency", "runs", "workers"):
            if not 1 <= options[name] <= 100_000:
                raise CommandError(f"--{name} must be between 1 and 100000")
        if options["concurrency"] > 64 or options["workers"] > 16:
            raise CommandError("at most 64 client threads and 16 workers (a bounded load)")
        if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
            raise CommandError("gunicorn is not installed next to this Python")
        token, specs, refunds = self._seed()
        connection.close()  # the server's workers open their own
        runs, loads = [], []
        for number in range(1, options["runs"] + 1):
            loads.append(_load())  # before this run's server and client add their own
            runs.append(self._run(number, token, specs, refunds, options))
            if not options["json"]:
                self._print_run(number, runs[-1], loads[-1])
        summary = self._summary(runs, options)
        summary["setup"]["load_before_each_run"] = loads
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self._print_summary(summary)

    def _check_seed(self, *, allow: bool) -> None:
        from vendors.models import Vendor

        seeded = Vendor.objects.filter(credit_code__startswith=BENCH_CREDIT_CODE_PREFIXES[0])
        if not seeded.exclude(credit_code=VENDOR_CREDIT_CODE).exists() and not allow:
            raise CommandError(
                "No benchmark seed here (vendors with BENCH credit codes): copy the seeded "
                "template (createdb -T) or seed with bench_compliance_sweep --seed-only, or "
                "pass --allow-existing-data."
            )

    @transaction.atomic
    def _seed(self) -> tuple[str, list[int], list[int]]:
        from catalog.models import Product, Specification
        from orders.models import SCOPE_PRESETS, Refund, ServiceAccount
        from orders.services import service_account_create, service_account_rotate_token
        from vendors.models import Category, Store, Vendor

        vendor, _ = Vendor.objects.get_or_create(
            credit_code=VENDOR_CREDIT_CODE,
            defaults={
                "name": "Bench API vendor",
                "cloud_account_id": "bench-api-vendor",
                "status": Vendor.Status.ACTIVE,
            },
        )
        Store.objects.get_or_create(vendor=vendor, defaults={"name": "Bench API store"})
        category = Category.objects.order_by("pk").first() or Category.objects.create(
            code="software", name="软件服务"
        )
        specs = []
        for kind in KINDS:
            for n in range(PRODUCTS_PER_KIND):
                product, _ = Product.objects.get_or_create(
                    vendor=vendor,
                    title=f"Bench API {kind} {n + 1}",
                    defaults={
                        "kind": kind,
                        "saas_delivered": kind == "saas",
                        "category": category,
                        "status": Product.Status.LISTED,
                    },
                )
                spec, _ = Specification.objects.get_or_create(
                    product=product, name="Bench standard", defaults={"price": PRICE}
                )
                specs.append(spec.pk)
        account = ServiceAccount.objects.filter(name=ACCOUNT_NAME).first()
        if account is None:
            _account, token = service_account_create(
                name=ACCOUNT_NAME,
                channel=CHANNEL,
                operations=list(SCOPE_PRESETS["storefront"]),
                actor=None,
            )
        else:
            token = service_account_rotate_token(account=account, actor=None)
        refunds = list(
            Refund.objects.filter(order__channel=CHANNEL)
            .order_by("pk")
            .values_list("pk", flat=True)[:5000]
        )
        return token, specs, refunds

    # --- one run: a server, warm-up, three phases ------------------------------------------

    def _run(
        self, number: int, token: str, specs: list[int], refunds: list[int], options: Any
    ) -> dict[str, PhaseResult]:
        stats_dir = Path(tempfile.mkdtemp(prefix="bench_api_"))
        port = _free_port()
        server = self._start_server(port, stats_dir, options["workers"])
        results: dict[str, PhaseResult] = {}
        try:
            _wait_until_listening(port, server, stats_dir)
            tag = f"{number}{secrets.token_hex(3)}"
            paid_at = (timezone.now() - dt.timedelta(minutes=1)).astimezone(
                dt.timezone(dt.timedelta(hours=8))
            )
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

            def order_body(i: int) -> bytes:
                return json.dumps(
                    {
                        "external_id": f"BAPI-{tag}-{i}",
                        "buyer_account_id": f"2000{i % 100000}",
                        "specification_id": specs[i % len(specs)],
                        "amount": str(PRICE),
                        "paid_at": paid_at.isoformat(),
                    }
                ).encode()

            # Warm-up: every worker connects, loads its code paths and caches.
            n_warm = 10 * options["workers"]
            warm = [
                Call("POST", "/api/v1/orders/", order_body(-1 - i), "warmup") for i in range(n_warm)
            ]
            warm += [
                Call("POST", "/api/v1/orders/", order_body(-1 - i), "warmup") for i in range(n_warm)
            ]
            if refunds:
                warm += [
                    Call("GET", f"/api/v1/refunds/{refunds[i % len(refunds)]}/", None, "warmup")
                    for i in range(n_warm)
                ]
            _drive(port, headers, iter(warm), options["concurrency"])

            count = options["requests"]
            calls = {
                "create": (
                    Call("POST", "/api/v1/orders/", order_body(i), "create") for i in range(count)
                ),
                "retry": (
                    Call("POST", "/api/v1/orders/", order_body(i), "retry") for i in range(count)
                ),
            }
            if refunds:
                calls["read"] = (
                    Call(
                        "GET",
                        f"/api/v1/refunds/{refunds[(i * 7919) % len(refunds)]}/",
                        None,
                        "read",
                    )
                    for i in range(count)
                )
            for phase, phase_calls in calls.items():
                results[phase] = _drive(port, headers, phase_calls, options["concurrency"], phase)
        finally:
            _stop(server)
        _merge_server_stats(results, stats_dir)
        shutil.rmtree(stats_dir, ignore_errors=True)
        return results

    def _start_server(self, port: int, stats_dir: Path, workers: int) -> subprocess.Popen:
        hooks = stats_dir / "gunicorn_hooks.py"
        hooks.write_text(GUNICORN_HOOKS)
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),  # the database this command is connected to
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback, as behind a proxy
            "DJANGO_DEBUG": "0",
            "API_THROTTLE_RATE": "1000000/second",
            "BENCH_API_STATS_DIR": str(stats_dir),
        }
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
        command = [
            str(gunicorn),
            "marketplace.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{port}",
            "--config",
            str(hooks),
            "--log-level",
            "warning",
        ]
        # The child keeps its own copy of the log's descriptor.
        with open(stats_dir / "gunicorn.log", "wb") as log:
            return subprocess.Popen(  # noqa: S603 - our own fixed command line
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    # --- reports --------------------------------------------------------------------------

    def _print_run(self, number: int, results: dict[str, PhaseResult], load: str) -> None:
        self.stdout.write(f"run {number} (load before it: {load}; after: {_load()})")
        self.stdout.write(
            f"  {'phase':<7} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} "
            f"{'p95 ms':>7} {'max ms':>7} {'queries/req':>11} {'CPU ms/req':>10}"
        )
        for phase, r in results.items():
            self.stdout.write(
                f"  {phase:<7} {r.requests:>8} {r.errors:>6} {r.rate:>7.0f} {r.pct(0.5):>7.1f} "
                f"{r.pct(0.95):>7.1f} {max(r.latencies_ms, default=0):>7.1f} "
                f"{_fmt(r.queries, 2):>11} {_fmt(r.cpu_ms, 1):>10}"
            )

    def _summary(self, runs: list[dict[str, PhaseResult]], options: Any) -> dict[str, Any]:
        summary: dict[str, Any] = {}
        for phase in PHASES:
            rows = [run[phase] for run in runs if phase in run]
            if not rows:
                continue
            rates = [r.rate for r in rows]
            p95s = [r.pct(0.95) for r in rows]
            entry: dict[str, Any] = {
                "req_s": round(statistics.median(rates), 1),
                "req_s_range": f"{min(rates):.0f}–{max(rates):.0f}",
                "p50_ms": round(statistics.median(r.pct(0.5) for r in rows), 1),
                "p95_ms": round(statistics.median(p95s), 1),
                "p95_ms_range": f"{min(p95s):.1f}–{max(p95s):.1f}",
                "max_ms": round(max(max(r.latencies_ms, default=0) for r in rows), 1),
                "queries_per_request": _median_or_none([r.queries for r in rows], 2),
                "cpu_ms_per_request": _median_or_none([r.cpu_ms for r in rows], 1),
                "errors": sum(r.errors for r in rows),
            }
            if phase in TARGETS:
                min_rate, max_p95, max_queries = TARGETS[phase]
                queries = entry["queries_per_request"]
                entry["target_met"] = (
                    entry["req_s"] >= min_rate
                    and (max_p95 is None or entry["p95_ms"] <= max_p95)
                    and queries is not None
                    and queries <= max_queries
                    and entry["errors"] == 0
                )
            summary[phase] = entry
        summary["setup"] = {
            "workers": options["workers"],
            "concurrency": options["concurrency"],
            "requests_per_phase": options["requests"],
            "runs": len(runs),
            "load_after": _load(),
            "nproc": os.cpu_count(),
        }
        return summary

    def _print_summary(self, summary: dict[str, Any]) -> None:
        setup = summary["setup"]
        self.stdout.write(
            f"\nmedian of {setup['runs']} runs ({setup['workers']} gunicorn workers, "
            f"{setup['concurrency']} client threads, {setup['requests_per_phase']} requests "
            f"per phase; load now {setup['load_after']})"
        )
        self.stdout.write(
            f"{'phase':<7} {'req/s':>7} {'range':>11} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'p95 range':>11} {'max ms':>7} {'queries/req':>11} {'CPU ms/req':>10} {'errors':>6}"
        )
        for phase in PHASES:
            if phase not in summary:
                continue
            e = summary[phase]
            met = {True: " target met", False: " TARGET MISSED"}.get(e.get("target_met"), "")
            self.stdout.write(
                f"{phase:<7} {e['req_s']:>7.0f} {e['req_s_range']:>11} {e['p50_ms']:>7.1f} "
                f"{e['p95_ms']:>7.1f} {e['p95_ms_range']:>11} {e['max_ms']:>7.1f} "
                f"{_fmt(e['queries_per_request'], 2):>11} {_fmt(e['cpu_ms_per_request'], 1):>10} "
                f"{e['errors']:>6}{met}"
            )


# --- the client ---------------------------------------------------------------------------


def _drive(
    port: int, headers: dict[str, str], calls: Iterator[Call], concurrency: int, phase: str = ""
) -> PhaseResult:
    """Send every call with `concurrency` threads (each waits for its answer: bounded)."""
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def worker() -> None:
        while True:
            with lock:
                call = next(calls, None)
            if call is None:
                return
            sent = {**headers, PHASE_HEADER: call.phase}
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                conn.request(call.method, call.path, body=call.body, headers=sent)
                response = conn.getresponse()
                response.read()
                status = response.status
                conn.close()
            except OSError:
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    expected = EXPECTED.get(phase)
    errors = sum(n for s, n in statuses.items() if expected is not None and s != expected)
    return PhaseResult(phase, len(latencies), errors, seconds, latencies, statuses=statuses)


def _merge_server_stats(results: dict[str, PhaseResult], stats_dir: Path) -> None:
    totals: dict[str, list[float]] = {}
    for path in stats_dir.glob("worker-*.json"):
        for key, (count, queries, cpu) in json.loads(path.read_text()).items():
            phase, status = key.split("|")
            if phase in results and int(status) == EXPECTED[phase]:
                row = totals.setdefault(phase, [0, 0, 0.0])
                row[0] += count
                row[1] += queries
                row[2] += cpu
    for phase, (count, queries, cpu) in totals.items():
        if count:
            results[phase].queries = queries / count
            results[phase].cpu_ms = cpu / count * 1000


# --- the server process ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_until_listening(port: int, server: subprocess.Popen, stats_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = (stats_dir / "gunicorn.log").read_text(errors="replace")[-3000:]
            raise CommandError(f"gunicorn exited ({server.returncode}):\n{log}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError("gunicorn did not start listening within 60 s")


def _stop(server: subprocess.Popen) -> None:
    """A graceful stop: the workers write their counts on exit."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- small helpers -------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(db['NAME'], safe='')}"


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _fmt(value: float | None, places: int) -> str:
    return "n/a" if value is None else f"{value:.{places}f}"


def _median_or_none(values: list[float | None], places: int) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), places) if known else None
