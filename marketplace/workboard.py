"""The reviewers' work board on the admin home: what needs me now.

Each app registers its work queues in its `AppConfig.ready()` (`<app>/workboard.py`), so the
platform app never imports the apps above it. A queue names the permission needed to act on
it (a queue the viewer cannot act on is not shown), a queryset of what waits (for the viewer:
a second approval never waits for its own proposer), the field that says since when an item
waits, an optional field with the item's deadline, and the admin list that shows exactly
those items. Every queue costs one aggregate query, whatever the table size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode


@dataclass(frozen=True)
class Queue:
    key: str
    label: Promise | str
    permission: str | tuple[str, ...]  # any one of them lets the viewer act on the queue
    items: Callable[[Any, dt.datetime], QuerySet]  # (user, now) -> what waits
    waiting_since: str | None  # field of the item: when it started waiting (None: unknown)
    changelist: str  # admin URL name, e.g. "admin:vendors_onboardingapplication_changelist"
    filters: Callable[[Any, dt.datetime], dict[str, str]] = lambda user, now: {}
    due_field: str | None = None  # an item past this moment is overdue
    help: Promise | str = ""
    order: int = 100  # ties of urgency keep this order


@dataclass
class QueueRow:
    queue: Queue
    count: int
    oldest: dt.datetime | None
    overdue: int
    url: str
    waiting: dt.timedelta | None = field(default=None)

    @property
    def urgency(self) -> tuple:
        # Overdue work first, then the longest-waiting, then the registry order; empty last.
        return (
            self.count == 0,
            self.overdue == 0,
            -(self.waiting.total_seconds() if self.waiting else 0),
            self.queue.order,
        )


_QUEUES: dict[str, Queue] = {}


def register(queue: Queue) -> None:
    _QUEUES[queue.key] = queue


def queues() -> list[Queue]:
    return sorted(_QUEUES.values(), key=lambda q: (q.order, q.key))


def board(user: Any, now: dt.datetime) -> list[QueueRow]:
    """The viewer's queues, most urgent first: one aggregate query per queue."""
    rows = []
    for queue in queues():
        needed = (queue.permission,) if isinstance(queue.permission, str) else queue.permission
        if not any(user.has_perm(perm) for perm in needed):
            continue
        aggregates: dict[str, Any] = {"n": Count("pk")}
        if queue.waiting_since:
            aggregates["oldest"] = Min(queue.waiting_since)
        if queue.due_field:
            aggregates["overdue"] = Count("pk", filter=Q(**{f"{queue.due_field}__lt": now}))
        figures = queue.items(user, now).order_by().aggregate(**aggregates)
        oldest = figures.get("oldest")
        url = reverse(queue.changelist)
        params = queue.filters(user, now)
        rows.append(
            QueueRow(
                queue=queue,
                count=figures["n"],
                oldest=oldest,
                overdue=figures.get("overdue") or 0,
                url=f"{url}?{urlencode(params)}" if params else url,
                waiting=(now - oldest) if oldest else None,
            )
        )
    return sorted(rows, key=lambda row: row.urgency)
