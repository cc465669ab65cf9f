"""bench_vendor_pages and bench_all (issue 11): their guards, URL discovery and report parsing
on a small database. No wall time is asserted: these are benchmarks' plumbing, not timings."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import URLResolver, get_resolver, reverse

from marketplace.management.commands import bench_all
from marketplace.management.commands.bench_vendor_pages import (
    BENCH_USER,
    ID_SOURCES,
    vendor_pages,
)
from orders.models import Order
from tests.factories import UserFactory, VendorFactory
from tests.orders.factories import make_order
from vendors.models import Vendor, VendorStaff

pytestmark = pytest.mark.django_db


def _vendor_names_in_urlconf() -> set[str]:
    """The names Django itself can reverse in the `vendor` namespace."""
    resolver = next(
        e
        for e in get_resolver().url_patterns
        if isinstance(e, URLResolver) and e.namespace == "vendor"
    )
    return {key for key in resolver.reverse_dict if isinstance(key, str)}


# --- URL discovery ------------------------------------------------------------------------------


def test_issue_11_every_vendor_page_is_discovered_from_the_urlconf():
    pages = vendor_pages()
    names = {page.name for page in pages}
    assert names == _vendor_names_in_urlconf()
    assert {"home", "orders", "refunds", "product_list", "compliance_cases", "deposit"} <= names
    for page in pages:
        assert page.route.startswith("vendor/")
    by_name = {page.name: page for page in pages}
    assert by_name["orders"].params == ()
    assert by_name["refund_agree"].params == ("pk",)


def test_issue_11_every_vendor_page_with_an_id_has_a_source_of_the_vendors_own_objects():
    """A new vendor page with an id must say where the benchmark takes that id from."""
    missing = [p.name for p in vendor_pages() if p.params and p.name not in ID_SOURCES]
    assert missing == []


# --- bench_vendor_pages: guards -----------------------------------------------------------------


@pytest.mark.parametrize("existing", ["user", "vendor"])
def test_issue_8_3_vendor_page_benchmark_refuses_a_database_with_real_data(existing):
    if existing == "user":
        UserFactory(username="real-reviewer", is_staff=True)
    else:
        VendorFactory(name="Real vendor Co., Ltd.")
    users = get_user_model().objects.count()
    with pytest.raises(CommandError, match="--allow-existing-data"):
        call_command("bench_vendor_pages", "--runs", "1", stdout=io.StringIO())
    assert get_user_model().objects.count() == users  # no benchmark sign-in made
    assert not VendorStaff.objects.exists()


def test_issue_11_vendor_page_benchmark_refuses_a_database_without_the_seed():
    with pytest.raises(CommandError, match="No benchmark seed"):
        call_command("bench_vendor_pages", "--runs", "1", stdout=io.StringIO())
    assert not get_user_model().objects.exists()


def _bench_vendor(n: int) -> Vendor:
    return VendorFactory(
        name=f"Bench vendor {n}", credit_code=f"BENCH{n:013d}", cloud_account_id=f"bench-{n}"
    )


def test_issue_11_vendor_page_benchmark_signs_in_for_the_vendor_with_most_orders():
    busy, quiet = _bench_vendor(1), _bench_vendor(2)
    for _ in range(3):
        make_order(vendor=busy)
    make_order(vendor=quiet)
    out = io.StringIO()
    call_command("bench_vendor_pages", "--runs", "1", "--json", stdout=out)
    report = json.loads(out.getvalue())

    assert report["vendor_id"] == busy.pk
    assert report["orders"] == 3
    staff = VendorStaff.objects.get(user__username=BENCH_USER)
    assert staff.vendor == busy and not staff.user.is_staff
    pages = {p["url"]: p for p in report["pages"]}
    assert pages["/vendor/orders/"]["status"] == 200
    assert isinstance(pages["/vendor/orders/"]["queries"], int)
    assert pages["/vendor/"]["status"] == 200
    # Ids come from the busy vendor's own objects, never another vendor's.
    own_product = Order.objects.filter(vendor=busy).order_by("-pk").first().product_id
    product_ids = {o.product_id for o in Order.objects.filter(vendor=busy)}
    detail = [p for p in report["pages"] if p["name"] == "product_detail"]
    assert detail and detail[0]["url"] == reverse("vendor:product_detail", args=[max(product_ids)])
    assert own_product in product_ids
    # A POST-only page is listed, not timed; a page without an object says so.
    submit = next(p for p in report["pages"] if p["name"] == "product_submit")
    assert submit["status"] == 405 and submit["median_ms"] is None
    case = next(p for p in report["pages"] if p["name"] == "compliance_case")
    assert case["note"] == "the vendor has none" and case["median_ms"] is None
    # Its own sign-in does not make the next run refuse; it moves to the busiest vendor.
    call_command(
        "bench_vendor_pages", "--runs", "1", "--vendor", str(quiet.pk), stdout=io.StringIO()
    )
    assert VendorStaff.objects.get(user__username=BENCH_USER).vendor == quiet


# --- bench_all: database names --------------------------------------------------------------------


@pytest.mark.parametrize(
    "template,prefix,message",
    [
        ("postgres", "bench_run", "PostgreSQL's own"),
        ("template1", "bench_run", "PostgreSQL's own"),
        ("bench_seed", "run", "must start with 'bench_'"),
        ("bench_seed", "prod_copy", "must start with 'bench_'"),
        ("Bench-Seed", "bench_run", "lower-case"),
        ('x"; DROP DATABASE y; --', "bench_run", "lower-case"),
        ("marketplace", "bench_run", "configured with"),
        ("bench_seed", "marketplace", "configured with"),
        ("bench_run_sweep", "bench_run", "named like the template"),
    ],
)
def test_issue_11_bench_all_refuses_database_names_it_may_not_create_or_drop(
    template, prefix, message
):
    with pytest.raises(CommandError, match=message):
        bench_all.check_names(template=template, copy_prefix=prefix, configured="marketplace")


def test_issue_11_bench_all_accepts_a_given_template_and_derives_bench_copies():
    bench_all.check_names(template="sweep_seed", copy_prefix="bench_run", configured="other")
    assert bench_all.copy_name("bench_run", "sweep") == "bench_run_sweep"


def test_issue_11_bench_all_refuses_before_touching_any_database(settings):
    """Names are checked first, then the engine: nothing is created on SQLite or for a bad
    name (the command never reaches PostgreSQL)."""
    with pytest.raises(CommandError, match="must start with 'bench_'"):
        call_command("bench_all", "--copy-prefix", "live", stdout=io.StringIO())
    with pytest.raises(CommandError, match="unknown benchmark"):
        call_command("bench_all", "--only", "sweep,nonsense", stdout=io.StringIO())
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            call_command("bench_all", stdout=io.StringIO())


# --- bench_all: reading the benchmarks' reports --------------------------------------------------

SWEEP_REPORT = """
rule                 raw SQL s | 1st run s queries  acted lifted flagged | 2nd run s queries
refund_rate              0.488 |     3.191      24   2934      0       0 |     0.636      24
total                    3.000 |     9.090                               |     3.247
first run / raw aggregates = 3.03x; second run / raw aggregates = 1.08x; errors: 0
"""

# bench_admin_pages' layout (its URL column is 72 wide; narrower here).
ADMIN_REPORT = """URL                                      median ms        range ms queries     KB
/admin/orders/order/                                    91      88–94            8    107
/admin/orders/order/?q=B1339189                         26      25–28            8     36
/admin/orders/refund/                                   94      93–202           6    125
/admin/vendors/vendor/1/change/ [404]                   12      11–13            5      3
"""

PENALTY_REPORT = """database=postgresql cpus=2 python=3.11.7 file=17.4 MB rows=100000
dry run     2.70 s     36,967 rows/s  new=100000 written=0  peak RSS 250 MB
import      8.37 s     11,954 rows/s  new=100000 written=100000  peak RSS 301 MB
"""


def test_issue_11_bench_all_reads_the_sweep_report():
    result, met = bench_all.parse_sweep(SWEEP_REPORT)
    assert "1st run 9.09 s (3.03×)" in result and "daily run 3.25 s (1.08×)" in result
    assert met == "no"  # 3.03× is over 3×
    assert bench_all.parse_sweep("Traceback …")[1] == "no"


def test_issue_11_bench_all_reads_the_sweep_report_with_ratio_columns():
    report = (
        "total                    3.766 |     6.518   1.73x                               |"
        "     4.021   1.07x\n"
        "first run / raw aggregates = 1.73x; second run / raw aggregates = 1.07x; errors: 0\n"
    )
    result, met = bench_all.parse_sweep(report)
    assert result == (
        "raw aggregates 3.77 s; 1st run 6.52 s (1.73×); daily run 4.02 s (1.07×); errors 0"
    )
    assert met == "yes"


def test_issue_11_bench_all_reads_the_admin_report():
    rows = bench_all.parse_admin(ADMIN_REPORT)
    assert [r["url"] for r in rows][:2] == [
        "/admin/orders/order/",
        "/admin/orders/order/?q=B1339189",
    ]
    assert rows[2] == {
        "url": "/admin/orders/refund/",
        "status": 200,
        "median": 94,
        "min": 93,
        "max": 202,
        "queries": 6,
        "kb": 125,
    }
    table = bench_all.admin_rows(rows)
    assert table[0][3] == "no"  # a page answered 404
    search = next(r for r in table if r[0] == "admin: orders, search by order ID")
    assert search[1].startswith("26 ms") and search[3] == "yes"


def test_issue_11_bench_all_reads_the_vendor_and_penalty_reports():
    data = {
        "vendor_id": 2,
        "orders": 9073,
        "target_ms": 100,
        "pages": [
            {"url": "/vendor/orders/", "median_ms": 40.0, "queries": 8},
            {"url": "/vendor/orders/?page=182", "median_ms": 120.0, "queries": 8},
            {"url": "/vendor/orders/refunds/1/agree/", "median_ms": None, "queries": None},
        ],
    }
    (row,) = bench_all.vendor_rows(data)
    assert "over 100 ms: 1" in row[1] and "1 not timed" in row[1] and row[3] == "no"
    result, met = bench_all.parse_penalty(PENALTY_REPORT)
    assert "import 8.37 s, 11,954 rows/s" in result and met == "yes"


def test_issue_11_bench_all_reads_the_api_report_among_other_output():
    log = (
        "AXES: BEGIN version 8.3.1\n"
        '{"create": {"req_s": 58.0, "p95_ms": 201.7, "target_met": false}, '
        '"retry": {"req_s": 650.0, "target_met": true}, "setup": {"workers": 3}}\n'
        "gunicorn stopped\n"
    )
    rows = {r[0]: r for r in bench_all.api_rows(log)}
    assert rows["API: create"][1] == "req_s 58.0, p95_ms 201.7"
    assert rows["API: create"][2] == "≥ 300 req/s, p95 ≤ 50 ms" and rows["API: create"][3] == "no"
    assert rows["API: retry"][3] == "yes"
    assert rows["API: setup"][3] == ""
    assert bench_all.api_rows("Traceback …")[0][3] == "no"


SETTLEMENT_REPORT = """\
10,000 vendors, 2,000,000 orders, 2026-07 … 2026-11; load 2.96 2.54 2.42
  run 2026-11                     39.6 s   17 queries   10,000 statements   2,024,096 lines  net 1.00 CNY  load 3.22
  rerun 2026-11 (idempotent)       2.8 s   17 queries        0 statements           0 lines  net 0.00 CNY  load 3.20
