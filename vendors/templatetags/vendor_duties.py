"""The duty banners on every vendor page (vendors.dashboard.register_banner)."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from vendors import dashboard

register = template.Library()


@register.inclusion_tag("vendor/includes/duty_banners.html", takes_context=True)
def vendor_duty_banners(context) -> dict:
    vendor = context.get("vendor")
    items = []
    if vendor is not None and getattr(vendor, "pk", None):
        for banner in dashboard.banners(vendor):
            try:
                url = reverse(banner.url_name)
            except NoReverseMatch:
                url = ""
            items.append({"text": banner.text, "url": url, "label": banner.link_label})
    return {"banners": items}
