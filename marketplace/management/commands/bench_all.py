"""`manage.py bench_all`: every benchmark on copies of one seed, and one table of the results.

    manage.py bench_all [--template bench_seed] [--reseed] [--runs 5] [--out FILE]
                        [--only sweep,settlement,admin,vendor,api,events,penalty]

1. Seeds once into the template database (`bench_compliance_sweep --seed-only`, then
   `VACUUM ANALYZE`); an existing template is reused unless `--reseed`.
2. For each benchmark: a fresh copy (`CREATE DATABASE … TEMPLATE`, what `createdb -T` does),
   migrated (new indexes), then the benchmark in a subprocess whose DATABASE_URL names the
   copy, then the copy is dropped (`--keep-copies` keeps it):
   the compliance sweep (`bench_compliance_sweep --skip-seed`), settlement
   (`bench_settlement`), admin pages (`bench_admin_pages`), vendor pages
   (`bench_vendor_pages`), the API load (`bench_api --json`), the event feed and refund
   payment reports (`bench_events`) and the penalty import (`bench_penalty_import`).
3. Prints one markdown table (and writes it to `--out`) with the machine's load (`uptime`,
   and the 1-minute load before and after each benchmark), nproc, PostgreSQL version, date.

Safety: it only ever creates or drops the template it was given (or the default
`bench_seed`) and copies named `<copy prefix>_<benchmark>`, whose prefix must start with
`bench_`; never the database Django is configured with, nor PostgreSQL's own. Each benchmark
refuses a database holding non-benchmark data (marketplace/benchguard.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

STEPS = ("sweep", "settlement", "admin", "vendor", "api", "events", "penalty")
DEFAULT_TEMPLATE = "bench_seed"
DEFAULT_COPY_PREFIX = "bench_run"
DERIVED_PREFIX = "bench_"
RESERVED = {"postgres", "template0", "template1"}
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")
EMPTY_DB_STEPS = ("penalty",)  # benchmarks that seed their own data into an empty database
SETTLEMENT_COMMAND = "bench_settlement"
SETTLEMENT_TARGET_S = 60  # issue 14: 10,000 vendors and 2,000,000 orders in one run
EVENTS_COMMAND = "bench_events"
API_COMMAND = "bench_api"
MANAGE = Path(settings.BASE_DIR) / "manage.py"


# --- database names -------------------------------------------------------------------------


def check_names(*, template: str, copy_prefix: str, configured: str) -> None:
    """Refuse any name this command could create or drop that it may not touch."""
    for label, name in (("--template", template), ("--copy-prefix", copy_prefix)):
        if not NAME_RE.match(name):
            raise CommandError(
                f"{label} {name!r}: use lower-case letters, digits and '_' (at most 51)"
            )
        if name in RESERVED:
            raise CommandError(f"{label} {name!r} is PostgreSQL's own database")
        if name == configured:
            raise CommandError(
                f"{label} {name!r} is the database Django is configured with (DATABASE_URL); "
                "bench_all creates and drops its databases, so give it other names"
            )
    if not copy_prefix.startswith(DERIVED_PREFIX):
        raise CommandError(
            f"--copy-prefix {copy_prefix!r} must start with {DERIVED_PREFIX!r}: the copies are "
            "created and dropped, and only bench_ names are"
        )
    for step in STEPS:
        if copy_name(copy_prefix, step) in (template, configured):
            raise CommandError(f"the copy for {step} would be named like the template")


def copy_name(prefix: str, step: str) -> str:
    return f"{prefix}_{step}"


# --- parsing the benchmarks' output -----------------------------------------------------------


@dataclass
class Row:
    benchmark: str
    result: str
    target: str = ""
    met: str = ""  # "yes", "no" or "" (no target)
    load: str = ""
    seconds: float | None = None
    details: list[str] = field(default_factory=list)


def parse_sweep(text: str) -> tuple[str, str]:
    """(result, met) from bench_compliance_sweep's report (its `total` line: raw | 1st | 2nd,
    each section's first number being the seconds, whatever columns follow)."""
    line = next((ln for ln in text.splitlines() if ln.startswith("total ")), "")
    parts = line.split("|")
    numbers = [re.search(r"\d+\.\d+", part) for part in parts]
    ratios = re.search(
        r"first run / raw aggregates = ([\d.]+)x; second run / raw aggregates = "
        r"([\d.]+)x; errors: (\d+)",
        text,
    )
    if len(numbers) != 3 or not all(numbers) or not ratios:
        return "no report (see the log)", "no"
    raw, first, second = (float(m[0]) for m in numbers)
    r1, r2, errors = float(ratios[1]), float(ratios[2]), int(ratios[3])
    result = (
        f"raw aggregates {raw:.2f} s; 1st run {first:.2f} s ({r1:.2f}×); "
        f"daily run {second:.2f} s ({r2:.2f}×); errors {errors}"
    )
    met = "yes" if r1 <= 3 and r2 <= 1.5 and first < 60 and errors == 0 else "no"
    return result, met


