"""Template tags of the vendor pages' layout."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from vendors import dashboard

register = template.Library()


@register.inclusion_tag("vendor/includes/nav.html", takes_context=True)
def vendor_nav(context) -> dict:
    """The navigation: this app's pages and those other apps registered."""
    request = context.get("request")
    current = request.path if request else ""
    items = []
    for item in dashboard.nav_items():
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # an app registered a page it no longer serves
        active = current == url if item.url_name == "vendor:home" else current.startswith(url)
        badge = item.badge(request) if item.badge is not None and request is not None else 0
        items.append({"label": item.label, "url": url, "active": active, "badge": badge})
    return {"items": items}
