"""bench_api (issue 11): its guards, and one tiny end-to-end run through gunicorn on PostgreSQL.

No wall time is asserted: the benchmark's numbers are recorded in docs/benchmarks.md. The
end-to-end run checks the plumbing and the queries per request the gunicorn workers counted.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from catalog.models import Product
from orders.models import Order, ServiceAccount
from tests.factories import UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("bench_api", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("existing", ["user", "vendor"])
def test_issue_8_3_api_benchmark_refuses_a_database_with_real_data(existing):
    if existing == "user":
        UserFactory(username="real-reviewer", is_staff=True)
    else:
        VendorFactory(name="Real vendor Co., Ltd.")
    with pytest.raises(CommandError, match="--allow-existing-data"):
        run("--runs", "1", "--requests", "1")
    assert not ServiceAccount.objects.exists() and not Product.objects.exists()


def test_issue_11_api_benchmark_refuses_sqlite_or_a_database_without_the_seed():
    expected = "PostgreSQL" if connection.vendor != "postgresql" else "No benchmark seed"
    with pytest.raises(CommandError, match=expected):
        run("--runs", "1", "--requests", "1")
    assert not ServiceAccount.objects.exists() and not Product.objects.exists()


@pytest.mark.postgres
def test_issue_11_api_benchmark_refuses_an_unbounded_load():
    VendorFactory(credit_code="BENCH0000000000001")
    with pytest.raises(CommandError, match="at most 64 client threads"):
        run("--concurrency", "500", "--runs", "1", "--requests", "1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_issue_11_api_benchmark_end_to_end_counts_4_queries_per_create_and_2_per_retry():
    VendorFactory(credit_code="BENCH0000000000001")  # what the sweep's seed looks like
    output = run(
        "--json", "--runs", "1", "--requests", "12", "--workers", "1", "--concurrency", "2"
    )
    report = json.loads(output.strip().splitlines()[-1])
    assert report["create"]["errors"] == 0 and report["retry"]["errors"] == 0
    assert report["create"]["queries_per_request"] == 4.0
    assert report["retry"]["queries_per_request"] == 2.0
    assert report["create"]["req_s"] > 0 and report["create"]["p95_ms"] > 0
    assert "read" not in report  # no refunds to read in this database
    assert report["setup"]["workers"] == 1
    made = Order.objects.filter(external_id__startswith="BAPI-", created_by__name="bench-api")
    assert made.count() == 12 + 10  # the phase and the warm-up, each created once
    # A second run reuses the vendor, products and account (a new token).
    again = json.loads(run("--json", "--runs", "1", "--requests", "3", "--workers", "1"))
    assert again["create"]["errors"] == 0
    assert ServiceAccount.objects.filter(name="bench-api").count() == 1
    assert Product.objects.filter(title__startswith="Bench API").count() == 20