ADMIN_LINE = re.compile(
    r"^(?P<url>/\S+)(?: \[(?P<status>\d+)\])?\s+(?P<median>\d+)\s+(?P<min>\d+)–(?P<max>\d+)\s+"
    r"(?P<queries>\d+)\s+(?P<kb>\d+)\s*$"
)


def parse_admin(text: str) -> list[dict[str, Any]]:
    """bench_admin_pages' lines: url, status, median, min, max ms, queries, KB."""
    rows = []
    for line in text.splitlines():
        m = ADMIN_LINE.match(line.strip())
        if m:
            row: dict[str, Any] = {
                k: int(v)
                for k, v in m.groupdict().items()
                if k not in ("url", "status") and v is not None
            }
            row["url"] = m["url"]
            row["status"] = int(m["status"]) if m["status"] else 200
            rows.append(row)
    return rows


# The admin pages issue 11 names, with their targets (ms).
ADMIN_KEY_PAGES = [
    ("/admin/orders/order/", "orders list", 300),
    ("/admin/orders/order/?q=", "orders, search by order ID", 100),
    ("/admin/orders/order/?vendor__id__exact=", "orders, one vendor", 300),
    ("/admin/orders/refund/", "refunds list", 200),
    ("/admin/catalog/product/", "products list", 200),
]


