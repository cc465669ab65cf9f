"""The outbox: events for the storefront and billing systems, written with the change (issue 14).

A service that changes something the storefront or billing must act on calls `event_emit`
inside its own transaction: the event row commits with the change or rolls back with it, so
none is lost and none is sent for a change that did not happen. The systems read the rows over
`GET /api/v1/events/?after=CURSOR` (orders.api), one feed per channel (`storefront`,
`billing`); an event meant for both is written once per channel.

Commit order (docs/decisions/platform.md, "Event feed order"): the id is taken at insert, not
at commit, so under concurrency a later id can commit first, and a reader that served it would
move its cursor past the earlier id for ever. The feed's cursor is therefore `position`, given
by the reader, not the writer: `outbox_assign_positions` numbers the rows it can see that have
no position yet (committed rows only, whatever their id), under one lock, and a page is served
under the same lock. A row that commits later is numbered later, so a cursor never passes a row
it has not served, and each event is served once per channel, in the order it became visible.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "EventChannel",
    "EventKind",
    "OutboxEvent",
    "event_emit",
    "event_emit_many",
    "events_page",
    "outbox_assign_positions",
]


class EventKind(models.TextChoices):
    """What the storefront and billing must act on."""

    REFUND_APPROVED = "refund.approved", _("Refund approved")
    REFUND_PAID = "refund.paid", _("Refund paid back")
    ORDER_REFUND_ON_EXIT = "order.refund_on_exit", _("Order to be refunded on the vendor's exit")
    PRODUCT_DELISTED = "product.delisted", _("Product delisted")
    PRODUCT_HIDDEN = "product.hidden", _("Product hidden")
    PRODUCT_SHOWN = "product.shown", _("Product shown again")
    STORE_SUSPENDED = "store.suspended", _("Store suspended")
    STORE_RESUMED = "store.resumed", _("Store resumed")
    VENDOR_EXITED = "vendor.exited", _("Vendor exited")


class EventChannel(models.TextChoices):
    """The systems that read the feed; a service account reads one of them."""

    STOREFRONT = "storefront", _("Storefront")
    BILLING = "billing", _("Billing")


class OutboxEvent(models.Model):
    """One event for one channel. Append-only: only `position` is set, once, by the reader."""

    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=EventChannel.choices)
    # The order's sales channel when the subject is an order or belongs to one (API callers
    # see only their own sales channel's orders); blank for the platform-wide subjects.
    sales_channel = models.CharField(_("sales channel"), max_length=40, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=100)
    subject_id = models.CharField(_("subject ID"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    position = models.BigIntegerField(_("feed position"), null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "channel"], name="outbox_event_channel"),
        ]
        indexes = [
            models.Index(fields=["channel", "position"], name="outbox_feed"),
            # The reader finds the rows still to number without scanning the numbered ones.
            models.Index(
                fields=["id"], condition=Q(position__isnull=True), name="outbox_unpositioned"
            ),
            models.Index(fields=["subject_type", "subject_id"], name="outbox_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id} → {self.channel}"


def _jsonable(value: Any, path: str = "payload") -> Any:
    """JSON values; money (Decimal) as a string so no system reads it as a float."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not allowed in events (use Decimal for money)")
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise TypeError(f"{path}: naive datetime")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} is not allowed in an event payload")


def _sales_channel(subject: models.Model) -> str:
    # Orders carry their sales channel; refunds, invoices, ... belong to an order. Duck-typed:
    # this app is below orders and must not import it.
    channel = getattr(subject, "channel", None)
    if isinstance(channel, str):
        return channel
    order = getattr(subject, "order", None)
    channel = getattr(order, "channel", None)
    return channel if isinstance(channel, str) else ""


def event_emit(
    *,
    kind: str,
    subject: models.Model,
    payload: dict,
    channels: Iterable[str] = ("storefront", "billing"),
) -> None:
    """Write an event in the caller's transaction (it must be inside one: the change's).

    Raises ValueError for an unknown kind or channel, TypeError for a payload value that is
    not plain JSON (floats included), RuntimeError outside a transaction.
    """
    if subject.pk is None:
        raise ValueError("the subject must be saved before its event is emitted")
    wanted = _check(kind, channels)
    _write(
        kind, subject._meta.label_lower, [(subject.pk, _sales_channel(subject), payload)], wanted
    )


