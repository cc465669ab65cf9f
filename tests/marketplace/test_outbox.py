"""The event outbox (issue 14): written in the change's transaction, served once in commit order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import translation

from marketplace.outbox import (
    EventKind,
    OutboxEvent,
    event_emit,
    events_page,
)
from tests.factories import VendorFactory
from tests.orders.factories import make_order
from tests.threads import Background, HeldOpen, run_concurrently


def _emit(subject, kind=EventKind.VENDOR_EXITED, channels=("storefront", "billing"), **payload):
    event_emit(kind=kind, subject=subject, payload=payload, channels=channels)


@pytest.mark.django_db
def test_emit_writes_one_row_per_channel_with_money_as_string():
    vendor = VendorFactory()
    with transaction.atomic():
        _emit(vendor, amount=Decimal("12.30"), nested={"fee": Decimal("0.50")})
    rows = list(OutboxEvent.objects.order_by("channel"))
    assert [r.channel for r in rows] == ["billing", "storefront"]
    assert rows[0].event_id == rows[1].event_id  # one event, one copy per channel
    assert rows[0].payload == {"amount": "12.30", "nested": {"fee": "0.50"}}
    assert rows[0].subject_type == "vendors.vendor"
    assert rows[0].subject_id == str(vendor.pk)
    assert rows[0].sales_channel == ""
    assert rows[0].position is None  # numbered by the reader, not the writer


@pytest.mark.django_db
def test_ms_5_order_events_carry_the_orders_sales_channel():
    order = make_order(channel="intl")
    with transaction.atomic():
        _emit(order, kind=EventKind.ORDER_REFUND_ON_EXIT, channels=["storefront"])
    assert OutboxEvent.objects.get().sales_channel == "intl"


@pytest.mark.django_db
def test_event_rolled_back_with_the_change():
    vendor = VendorFactory()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        vendor.name = "changed"
        vendor.save(update_fields=["name"])
        _emit(vendor)
        raise Boom
    assert not OutboxEvent.objects.exists()
    assert events_page(channel="storefront", sales_channel="cn") == []


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused():
    vendor = VendorFactory()
    with pytest.raises(RuntimeError):
        _emit(vendor)
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "nope"}, ValueError),
        ({"channels": ["fax"]}, ValueError),
        ({"channels": []}, ValueError),
        ({"payload": {"amount": 1.5}}, TypeError),
        ({"payload": {"x": object()}}, TypeError),
    ],
)
def test_emit_refuses_bad_arguments(kwargs, error):
    vendor = VendorFactory()
    args = {"kind": EventKind.STORE_SUSPENDED, "subject": vendor, "payload": {}, **kwargs}
    with pytest.raises(error), transaction.atomic():
        event_emit(**args)
    assert not OutboxEvent.objects.exists()


def test_kind_labels_are_translated():
    with translation.override("zh-hans"):
        assert str(EventKind.REFUND_APPROVED.label) != "Refund approved"
        assert str(EventKind.STORE_SUSPENDED.label) != "Store suspended"


@pytest.mark.django_db
def test_page_cursor_serves_each_event_once_per_channel_and_sales_channel():
    vendor = VendorFactory()
    cn, intl = make_order(channel="cn"), make_order(channel="intl")
    with transaction.atomic():
        _emit(vendor, kind=EventKind.STORE_SUSPENDED)
        _emit(cn, kind=EventKind.ORDER_REFUND_ON_EXIT, channels=["storefront"])
        _emit(intl, kind=EventKind.ORDER_REFUND_ON_EXIT, channels=["storefront"])
        _emit(vendor, kind=EventKind.VENDOR_EXITED, channels=["billing"])
    first = events_page(channel="storefront", sales_channel="cn", limit=1)
    assert [e.kind for e in first] == [EventKind.STORE_SUSPENDED]
    rest = events_page(channel="storefront", sales_channel="cn", after=first[-1].position)
    # Another sales channel's order and the billing-only event are not served here.
    assert [(e.kind, e.subject_id) for e in rest] == [(EventKind.ORDER_REFUND_ON_EXIT, str(cn.pk))]
    assert events_page(channel="storefront", sales_channel="cn", after=rest[-1].position) == []
    billing = events_page(channel="billing", sales_channel="cn")
    assert [e.kind for e in billing] == [EventKind.STORE_SUSPENDED, EventKind.VENDOR_EXITED]


@pytest.mark.django_db
def test_rows_of_later_polls_get_later_positions():
    vendor = VendorFactory()
    with transaction.atomic():
        _emit(vendor, kind=EventKind.STORE_SUSPENDED, channels=["storefront"])
    page = events_page(channel="storefront", sales_channel="cn")
    with transaction.atomic():
        _emit(vendor, kind=EventKind.STORE_RESUMED, channels=["storefront"])
        _emit(vendor, kind=EventKind.VENDOR_EXITED, channels=["storefront"])
    later = events_page(channel="storefront", sales_channel="cn", after=page[-1].position)
    assert [e.kind for e in later] == [EventKind.STORE_RESUMED, EventKind.VENDOR_EXITED]
    assert later[0].position == page[-1].position + 1
    assert later[1].position == later[0].position + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_first_started_transaction_committing_last_is_served_after_not_skipped():
    """A takes the lower id and commits last; B commits first. A cursor on the id would pass
    A's event for ever once B's was served; the feed serves B, then A, each once."""
    vendor = VendorFactory()

    def writer_a() -> None:
        _emit(vendor, kind=EventKind.STORE_SUSPENDED, channels=["storefront"])

    def writer_b() -> None:
        with transaction.atomic():
            _emit(vendor, kind=EventKind.VENDOR_EXITED, channels=["storefront"])

    with HeldOpen(writer_a):  # A has emitted and stays open until the end of the block
        Background(writer_b).join().get()  # B commits meanwhile
        # A is still open: the reader sees B's event only.
        first = events_page(channel="storefront", sales_channel="cn")
        assert [e.kind for e in first] == [EventKind.VENDOR_EXITED]
    ids = dict(OutboxEvent.objects.values_list("kind", "id"))
    assert ids[EventKind.STORE_SUSPENDED] < ids[EventKind.VENDOR_EXITED]  # A's id is lower
    second = events_page(channel="storefront", sales_channel="cn", after=first[-1].position)
    assert [e.kind for e in second] == [EventKind.STORE_SUSPENDED]
    assert events_page(channel="storefront", sales_channel="cn", after=second[-1].position) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_readers_at_once_number_each_row_once():
    vendor = VendorFactory()
    with transaction.atomic():
        for _ in range(50):
            _emit(vendor, kind=EventKind.STORE_SUSPENDED, channels=["storefront"])

    def read() -> list[int]:
        return [e.pk for e in events_page(channel="storefront", sales_channel="")]

    pages = [outcome.get() for outcome in run_concurrently(*[read] * 4)]
    assert len(pages) == 4 and all(len(p) == 50 for p in pages)
    positions = list(OutboxEvent.objects.order_by("id").values_list("position", flat=True))
    assert positions == list(range(1, 51))  # once each, in id order within one commit
