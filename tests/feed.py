"""What the storefront and billing feed received (the outbox's rows, issue 14), as
(kind, subject id, payload) in the order written: tests read the real events, not a stub."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class FeedEvents:
    """Live view of the outbox, one entry per event (its storefront copy), of `kinds`."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.kinds = list(kinds)

    def _rows(self) -> list[tuple[str, int, dict[str, Any]]]:
        from marketplace.outbox import OutboxEvent

        rows = (
            OutboxEvent.objects.filter(kind__in=self.kinds, channel="storefront")
            .order_by("pk")
            .values_list("kind", "subject_id", "payload")
        )
        return [(kind, int(subject), payload) for kind, subject, payload in rows]

    def __iter__(self) -> Iterator[tuple[str, int, dict[str, Any]]]:
        return iter(self._rows())

    def __len__(self) -> int:
        return len(self._rows())

    def __getitem__(self, index: int) -> tuple[str, int, dict[str, Any]]:
        return self._rows()[index]


EXIT_EVENTS = ("order.refund_on_exit", "vendor.exited")
