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
        badge = item.badge(request) if item.badge is not None and request is not None else 0
        items.append({"label": item.label, "url": url, "active": False, "badge": badge})
    # The active link is the longest URL the page is under (the inbox at /vendor/compliance/
    # inbox/ is not also "Penalties" at /vendor/compliance/); home only on itself.
    under = [
        i
        for i in items
        if (
            current == i["url"]
            if i["url"] == reverse("vendor:home")
            else current.startswith(i["url"])
        )
    ]
    if under:
        max(under, key=lambda i: len(i["url"]))["active"] = True
    return {"items": items}
