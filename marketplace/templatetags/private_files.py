"""The name a stored private file is shown by (its path holds the upload folders)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def file_name(value: Any) -> str:
    """`orders/refund-evidence/2026/12/发送记录.pdf` → `发送记录.pdf`."""
    name = getattr(value, "name", value) or ""
    return str(name).rsplit("/", 1)[-1]
