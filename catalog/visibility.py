"""How a product's effective state reads on the vendor pages (issue 9 §5).

A product is displayed to buyers only when it is listed (MS-4.1.1) and no measure hides it
(`searchable`, `content_shielded`, written by compliance's recompute). The measures hiding it
are stored as codes in `hidden_reason`; compliance registers their names here (it is above
this app and may not be imported), so pages say "Shield store", not `shield_store`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

_reason_labels: dict[str, Any] = {}


def register_reason_labels(labels: dict[str, Any]) -> None:
    _reason_labels.update(labels)


def hidden_reasons(product: Any) -> list[Any]:
    """The names of the measures hiding `product` (unknown codes are shown as they are)."""
    codes = [c.strip() for c in (product.hidden_reason or "").split(",") if c.strip()]
    return [_reason_labels.get(code, code) for code in codes]


def display_state(product: Any) -> tuple[str, Any]:
    """(css class, text) of what buyers see of `product` now."""
    if product.status != "listed":
        return "muted", _("Not on sale")
    if product.content_shielded:
        return "warn", _("Content shielded")
    if not product.searchable:
        reasons = ", ".join(str(r) for r in hidden_reasons(product))
        if reasons:
            return "warn", _("Hidden from buyers: %(reasons)s") % {"reasons": reasons}
        return "warn", _("Hidden from buyers")
    return "ok", _("Visible to buyers")
