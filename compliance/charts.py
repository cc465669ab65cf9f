"""Server-rendered charts of the vendor dashboard (DESIGN "Stack": pygal, no CDN, readable
without JavaScript, a table beside every chart).

The SVG is handed to the page as a `data:` image: the page's Content-Security-Policy
(`style-src 'self'`, `img-src 'self' data:`) refuses the `<style>` pygal writes into an
inline SVG, while an image document's own styles are not the page's (issue 13, checked by
tests/browser/test_vendor_dashboard.py with the CSP violation recorder).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pygal
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#d9e2ec",
    colors=("#c2410c", "#0052d9", "#616e7c"),
    font_family='"WenQuanYi Micro Hei", "Noto Sans CJK SC", "PingFang SC", sans-serif',
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)


def trend_chart_uri(points: Sequence[Any], *, threshold: Decimal) -> str:
    """MS-5.8 trend: the rolling refund rate (%, left axis) with the threshold line, and the
    orders paid per day (right axis), as a base64 `data:image/svg+xml` URI.

    Drawing costs ~30 ms and the figures change at most with each order or refund: the
    image is cached under the figures it shows (and the language of its legend)."""
    figures = [(p.day.isoformat(), str(p.rate), p.paid) for p in points]
    key = (
        "vendor-trend-chart:"
        + hashlib.sha256(repr((get_language(), str(threshold), figures)).encode()).hexdigest()
    )
    uri = cache.get(key)
    if uri is None:
        uri = _draw(points, threshold)
        cache.set(key, uri, CHART_CACHE_SECONDS)
    return uri


CHART_CACHE_SECONDS = 24 * 3600


def _draw(points: Sequence[Any], threshold: Decimal) -> str:
    chart = pygal.Line(
        style=STYLE,
        width=900,
        height=320,
        show_dots=False,
        js=[],  # no script: nothing to load, nothing the CSP must allow
        disable_xml_declaration=False,
        show_minor_x_labels=False,
        x_label_rotation=0,
        legend_at_bottom=True,
        truncate_legend=-1,
        truncate_label=-1,
        print_values=False,
        margin=8,
    )
    chart.x_labels = [p.day.strftime("%m-%d") for p in points]
    chart.x_labels_major = [p.day.strftime("%m-%d") for p in points[::15]]
    chart.add(
        _("Refund rate (%, 30-day window)"),
        [float(p.rate) if p.rate is not None else None for p in points],  # drawing only
    )
    chart.add(
        _("Threshold %(threshold)s%%") % {"threshold": threshold},
        [float(threshold)] * len(points),
        stroke_style={"dasharray": "4, 4"},
    )
    chart.add(_("Orders paid per day"), [p.paid for p in points], secondary=True)
    svg = chart.render(is_unicode=True)
    # pygal writes its config into a <script> even with js=[]: an image runs no script, and
    # the page keeps none it does not need.
    svg = _SCRIPT.sub("", svg)
    return "data:image/svg+xml;charset=utf-8;base64," + base64.b64encode(svg.encode()).decode()