settlement total 39.6 s for 2,000,000 orders and 10,000 vendors (1 run); load 3.20 2.67 2.47
"""  # noqa: E501


def test_issue_14_bench_all_reads_the_settlement_report_against_60_seconds():
    result, met = bench_all.parse_settlement(SETTLEMENT_REPORT)
    assert result.startswith("2,000,000 orders, 10,000 vendors: 39.6 s, 17 queries")
    assert "2,024,096 lines" in result and "rerun (idempotent) 2.8 s" in result
    assert met == "yes"
    slow = SETTLEMENT_REPORT.replace("total 39.6 s", "total 61.0 s")
    assert bench_all.parse_settlement(slow)[1] == "no"
    assert bench_all.parse_settlement("Traceback …") == ("no report (see the log)", "no")


def test_issue_14_bench_all_reads_the_event_feed_report():
    report = (
        "seeded in 23.1 s (postgresql)\n"
        "feed pages of 100: 203 pages, 20300 events, p50 26.6 ms, 6.0 queries/page\n"
        "feed empty poll: 200 requests, 42 req/s, p50 23.7 ms, 6.0 queries/request\n"
        "payment first report: 300 requests, 21 req/s, p50 44.4 ms, 18.0 queries/request\n"
        "payment retry (same reference): 300 requests, 43 req/s, 7.0 queries/request\n"
    )
    rows = bench_all.events_rows(report)
    assert [r[0] for r in rows] == [
        "events: feed pages of 100",
        "events: feed empty poll",
        "events: payment first report",
        "events: payment retry (same reference)",
    ]
    assert rows[2][1] == "300 requests, 21 req/s, p50 44.4 ms, 18.0 queries/request"
    assert bench_all.events_rows("Traceback …")[0][3] == "no"
