"""How the orders admin shows values a person reads (issue 12 §2): money as ¥1,999.00,
fractions and rates as percentages, times in China time, choice labels, lists as lists.

`money`, `china_time` and `percent` build admin display methods for a model field, used in
`list_display`, fieldsets and read-only fields in place of the raw field name. They read only
the row itself, so lists keep a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from marketplace.money import format_cny
from marketplace.timeutils import CHINA_TZ

EMPTY = "-"
TIME_FORMAT = "%Y-%m-%d %H:%M"
TIMES_NOTE = _("Times are China time (Asia/Shanghai).")


def cny(value: Decimal | None) -> str:
    return EMPTY if value is None else format_cny(value)


def china(value: dt.datetime | None) -> str:
    """A moment as China wall time, whatever the server's or the user's zone."""
    if value is None:
        return EMPTY
    if timezone.is_naive(value):
        value = timezone.make_aware(value, CHINA_TZ)
    return value.astimezone(CHINA_TZ).strftime(TIME_FORMAT)


def percent_text(value: Decimal | None, *, scale: int = 100) -> str:
    """0.0028 → "0.28%", 1 → "100%" (scale 1 for values already in percent: 80.00 → "80%")."""
    if value is None:
        return EMPTY
    number = (Decimal(value) * scale).quantize(Decimal("0.01"))
    return f"{number:f}".rstrip("0").rstrip(".") + "%"  # always two places before stripping


def _label(model: type[models.Model], field: str, label: Any) -> Any:
    return label if label is not None else model._meta.get_field(field).verbose_name


def money(model: type[models.Model], field: str, label: Any = None) -> Callable:
    @admin.display(description=_label(model, field, label), ordering=field)
    def show(self: Any, obj: models.Model) -> str:
        return cny(getattr(obj, field))

    show.__name__ = f"{field}_cny"
    return show


def china_time(model: type[models.Model], field: str, label: Any = None) -> Callable:
    @admin.display(description=_label(model, field, label), ordering=field)
    def show(self: Any, obj: models.Model) -> str:
        return china(getattr(obj, field))

    show.__name__ = f"{field}_china"
    return show


def percent(model: type[models.Model], field: str, label: Any = None, *, scale: int = 100):
    @admin.display(description=_label(model, field, label), ordering=field)
    def show(self: Any, obj: models.Model) -> str:
        return percent_text(getattr(obj, field), scale=scale)

    show.__name__ = f"{field}_percent"
    return show


def readable_fields(admin_class: type, model: type[models.Model]) -> list[str]:
    """Every field of `model` as a read-only page shows it: money and times through display
    methods added to `admin_class` (for admins whose pages list all fields, read-only)."""
    from marketplace.money import MoneyField

    names = []
    for f in model._meta.fields:
        if f.auto_created:
            continue
        name = f.name
        if isinstance(f, MoneyField):
            name = f"{f.name}_cny"
            setattr(admin_class, name, money(model, f.name))
        elif isinstance(f, models.DateTimeField):
            name = f"{f.name}_china"
            setattr(admin_class, name, china_time(model, f.name))
        names.append(name)
    return names


def admin_link(obj: models.Model | None, text: Any = None) -> SafeString | str:
    """A link to `obj`'s admin page (the record, never a `model:id` reference)."""
    if obj is None:
        return EMPTY
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def bullet_list(items: list[tuple[str, str]]) -> SafeString | str:
    """(text, url) pairs as a list; an empty url is shown as text."""
    if not items:
        return EMPTY
    rows = format_html_join(
        "",
        "<li>{}</li>",
        (
            (
                format_html(
                    '<a href="{}" target="_blank" rel="noopener noreferrer nofollow">{}</a>',
                    url,
                    text,
                )
                if url
                else text,
            )
            for text, url in items
        ),
    )
    return format_html('<ul class="evidence-list">{}</ul>', rows)
