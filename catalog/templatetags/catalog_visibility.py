"""`{% product_visibility product %}`: the effective state of a product (catalog.visibility)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from catalog.visibility import display_state

register = template.Library()


@register.simple_tag
def product_visibility(product: Any) -> str:
    css, text = display_state(product)
    return format_html('<span class="visibility {}">{}</span>', css, text)