def event_emit_many(
    *,
    kind: str,
    model: type[models.Model],
    items: Iterable[tuple[Any, dict] | tuple[Any, dict, str]],
    channels: Iterable[str] = ("storefront", "billing"),
) -> int:
    """`event_emit` for many subjects of one model at once, in ONE insert (set-based callers:
    the compliance recompute, bulk delisting, refunds on exit). `items` are (primary key,
    payload) for platform-wide subjects, or (primary key, payload, sales channel) for an
    order's. Returns how many subjects got their events."""
    wanted = _check(kind, channels)
    rows = [(item[0], item[2] if len(item) > 2 else "", item[1]) for item in items]
    if rows:
        _write(kind, model._meta.label_lower, rows, wanted)
    return len(rows)


def _check(kind: str, channels: Iterable[str]) -> list[str]:
    if kind not in EventKind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    wanted = list(dict.fromkeys(channels))
    if not wanted or any(c not in EventChannel.values for c in wanted):
        raise ValueError(f"unknown or no event channels {wanted!r}")
    if not transaction.get_connection().in_atomic_block:
        # In autocommit the event would commit apart from the change: lost if the change
        # then fails, or sent for a change that never happened.
        raise RuntimeError("event_emit must run inside the transaction of the change")
    return wanted


def _write(
    kind: str, subject_type: str, subjects: list[tuple[Any, str, dict]], channels: list[str]
) -> None:
    now = timezone.now()
    events = []
    for pk, sales_channel, payload in subjects:
        body, event_id = _jsonable(payload), uuid.uuid4()
        events += [
            OutboxEvent(
                event_id=event_id,
                kind=kind,
                channel=channel,
                sales_channel=sales_channel,
                subject_type=subject_type,
                subject_id=str(pk),
                payload=body,
                created_at=now,
            )
            for channel in channels
        ]
    OutboxEvent.objects.bulk_create(events)


LOCK_KEY = 0x6D6B745F6F7574  # "mkt_out": the feed's advisory lock (PostgreSQL)


def _lock_feed() -> None:
    # One numberer (and page reader) at a time. SQLite has a single writer already: the
    # UPDATE below takes its write lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def outbox_assign_positions(*, limit: int = 5000) -> int:
    """Number the committed rows that have no position yet, in id order; returns how many.

    Must run in the transaction that then reads the page (`events_page` does both), so the
    lock covers the numbering and the read: no reader can serve a position above one that
    another reader has numbered but not yet committed.
    """
    table = OutboxEvent._meta.db_table
    with connection.cursor() as cursor:
        # One statement: the next numbers follow the highest given so far, by id among the
        # newly visible rows (rows of one transaction keep their insertion order).
        # The table name is the model's; no input reaches the SQL text.
        cursor.execute(
            f"""
            UPDATE {table} SET position = numbered.pos
            FROM (
                SELECT id,
                       (SELECT COALESCE(MAX(position), 0) FROM {table})
                       + ROW_NUMBER() OVER (ORDER BY id) AS pos
                FROM (SELECT id FROM {table} WHERE position IS NULL ORDER BY id LIMIT %s) todo
            ) AS numbered
            WHERE {table}.id = numbered.id
            """,  # noqa: S608
            [limit],
        )
        return cursor.rowcount


@transaction.atomic
def events_page(
    *, channel: str, sales_channel: str, after: int = 0, limit: int = 100
) -> list[OutboxEvent]:
    """The next events of a channel after the cursor `after` (a position), oldest first.

    A caller of one sales channel sees the platform-wide events and its own sales channel's
    order events, never another sales channel's.
    """
    _lock_feed()
    outbox_assign_positions()
    return list(
        OutboxEvent.objects.filter(channel=channel, position__gt=after)
        .filter(Q(sales_channel="") | Q(sales_channel=sales_channel))
        .order_by("position")[:limit]
    )
