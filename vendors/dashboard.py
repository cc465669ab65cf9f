"""How other apps add to the vendor pages without this app importing them.

The vendor home composes summaries from every app (DESIGN "Apps and their direction"), but
`vendors` is below the others. Higher apps register, in `AppConfig.ready()`:

    from vendors import dashboard
    dashboard.register_nav("catalog", _("Products"), "vendor:products", order=20)
    dashboard.register_panel("catalog", my_panel)

A panel is `fn(request, vendor) -> Panel | None`; it renders `template` with `context` on the
home page, in `order`. It must scope its queries to `vendor` (isolation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any
    url_name: str
    order: int = 50
    # `badge(request) -> int`: a count shown beside the label when not zero (issue 13: the
    # inbox's unread notices); it must be one scoped query.
    badge: Callable[[HttpRequest], int] | None = None


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 50


PanelFn = Callable[[HttpRequest, Any], "Panel | None"]

_nav: dict[str, NavItem] = {}
_panels: dict[str, PanelFn] = {}


def register_nav(
    key: str,
    label: Any,
    url_name: str,
    order: int = 50,
    badge: Callable[[HttpRequest], int] | None = None,
) -> None:
    """Add (or replace, by key) a link in the vendor pages' navigation."""
    _nav[key] = NavItem(key=key, label=label, url_name=url_name, order=order, badge=badge)


def nav_items() -> list[NavItem]:
    return sorted(_nav.values(), key=lambda item: (item.order, item.key))


def register_panel(key: str, fn: PanelFn) -> None:
    """Add (or replace, by key) a summary panel on the vendor home page."""
    _panels[key] = fn


@dataclass(frozen=True)
class StateNote:
    """One measure acting on the vendor, told on the home page's status card (issue 9 §5).

    `hides_products`: while it is in force no product of the vendor is shown to buyers, so
    the card must not say "Displayed to buyers" even though the store itself is displayed.
    """

    text: Any
    hides_products: bool = False


StateNotesFn = Callable[[Any], "list[StateNote]"]
_state_notes: dict[str, StateNotesFn] = {}


def register_state_notes(key: str, fn: StateNotesFn) -> None:
    """Add (or replace, by key) a source of state notes: `fn(vendor) -> [StateNote]`, scoped
    to `vendor`. Compliance registers the measures in force (MS-7, MS-3.1.5 ③, MS-4.2)."""
    _state_notes[key] = fn


def state_notes(vendor: Any) -> list[StateNote]:
    return [note for fn in _state_notes.values() for note in fn(vendor)]


def panels(request: HttpRequest, vendor: Any) -> list[Panel]:
    built = [fn(request, vendor) for fn in _panels.values()]
    return sorted((p for p in built if p is not None), key=lambda p: p.order)


@dataclass(frozen=True)
class Banner:
    """A duty the vendor has not done yet, shown at the top of every vendor page until done
    (issue 13: a new agreement version to sign, MS-3.1.4)."""

    text: Any
    url_name: str
    link_label: Any


BannerFn = Callable[[Any], "Banner | None"]
_banners: dict[str, BannerFn] = {}


def register_banner(key: str, fn: BannerFn) -> None:
    """Add (or replace, by key) a banner source: `fn(vendor) -> Banner | None`, scoped to it."""
    _banners[key] = fn


def banners(vendor: Any) -> list[Banner]:
    return [b for fn in _banners.values() if (b := fn(vendor)) is not None]