def admin_rows(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(benchmark, result, target, met) rows for the admin timings."""
    if not rows:
        return [("admin pages", "no timings (see the log)", "", "no")]
    medians = [r["median"] for r in rows]
    slowest = max(rows, key=lambda r: r["median"])
    over = [r for r in rows if r["median"] > 300]
    bad = [r for r in rows if r["status"] != 200]
    out = [
        (
            "admin pages: every changelist and change page",
            f"{len(rows)} pages; median of medians {statistics.median(medians):.0f} ms; slowest "
            f"{slowest['url']} {slowest['median']} ms; over 300 ms: {len(over)}"
            + (f"; not 200: {len(bad)}" if bad else ""),
            "≤ 300 ms each",
            "yes" if not over and not bad else "no",
        )
    ]
    for prefix, label, target in ADMIN_KEY_PAGES:
        match = next(
            (
                r
                for r in rows
                if r["url"] == prefix or ("?" in prefix and r["url"].startswith(prefix))
            ),
            None,
        )
        if match:
            out.append(
                (
                    f"admin: {label}",
                    f"{match['median']} ms ({match['min']}–{match['max']}), "
                    f"{match['queries']} queries, {match['kb']} KB",
                    f"≤ {target} ms",
                    "yes" if match["median"] <= target else "no",
                )
            )
    return out


def vendor_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    pages = data.get("pages", [])
    timed = [p for p in pages if p.get("median_ms") is not None]
    target = data.get("target_ms", 100)
    if not timed:
        return [("vendor pages", "no timings (see the log)", f"≤ {target} ms each", "no")]
    slowest = max(timed, key=lambda p: p["median_ms"])
    over = [p for p in timed if p["median_ms"] > target]
    skipped = len(pages) - len(timed)
    orders = next((p for p in timed if p["url"] == "/vendor/orders/"), None)
    result = (
        f"vendor {data.get('vendor_id')} ({data.get('orders', 0):,} orders): {len(timed)} pages "
        f"timed, median of medians {statistics.median(p['median_ms'] for p in timed):.0f} ms; "
        f"slowest {slowest['url']} {slowest['median_ms']:.0f} ms; over {target} ms: {len(over)}"
    )
    if orders:
        result += f"; /vendor/orders/ {orders['median_ms']:.0f} ms, {orders['queries']} queries"
    if skipped:
        result += f"; {skipped} not timed (POST only or no object)"
    return [("vendor pages", result, f"≤ {target} ms each", "no" if over else "yes")]


PENALTY_LINE = re.compile(r"^(dry run|import)\s+([\d.]+) s\s+([\d,]+) rows/s", re.M)


def parse_penalty(text: str) -> tuple[str, str]:
    found = {label: (seconds, rate) for label, seconds, rate in PENALTY_LINE.findall(text)}
    rss = re.findall(r"peak RSS ([\d,]+) MB", text)
    if "import" not in found:
        return "no report (see the log)", "no"
    seconds, rate = found["import"]
    result = f"import {seconds} s, {rate} rows/s"
    if "dry run" in found:
        result = f"dry run {found['dry run'][0]} s, {found['dry run'][1]} rows/s; " + result
    if rss:
        result += f"; peak RSS {rss[-1]} MB"
    return result, "yes" if int(rate.replace(",", "")) >= 5000 else "no"


SETTLEMENT_RUN = re.compile(
    r"^\s*run (\S+)\s+([\d.]+) s\s+(\d+) queries\s+([\d,]+) statements\s+([\d,]+) lines", re.M
)
SETTLEMENT_RERUN = re.compile(r"rerun \S+ \(idempotent\)\s+([\d.]+) s\s+(\d+) queries")
SETTLEMENT_TOTAL = re.compile(
    r"settlement total ([\d.]+) s for ([\d,]+) orders and ([\d,]+) vendors"
)


def parse_settlement(text: str) -> tuple[str, str]:
    """bench_settlement's report: the run's seconds against the issue-14 target."""
    total = SETTLEMENT_TOTAL.search(text)
    runs = SETTLEMENT_RUN.findall(text)
    if not total or not runs:
        return "no report (see the log)", "no"
    seconds, orders, vendors = total.groups()
    _period, _s, queries, statements, lines = runs[-1]
    result = (
        f"{orders} orders, {vendors} vendors: {seconds} s, {queries} queries, "
        f"{statements} statements, {lines} lines"
    )
    rerun = SETTLEMENT_RERUN.search(text)
    if rerun:
        result += f"; rerun (idempotent) {rerun.group(1)} s"
    return result, "yes" if float(seconds) < SETTLEMENT_TARGET_S else "no"


EVENTS_LINE = re.compile(
    r"^(feed pages of 100|feed empty poll|payment first report|payment retry[^:]*): (.+)$", re.M
)


def events_rows(text: str) -> list[tuple[str, str, str, str]]:
    """bench_events' report: a row per phase (no target was set for these)."""
    rows = [(f"events: {name}", figures, "", "") for name, figures in EVENTS_LINE.findall(text)]
    return rows or [("events", "no report (see the log)", "", "no")]


API_TARGETS = {"create": "≥ 300 req/s, p95 ≤ 50 ms", "retry": "≥ 600 req/s"}  # issue 11


def api_rows(text: str) -> list[tuple[str, str, str, str]]:
    """bench_api --json (one JSON object on a line of its own): a row per phase."""
    data = None
    for line in text.splitlines():
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                continue
    if not isinstance(data, dict):
        return [("API load", "no JSON report (see the log)", "", "no")]
    rows = []
    for key, value in data.items():
        if not isinstance(value, dict):
            rows.append((f"API: {key}", str(value)[:300], "", ""))
            continue
        shown = ", ".join(
            f"{k} {v}"
            for k, v in value.items()
            if k != "target_met" and not isinstance(v, dict | list)
        )
        met = value.get("target_met")
        verdict = "" if met is None else ("yes" if met else "no")
        rows.append((f"API: {key}", shown[:400], API_TARGETS.get(key, ""), verdict))
    return rows


# --- the command ------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Seed once, run every benchmark on a fresh copy, print one markdown table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--template", default=DEFAULT_TEMPLATE, help="seeded template DB")
        parser.add_argument(
            "--copy-prefix", default=DEFAULT_COPY_PREFIX, help="copies: <prefix>_<benchmark>"
        )
        parser.add_argument("--reseed", action="store_true", help="drop and seed the template")
        parser.add_argument("--keep-copies", action="store_true")
        parser.add_argument("--vendors", type=int, default=10_000)
        parser.add_argument("--products", type=int, default=50_000)
        parser.add_argument("--orders", type=int, default=2_000_000)
        parser.add_argument("--runs", type=int, default=5, help="requests per page timed")
        parser.add_argument("--penalty-rows", type=int, default=100_000)
        parser.add_argument("--only", default="", help=f"comma-separated of {','.join(STEPS)}")
        parser.add_argument("--out", default="", help="also write the table to this file")
        parser.add_argument("--log-dir", default="", help="keep each benchmark's output here")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds per benchmark")

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASES["default"]
        template, prefix = options["template"], options["copy_prefix"]
        check_names(template=template, copy_prefix=prefix, configured=str(db.get("NAME", "")))
        steps = [s.strip() for s in options["only"].split(",") if s.strip()] or list(STEPS)
        unknown = sorted(set(steps) - set(STEPS))
        if unknown:
            raise CommandError(f"unknown benchmark(s) {', '.join(unknown)}: {', '.join(STEPS)}")
        if db["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError(
                "bench_all needs PostgreSQL: set DATABASE_URL (any database on "
                "the server; it is not written)"
            )
        self.db = db
        self.options = options
        self.log_dir = Path(options["log_dir"]) if options["log_dir"] else None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        commands = get_commands()

        seed_note = self.ensure_template(template, options)
        rows: list[Row] = []
        runners: dict[str, Callable[[str], list[tuple[str, str, str, str]]]] = {
            "sweep": self.run_sweep,
            "admin": self.run_admin,
            "vendor": self.run_vendor,
            "penalty": self.run_penalty,
        }
        if API_COMMAND in commands:
            runners["api"] = self.run_api
        if SETTLEMENT_COMMAND in commands:
            runners["settlement"] = self.run_settlement
        if EVENTS_COMMAND in commands:
            runners["events"] = self.run_events
        for step in steps:
            if step not in runners:
                text = "not available"
                rows.append(Row(benchmark=step, result=text))
                self.stderr.write(f"{step}: {text}")
                continue
            # The penalty import seeds vendors of its own, whose cloud accounts (bench-<n>)
            # are the sweep seed's too: it runs on an empty migrated database instead.
            source = None if step in EMPTY_DB_STEPS else template
            rows.extend(self.run_on_copy(step, copy_name(prefix, step), source, runners[step]))
        table = self.render(rows, template, seed_note)
        self.stdout.write(table)
        if options["out"]:
            Path(options["out"]).write_text(table, encoding="utf-8")

    # --- databases ---------------------------------------------------------------------------

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            dbname=dbname,
            host=self.db.get("HOST") or None,
            port=self.db.get("PORT") or None,
            user=self.db.get("USER") or None,
            password=self.db.get("PASSWORD") or None,
            autocommit=True,  # CREATE/DROP DATABASE and VACUUM refuse a transaction
        )

    def admin_sql(self, *statements: str, dbname: str = "postgres") -> list[Any]:
        """Run statements (names already checked by check_names) outside a transaction."""
        out = []
        with self.connect(dbname) as conn:
            for sql in statements:
                cur = conn.execute(sql)
                out.append(cur.fetchall() if cur.description else None)
        return out

    def exists(self, name: str) -> bool:
        with self.connect() as conn:
            return bool(
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            )

    def create_copy(self, name: str, template: str) -> None:
        """`createdb -T`: retried while another session (another benchmark) uses the template."""
        import psycopg

        self.drop(name)
        for attempt in range(30):
            try:
                self.admin_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 29:
                    raise
                time.sleep(5)

    def drop(self, name: str) -> None:
        # Only names check_names accepted reach here (the template, or a bench_ copy).
        self.admin_sql(f'DROP DATABASE IF EXISTS "{name}"')

    def url_for(self, name: str) -> str:
        user = quote(str(self.db.get("USER") or ""), safe="")
        password = quote(str(self.db.get("PASSWORD") or ""), safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = self.db.get("HOST") or "127.0.0.1"
        port = self.db.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{name}"

    def manage(self, name: str, *args: str, label: str = "") -> tuple[int, str, float]:
        """Run `manage.py args…` against database `name`: (exit status, output, seconds)."""
        env = {**os.environ, "DATABASE_URL": self.url_for(name), "PYTHONUNBUFFERED": "1"}
        started = time.perf_counter()
        try:
            done = subprocess.run(  # noqa: S603 -- our interpreter, manage.py, our arguments
                [sys.executable, str(MANAGE), *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=self.options["timeout"],
                check=False,
            )
            status, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            status = -1
            output = f"{exc.stdout or ''}{exc.stderr or ''}\ntimed out after {exc.timeout} s"
        seconds = time.perf_counter() - started
        if self.log_dir and label:
            (self.log_dir / f"{label}.log").write_text(output, encoding="utf-8")
        return status, output, seconds

    def ensure_template(self, template: str, options: dict[str, Any]) -> str:
        if self.exists(template) and not options["reseed"]:
            self.stderr.write(f"template {template} exists: not reseeded (--reseed to redo)")
            return "reused"
        self.drop(template)
        self.admin_sql(f'CREATE DATABASE "{template}"')
        status, output, migrate_s = self.manage(
            template, "migrate", "--noinput", label="seed-migrate"
        )
        if status != 0:
            raise CommandError(f"migrate on {template} failed:\n{output[-2000:]}")
        sizes = [
            f"--vendors={options['vendors']}",
            f"--products={options['products']}",
            f"--orders={options['orders']}",
        ]
        status, output, seed_s = self.manage(
            template, "bench_compliance_sweep", "--seed-only", *sizes, label="seed"
        )
        if status != 0:
            raise CommandError(f"seeding {template} failed:\n{output[-2000:]}")
        started = time.perf_counter()
        self.admin_sql("VACUUM ANALYZE", dbname=template)
        vacuum_s = time.perf_counter() - started
        note = (
            f"seeded now: migrate {migrate_s:.0f} s, seed {seed_s:.0f} s, "
            f"VACUUM ANALYZE {vacuum_s:.0f} s"
        )
        self.stderr.write(note)
        return note

    def run_on_copy(
        self, step: str, copy: str, template: str | None, runner: Callable[[str], list]
    ) -> list[Row]:
        if template is None:
            self.stderr.write(f"{step}: empty database {copy}")
            self.drop(copy)
            self.admin_sql(f'CREATE DATABASE "{copy}"')
        else:
            self.stderr.write(f"{step}: copying {template} to {copy}")
            self.create_copy(copy, template)
        try:
            status, output, _ = self.manage(copy, "migrate", "--noinput", label=f"{step}-migrate")
            if status != 0:
                return [Row(benchmark=step, result="migrate failed (see the log)", met="no")]
            if "Applying " in output:  # new indexes since the seed: give the planner their stats
                self.admin_sql("ANALYZE", dbname=copy)
            before = os.getloadavg()[0]
            started = time.perf_counter()
            results = runner(copy)
            seconds = time.perf_counter() - started
            after = os.getloadavg()[0]
        finally:
            if not self.options["keep_copies"]:
                self.drop(copy)
        load = f"{before:.1f} → {after:.1f}"
        return [
            Row(
                benchmark=b,
                result=r,
                target=t,
                met=m,
                load=load,
                seconds=seconds if i == 0 else None,
            )
            for i, (b, r, t, m) in enumerate(results)
        ]

    # --- the benchmarks ----------------------------------------------------------------------

    def run_sweep(self, copy: str) -> list[tuple[str, str, str, str]]:
        status, output, _ = self.manage(
            copy, "bench_compliance_sweep", "--skip-seed", label="sweep"
        )
        result, met = parse_sweep(output) if status == 0 else (f"failed ({status})", "no")
        return [("compliance sweep", result, "1st ≤ 3×, daily ≤ 1.5× raw; < 60 s", met)]

    def run_settlement(self, copy: str) -> list[tuple[str, str, str, str]]:
        status, output, _ = self.manage(copy, SETTLEMENT_COMMAND, label="settlement")
        result, met = parse_settlement(output) if status == 0 else (f"failed ({status})", "no")
        return [("settlement", result, f"< {SETTLEMENT_TARGET_S} s", met)]

    def run_events(self, copy: str) -> list[tuple[str, str, str, str]]:
        status, output, _ = self.manage(copy, EVENTS_COMMAND, label="events")
        return events_rows(output) if status == 0 else [("events", f"failed ({status})", "", "no")]

    def run_admin(self, copy: str) -> list[tuple[str, str, str, str]]:
        runs = str(self.options["runs"])
        status, output, _ = self.manage(copy, "bench_admin_pages", "--runs", runs, label="admin")
        if status != 0:
            return [("admin pages", f"failed ({status})", "", "no")]
        return admin_rows(parse_admin(output))

    def run_vendor(self, copy: str) -> list[tuple[str, str, str, str]]:
        runs = str(self.options["runs"])
        status, output, _ = self.manage(
            copy, "bench_vendor_pages", "--runs", runs, "--json", label="vendor"
        )
        if status != 0:
            return [("vendor pages", f"failed ({status})", "", "no")]
        line = next((ln for ln in output.splitlines() if ln.startswith("{")), "{}")
        return vendor_rows(json.loads(line))

    def run_api(self, copy: str) -> list[tuple[str, str, str, str]]:
        status, output, _ = self.manage(copy, API_COMMAND, "--json", label="api")
        if status != 0:
            return [("API load", f"failed ({status})", "", "no")]
        return api_rows(output)

    def run_penalty(self, copy: str) -> list[tuple[str, str, str, str]]:
        rows = str(self.options["penalty_rows"])
        status, output, _ = self.manage(
            copy, "bench_penalty_import", "--rows", rows, label="penalty"
        )
        result, met = parse_penalty(output) if status == 0 else (f"failed ({status})", "no")
        return [("penalty import", result, "≥ 5,000 rows/s", met)]

    # --- the table ---------------------------------------------------------------------------

    def render(self, rows: list[Row], template: str, seed_note: str) -> str:
        version = self.admin_sql("SHOW server_version")[0][0][0]
        uptime_bin = shutil.which("uptime")
        uptime = (
            subprocess.run(  # noqa: S603 -- the system's uptime, no arguments
                [uptime_bin], capture_output=True, text=True, check=False
            ).stdout.strip()
            if uptime_bin
            else "load average: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        )
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"Benchmarks of {now} on template `{template}` ({seed_note}); "
            f"nproc {os.cpu_count()}; PostgreSQL {version}; `uptime` at the end: {uptime}",
            "",
            "| benchmark | result | target | met | load (1 min) before → after | wall s |",
            "|---|---|---|---|---|---:|",
        ]
        for row in rows:
            seconds = f"{row.seconds:.0f}" if row.seconds is not None else ""
            result = row.result.replace("|", "\\|")
            cells = [row.benchmark, result, row.target, row.met, row.load, seconds]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
