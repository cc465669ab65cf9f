"""Shared bits of the compliance admin: reading records (labels, names, links, money, China
time), the reason form and the read-only inline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from compliance.models import (
    ONE_SHOT_KINDS,
    CaseStatus,
    MeasureKind,
    ViolationType,
    ViolationVersion,
)
from marketplace.money import format_cny

S = CaseStatus


# --- reading records: labels, names, links, money, China time (issue 12 §2) -----------------

# The user whose page is being rendered: links are offered only to pages they may open.
# Set by `ViewerMixin` around the whole response, rendering included (a ContextVar is
# per thread and per task, so two requests never see each other's user).
_viewer: ContextVar[Any] = ContextVar("compliance_admin_viewer", default=None)


class ViewerMixin:
    """Renders changelists and change pages with `_viewer` set (the display methods read it:
    Django renders a TemplateResponse after the view returns, so it is rendered here)."""

    class Media:
        # A file, not inline styles: the CSP allows styles from 'self' only.
        css = {"all": ("compliance/admin.css",)}

    def _with_viewer(self, request: HttpRequest, view: Callable[[], HttpResponse]):
        token = _viewer.set(request.user)
        try:
            response = view()
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            _viewer.reset(token)

    def changelist_view(self, request, extra_context=None):
        return self._with_viewer(
            request, lambda: super(ViewerMixin, self).changelist_view(request, extra_context)
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._with_viewer(
            request,
            lambda: super(ViewerMixin, self).changeform_view(
                request, object_id, form_url, extra_context
            ),
        )


def may_view(model_label: str) -> bool:
    """Whether the user of the page may open the admin page of `app_label.model`."""
    user = _viewer.get()
    if user is None:
        return False
    app_label, model = model_label.split(".")
    return user.has_perm(f"{app_label}.view_{model}") or user.has_perm(
        f"{app_label}.change_{model}"
    )


def admin_link(model_label: str, pk: Any, text: Any) -> SafeString:
    """A link to a record's admin page, or its name alone for a user who may not open it."""
    if pk in (None, "") or not may_view(model_label):
        return format_html("{}", text)
    app_label, model = model_label.split(".")
    try:
        url = reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:  # a model without an admin page: the name alone
        return format_html("{}", text)
    return format_html('<a href="{}">{}</a>', url, text)


def china_time(value: Any) -> str:
    """An aware time (or its ISO text, as JSON keeps it) in China time, to the minute."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            return value.strftime("%Y-%m-%d %H:%M")
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "-" if value in (None, "") else str(value)


def money(value: Any) -> str:
    if value in (None, ""):
        return "-"
    try:
        return format_cny(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)


def measure_label(kind: str) -> str:
    return str(MeasureKind(kind).label) if kind in MeasureKind.values else (kind or "-")


def violation_name(version: ViolationVersion | None) -> str:
    """The row's name in the user's language (the table keeps both)."""
    if version is None:
        return ""
    return version.name(get_language())


def violation_shown(code: str, version: ViolationVersion | None) -> SafeString:
    name = violation_name(version)
    if not name:
        return format_html("{}", code)
    return format_html('{} <span class="quiet">({})</span>', name, code)


def execution_shown(ref: str) -> SafeString | str:
    """What a one-shot act did, in words with links (the stored ref is a code such as
    `ledger:10` or `products:3,4`)."""
    ref = ref or ""
    kind, _sep, rest = ref.partition(":")
    if kind == "ledger" and rest.isdigit():
        text = format_html("{} #{}", _("Deposit ledger entry"), rest)
        return admin_link("vendors.depositentry", int(rest), text)
    words = {
        "evicted": _("Evicted (banned for ever)"),
        "already evicted": _("Already evicted"),
        "not listed": _("Not listed: nothing to delist"),
        "none listed": _("Not listed: nothing to delist"),
    }
    if ref in words:
        return str(words[ref])
    if kind in ("product", "products"):
        ids = [int(x) for x in rest.split(",") if x.isdigit()]
        names = {p.pk: str(p) for p in Product.objects.filter(pk__in=ids)}
        links = format_html_join(
            ", ",
            "{}",
            ((admin_link("catalog.product", pk, names.get(pk, f"#{pk}")),) for pk in ids),
        )
        return format_html("{}: {}", _("Delisted"), links)
    return ref or "-"


def measure_phrase(
    *,
    kind: str,
    product: Any = None,
    amount: Any = None,
    starts_at: Any = None,
    ends_at: Any = None,
    days: int | None = None,
    state: Any = "",
) -> SafeString:
    """One measure in words: "暂停展示 · 产品 · 30 天 — 等待第二审批人"."""
    parts: list[Any] = [measure_label(kind)]
    if product is not None:
        parts.append(admin_link("catalog.product", product.pk, product))
    if amount not in (None, ""):
        parts.append(money(amount))
    start, end = _moment(starts_at), _moment(ends_at)
    if days is None and start is not None and end is not None:
        days = round((end - start).total_seconds() / 86400)
    if days:
        parts.append(ngettext("%(days)s day", "%(days)s days", days) % {"days": days})
    elif kind not in ONE_SHOT_KINDS:
        parts.append(str(_("until lifted")))
    text = format_html_join(" · ", "{}", ((p,) for p in parts))
    if state:
        return format_html("{} — {}", text, state)
    return text


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def html_list(items: Iterable[Any]) -> SafeString:
    items = list(items)
    if not items:
        return mark_safe("-")
    return format_html(
        '<ul class="plain-list">{}</ul>', format_html_join("", "<li>{}</li>", ((i,) for i in items))
    )


# --- inlines --------------------------------------------------------------------------------


def violation_rows() -> list[tuple[ViolationType, ViolationVersion | None]]:
    """Every row of the table with its version in force today (two queries)."""
    today = timezone.localdate()
    types = list(ViolationType.objects.order_by("pk"))
    current: dict[int, ViolationVersion] = {}
    for version in ViolationVersion.objects.filter(effective_from__lte=today).order_by(
        "violation_id", "-effective_from"
    ):
        current.setdefault(version.violation_id, version)
    return [(vtype, current.get(vtype.pk)) for vtype in types]
