"""Time the event feed and billing's refund payment report (issue 14), in process.

    manage.py bench_events [--refunds 300] [--events 20000] [--allow-existing-data]

On a database holding benchmark data only (marketplace/benchguard.py) it seeds, once per run:
a vendor of its own (credit code BENCHEV…) with a store, a listed product and `--refunds`
paid orders of channel `cn`, each with a refund the vendor agreed to (each agreement emits a
`refund.approved` event into both feeds), plus `--events` `store.suspended` events in one
insert. It then drives Django's test client (no network, DEBUG off, throttle off) through:

- feed: `GET /api/v1/events/?after=…&limit=100` of the billing feed from its current end
  minus what this run wrote, page after page until `has_more` is false (the first pages
  number the new rows: the reader's write), then an empty poll;
- payment: `POST /api/v1/refunds/{id}/payment/` once per refund (refund, order, invoices,
  event), then the same again (the idempotent retry);

and prints per phase the requests, req/s, p50/p95 in ms and the queries per request.
"""

from __future__ import annotations

import datetime as dt
import secrets
import statistics
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from catalog.models import Product, Specification
from marketplace.benchguard import add_allow_flag, refuse_existing_data
from marketplace.outbox import (
    EventKind,
    OutboxEvent,
    event_emit_many,
    outbox_assign_positions,
)
from orders.models import SCOPE_PRESETS, Refund
from orders.services import (
    order_create,
    refund_request,
    refund_vendor_agree,
    service_account_create,
)
from vendors.models import Category, Store, Vendor

CHANNEL = "cn"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Time the event feed and the refund payment report (issue 14)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--refunds", type=int, default=300)
        parser.add_argument("--events", type=int, default=20000)
        add_allow_flag(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_existing_data(allow=options["allow_existing_data"])
        tag = secrets.token_hex(3)
        # Number what the feed holds already: the run reads from the end of it, so its pages
        # are exactly the rows this run writes (positions are shared by both channels).
        with transaction.atomic():
            outbox_assign_positions(limit=10**9)
        start = OutboxEvent.objects.aggregate(last=Max("position"))["last"] or 0
        started = time.perf_counter()
        billing, refunds = self._seed(tag, options["refunds"], options["events"])
        self.stdout.write(f"seeded in {time.perf_counter() - started:.1f} s ({connection.vendor})")
        rest = dict(settings.REST_FRAMEWORK)
        # No throttle: the views' classes are fixed at import, the rate is read per request.
        rest["DEFAULT_THROTTLE_RATES"] = {"service_account": None}
        # The test client's host, which DEBUG off no longer lets through on its own.
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(DEBUG=False, REST_FRAMEWORK=rest, ALLOWED_HOSTS=hosts):
            client = Client(HTTP_AUTHORIZATION=f"Bearer {billing}", HTTP_ACCEPT_LANGUAGE="en")
            self._feed(client, start)
            self._payments(client, refunds)

    def _seed(self, tag: str, n_refunds: int, n_events: int) -> tuple[str, list[int]]:
        with transaction.atomic():
            vendor = Vendor.objects.create(
                name=f"Bench events {tag}",
                credit_code=f"BENCHEV{tag}".upper().ljust(18, "0")[:18],
                cloud_account_id=f"BEV{tag}",
                status=Vendor.Status.ACTIVE,
            )
            store = Store.objects.create(vendor=vendor, name=f"Bench events store {tag}")
            category = Category.objects.order_by("pk").first() or Category.objects.create(
                code="software", name="软件服务"
            )
            product = Product.objects.create(
                vendor=vendor,
                title=f"Bench events {tag}",
                kind="software",
                category=category,
                status=Product.Status.LISTED,
            )
            spec = Specification.objects.create(
                product=product, name="Bench", price=Decimal("100.00")
            )
            _account, billing = service_account_create(
                name=f"bench-events-{tag}",
                channel=CHANNEL,
                operations=list(SCOPE_PRESETS["billing"]),
                actor=None,
            )
            event_emit_many(
                kind=EventKind.STORE_SUSPENDED,
                model=Store,
                items=[(store.pk, {"store_id": store.pk, "n": i}) for i in range(n_events)],
                channels=["storefront", "billing"],
            )
        paid_at = timezone.now() - dt.timedelta(hours=2)
        refunds = []
        for i in range(n_refunds):
            order, _ = order_create(
                channel=CHANNEL,
                external_id=f"BEV-{tag}-{i}",
                buyer_account_id="200000000001",
                specification_id=spec.pk,
                amount="100.00",
                paid_at=paid_at,
            )
            refund, _ = refund_request(
                order=order,
                external_id=f"BEVR-{tag}-{i}",
                reason_code="no_longer_needed",
                amount_requested="100.00",
            )
            refunds.append(refund_vendor_agree(refund=refund, actor=None).pk)
        return billing, refunds

    def _timed(self, name: str, calls: list) -> None:
        times, queries = [], 0
        t0 = time.perf_counter()
        for call in calls:
            connection.queries_log.clear()  # a full log (9,000) would count nothing
            with CaptureQueriesContext(connection) as captured:
                t = time.perf_counter()
                status = call()
                times.append((time.perf_counter() - t) * 1000)
            assert status == 200, (name, status)
            queries += len(captured.captured_queries)
        wall = time.perf_counter() - t0
        self.stdout.write(
            f"{name}: {len(times)} requests, {len(times) / wall:.0f} req/s, "
            f"p50 {statistics.median(times):.1f} ms, p95 {_pct(times, 0.95):.1f} ms, "
            f"{queries / len(times):.1f} queries/request"
        )

    def _feed(self, client: Client, start: int) -> None:
        state = {"after": start, "more": True, "events": 0}

        def page() -> int:
            response = client.get(f"/api/v1/events/?after={state['after']}&limit=100")
            body = response.json()
            state["after"], state["more"] = body["next_cursor"], body["has_more"]
            state["events"] += len(body["events"])
            return response.status_code

        times, queries = [], 0
        t0 = time.perf_counter()
        while state["more"]:
            connection.queries_log.clear()  # a full log (9,000) would count nothing
            with CaptureQueriesContext(connection) as captured:
                t = time.perf_counter()
                assert page() == 200
                times.append((time.perf_counter() - t) * 1000)
            queries += len(captured.captured_queries)
        wall = time.perf_counter() - t0
        self.stdout.write(
            f"feed pages of 100: {len(times)} pages, {state['events']} events, "
            f"{state['events'] / wall:.0f} events/s, p50 {statistics.median(times):.1f} ms, "
            f"p95 {_pct(times, 0.95):.1f} ms, first {times[0]:.1f} ms (numbers the new rows), "
            f"{queries / len(times):.1f} queries/page"
        )
        self._timed(
            "feed empty poll",
            [lambda: client.get(f"/api/v1/events/?after={state['after']}").status_code] * 200,
        )

    def _payments(self, client: Client, refunds: list[int]) -> None:
        # Billing reports the payment after the approval (earlier is refused: time_before_event).
        paid_at = timezone.localtime(timezone.now()).isoformat()

        def pay(pk: int):
            return lambda: (
                client.post(
                    f"/api/v1/refunds/{pk}/payment/",
                    {"paid_at": paid_at, "reference": f"PAY-{pk}"},
                    content_type="application/json",
                ).status_code
            )

        self._timed("payment first report", [pay(pk) for pk in refunds])
        self._timed("payment retry (same reference)", [pay(pk) for pk in refunds])
        assert Refund.objects.filter(pk__in=refunds, status="refunded").count() == len(refunds)
