"""Buttons a higher app adds to the vendor change page, without this app importing it.

MS-8.3 / MS-7: evicting or banning is a compliance penalty measure (proposed, then approved
by a second compliance lead), so the vendor page links to compliance's page instead of
offering a one-person eviction of its own. Compliance registers the link in its
`AppConfig.ready()`:

    from vendors.admin import links
    links.register(links.VendorLink("propose-eviction", _("..."), url=fn, permission="..."))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vendors.models import Vendor


@dataclass(frozen=True)
class VendorLink:
    name: str
    label: Any
    url: Callable[[Vendor], str]
    permission: str
    allowed: Callable[[Vendor], bool] | None = None
    danger: bool = False


_links: dict[str, VendorLink] = {}


def register(link: VendorLink) -> VendorLink:
    """Register a link once by name (registering again replaces it)."""
    _links[link.name] = link
    return link


def buttons(vendor: Vendor, user: Any) -> list[dict[str, Any]]:
    """The registered links this user may follow for this vendor, as change-page buttons."""
    return [
        {"label": link.label, "danger": link.danger, "url": link.url(vendor)}
        for link in _links.values()
        if user.has_perm(link.permission) and (link.allowed is None or link.allowed(vendor))
    ]
