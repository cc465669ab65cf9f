"""How catalogue records read in the admin: money as money, labels for codes, China time,
and an update's changes against the listed version (issue 12 §2, §3)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import Product, ProductRevision, Specification
from catalog.selectors import RevisionDiff, SpecValue, split_tags
from catalog.visibility import display_state, hidden_reasons
from marketplace.money import format_cny

EMPTY = "-"
# A description line longer than this is cut at sentence ends, so that one edited sentence
# of a long paragraph shows as one changed line, not the whole paragraph.
LONG_LINE = 80
SENTENCE_END = re.compile(r"(?<=[。！？；.!?;])\s*")
CONTEXT_LINES = 2


def period_label(code: str) -> str:
    return str(dict(Specification.BillingPeriod.choices).get(code, code))


def spec_text(spec: SpecValue | Specification) -> str:
    """ "标准版 ¥1,999.00 / 按年（试用规格）": a specification as people read it."""
    text = _("%(name)s: %(price)s / %(period)s") % {
        "name": spec.name,
        "price": format_cny(Decimal(spec.price)),
        "period": period_label(spec.billing_period),
    }
    return _("%(specification)s (trial)") % {"specification": text} if spec.is_trial else text


def list_text(items: list[str]) -> str:
    """Items joined as each language writes a list ("标题、标签" / "title, tags")."""
    return ("、" if (get_language() or "").startswith("zh") else ", ").join(items)


def china_time(value: dt.datetime | None) -> str:
    if value is None:
        return EMPTY
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def waiting_text(since: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "2 days, 3 hours" since `since` (the work board's wording), or a dash."""
    if since is None:
        return EMPTY
    return timesince(since, now or timezone.now(), depth=2)


def visibility_html(product: Product) -> SafeString:
    """What buyers see of `product` (catalog.visibility), the measures named as a list."""
    css, text = display_state(product)
    reasons = [str(reason) for reason in hidden_reasons(product)]
    if product.status == Product.Status.LISTED and not product.content_shielded and reasons:
        text = _("Hidden from buyers: %(reasons)s") % {"reasons": list_text(reasons)}
    return format_html('<span class="visibility {}">{}</span>', css, text)


def text_units(text: str) -> list[str]:
    """Lines, with long lines cut after each sentence."""
    units: list[str] = []
    for line in (text or "").splitlines():
        if len(line) <= LONG_LINE:
            units.append(line)
        else:
            units.extend(part for part in SENTENCE_END.split(line) if part)
    return units


def is_long_text(old: str, new: str) -> bool:
    return max(len(text_units(old)), len(text_units(new))) > 1 or max(len(old), len(new)) > 120


Segments = list[tuple[str, bool]]  # (text, changed)


# Latin words and numbers compare whole ("hour" → "15 minutes"); Chinese characters, spaces
# and punctuation one by one, as Chinese has no spaces between words.
TOKEN = re.compile(r"[A-Za-z0-9_.]+|\s+|.", re.S)


def _segments(old: str, new: str) -> tuple[Segments, Segments]:
    """The words and characters that differ between two versions of one line, on each side."""
    a_tokens, b_tokens = TOKEN.findall(old), TOKEN.findall(new)
    matcher = SequenceMatcher(None, a_tokens, b_tokens, autojunk=False)
    a: Segments = []
    b: Segments = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for side, tokens, start, end in ((a, a_tokens, i1, i2), (b, b_tokens, j1, j2)):
            if end <= start:
                continue
            text, changed = "".join(tokens[start:end]), tag != "equal"
            if side and side[-1][1] == changed:
                side[-1] = (side[-1][0] + text, changed)
            else:
                side.append((text, changed))
    return a, b


