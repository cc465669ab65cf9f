"""What the exit pages show, and what gates an exit's stages, from the apps above (MS-8).

`vendors` does not know orders or statements. Higher apps register, in `AppConfig.ready()`:

    from vendors import exit_progress
    exit_progress.register("orders", my_lines)

A provider is `fn(exit) -> list[ProgressLine]`, scoped to `exit.vendor`. A line whose `stage`
is "orders" gates `started → orders_refunded` (every such line must be `done`); the other
stages are gated by `vendors.exit_checks` (MS-3.1.5 ④).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ORDERS_STAGE = "orders"


@dataclass(frozen=True)
class ProgressLine:
    label: Any
    value: Any  # text shown beside the label (already formatted, e.g. "3 / 5")
    done: bool
    stage: str = ""
    url: str = ""  # admin link for staff (the vendor page never shows it)


ProgressFn = Callable[[Any], list[ProgressLine]]
_providers: dict[str, ProgressFn] = {}


def register(key: str, fn: ProgressFn) -> None:
    """Add (or replace, by key) a provider of progress lines."""
    _providers[key] = fn


def lines(exit_: Any) -> list[ProgressLine]:
    return [line for fn in _providers.values() for line in fn(exit_)]


def stage_done(exit_: Any, stage: str) -> bool:
    return all(line.done for line in lines(exit_) if line.stage == stage)


# Vendor URL names that stay writable after an exit began (MS-8.4.3 keeps the vendor to
# read only; a higher app may need a write to finish the exit, e.g. confirming the last
# settlement statement). Registered by that app: `exit_progress.allow_write("vendor:...")`.
_writable: set[str] = set()


def allow_write(url_name: str) -> None:
    _writable.add(url_name)


def writable_after_exit(url_name: str) -> bool:
    return url_name in _writable
