"""Benchmarks write millions of made-up rows: they run only on a database of their own.

Issue 8 §3: every `bench_*` command refuses a database that already holds data other than
its own benchmark rows, unless the operator passes `--allow-existing-data`.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.db.models import Q

# Credit codes the benchmark commands give their vendors (bench_compliance_sweep: "BENCH…",
# bench_penalty_import: "9252…").
BENCH_CREDIT_CODE_PREFIXES = ("BENCH", "9252")
BENCH_USERNAME_PREFIX = "bench"  # the benchmark's own sign-in (bench_admin_pages)
ALLOW_FLAG = "--allow-existing-data"


def add_allow_flag(parser: CommandParser) -> None:
    parser.add_argument(
        ALLOW_FLAG,
        dest="allow_existing_data",
        action="store_true",
        help="run even though the database holds non-benchmark data (never on production)",
    )


def non_benchmark_data() -> list[str]:
    """What in the database was not made by a benchmark (empty: a benchmark database)."""
    found = []
    if get_user_model().objects.exclude(username__startswith=BENCH_USERNAME_PREFIX).exists():
        found.append("user accounts")
    Vendor = apps.get_model("vendors", "Vendor")
    own = Q()
    for prefix in BENCH_CREDIT_CODE_PREFIXES:
        own |= Q(credit_code__startswith=prefix)
    if Vendor.objects.exclude(own).exists():
        found.append("vendors")
    return found


def refuse_existing_data(*, allow: bool) -> None:
    if allow:
        return
    found = non_benchmark_data()
    if found:
        raise CommandError(
            f"this database already holds non-benchmark data ({', '.join(found)}); run the "
            f"benchmark on a database of its own, or pass {ALLOW_FLAG} if you mean it"
        )