def line_diff(old: str, new: str) -> list[tuple[str, Segments]]:
    """(kind, segments) rows of a readable line diff: kind is "same", "removed", "added" or
    "gap" (lines left out between changes). A line replaced by one line marks the characters
    that changed. Segments are text: the template escapes them."""
    a, b = text_units(old), text_units(new)
    groups = list(SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT_LINES))
    rows: list[tuple[str, Segments]] = []
    for group in groups:
        if group[0][1] > 0 or rows:
            rows.append(("gap", []))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(("same", [(line, False)]) for line in a[i1:i2])
            elif tag == "replace" and i2 - i1 == j2 - j1:
                pairs = [_segments(x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
                rows.extend(("removed", removed) for removed, _added in pairs)
                rows.extend(("added", added) for _removed, added in pairs)
            else:
                rows.extend(("removed", [(line, True)]) for line in a[i1:i2])
                rows.extend(("added", [(line, True)]) for line in b[j1:j2])
    if groups and groups[-1][-1][2] < len(a):
        rows.append(("gap", []))
    return rows


def _field_label(name: str, *, first: bool = True) -> str:
    model = ProductRevision if name == "specifications" else Product
    label = str(model._meta.get_field(name).verbose_name)
    return capfirst(label) if first else label


_SPEC_ATTR_LABELS = {
    "price": lambda: _("price"),
    "billing_period": lambda: _("billing period"),
    "is_trial": lambda: _("trial"),
}
_SPEC_KIND_LABELS = {
    "added": lambda: _("added"),
    "removed": lambda: _("removed"),
    "changed": lambda: _("changed"),
}


def _spec_attr_text(spec: SpecValue, attr: str) -> str:
    if attr == "price":
        return format_cny(spec.price)
    if attr == "billing_period":
        return period_label(spec.billing_period)
    return _("yes") if spec.is_trial else _("no")


def revision_diff_html(diff: RevisionDiff) -> SafeString:
    """The diff as a table: field, listed version, update; only what changed."""
    texts = []
    for change in diff.texts:
        row: dict[str, Any] = {"label": _field_label(change.field), "old": change.old}
        row["new"] = change.new
        if change.field == "description" and is_long_text(change.old, change.new):
            row["lines"] = line_diff(change.old, change.new)
        texts.append(row)
    specs = []
    for change in diff.specs:
        changed = [
            {
                "label": capfirst(_SPEC_ATTR_LABELS[attr]()),
                "old": _spec_attr_text(change.old, attr),  # type: ignore[arg-type]
                "new": _spec_attr_text(change.new, attr),  # type: ignore[arg-type]
            }
            for attr in change.changes
        ]
        specs.append(
            {
                "kind": change.kind,
                "kind_label": _SPEC_KIND_LABELS[change.kind](),
                "name": change.name,
                "old": spec_text(change.old) if change.old else "",
                "new": spec_text(change.new) if change.new else "",
                "changed": changed,
            }
        )
    context = {
        "diff": diff,
        "base_as_of": china_time(diff.base_as_of) if diff.base_as_of else "",
        "texts": texts,
        "tags_label": _field_label("tags"),
        "specs": specs,
        "unchanged": list_text([_field_label(name, first=False) for name in diff.unchanged]),
    }
    return render_to_string("admin/catalog/_revision_diff.html", context)


def content_html(source: Product | ProductRevision, specs: list[SpecValue]) -> SafeString:
    """A product's own submission (first listing or relisting), field by field."""
    rows = format_html_join("", "<li>{}</li>", ((spec_text(s),) for s in specs))
    return format_html(
        '<dl class="review-content">'
        "<dt>{}</dt><dd><strong>{}</strong></dd>"
        '<dt>{}</dt><dd class="description">{}</dd>'
        "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>"
        "<dt>{}</dt><dd><ul>{}</ul></dd></dl>",
        _field_label("title"),
        source.title,
        _field_label("description"),
        source.description or EMPTY,
        _field_label("tags"),
        list_text(split_tags(source.tags)) or EMPTY,
        _field_label("deployment"),
        source.deployment or EMPTY,
        _field_label("specifications"),
        rows or format_html("<li>{}</li>", EMPTY),
    )


def revision_spec_values(revision: ProductRevision) -> list[SpecValue]:
    return [
        SpecValue(
            s["name"], Decimal(str(s["price"])), s.get("billing_period", "once"), s["is_trial"]
        )
        for s in revision.specifications
    ]
