"""Figures a higher app shows on the vendor's admin page, without this app importing it.

Issue 13: the vendor's home page and the admin read each figure from the same selector, so
they never disagree. Compliance registers the MS-5.8 refund rate here (from
`compliance.kpi.refund_rate_kpi`, the selector of the vendor's dashboard panel).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vendors.models import Vendor

FigureFn = Callable[[Vendor], Any]  # -> safe HTML (format_html)

_figures: dict[str, tuple[Any, FigureFn]] = {}


def register(name: str, label: Any, fn: FigureFn) -> None:
    _figures[name] = (label, fn)


def shown(vendor: Vendor) -> list[tuple[Any, Any]]:
    return [(label, fn(vendor)) for label, fn in _figures.values()]
