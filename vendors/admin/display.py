"""How the vendors admin shows what a person reads (issue 12 §2): money as ¥1,999.00, times in
China time, references as links, deadlines in working days, documents inline.

List cells get no request, so what depends on the viewer (may they open the linked record?)
or needs one query for the whole page is prepared per page: `PreparedChangeListMixin` calls
the admin's `prepare_rows(request, rows)` after the page's rows are read, and the cells read
what it attached to each row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.files import content_type_for
from marketplace.money import format_cny, format_signed_cny
from marketplace.timeutils import CHINA_TZ
from vendors.models import DepositEntry, VendorDocument
from vendors.selectors import DeadlineStatus

EMPTY = "-"
TIME_FORMAT = "%Y-%m-%d %H:%M"
CSS = {"all": ["vendors/admin.css"]}


def now() -> dt.datetime:
    """The moment deadlines are judged at (one place, so tests can fix it)."""
    return timezone.now()


def cny(value: Decimal | None) -> str:
    return EMPTY if value is None else format_cny(value)


def signed_cny(value: Decimal | None) -> str:
    """+¥2,000.00 / −¥800.00: the effect of an entry on a balance."""
    return EMPTY if value is None else format_signed_cny(value)


def china(value: dt.datetime | None) -> str:
    """A moment as China wall time (the time the rules count in), to the minute."""
    if value is None:
        return EMPTY
    if timezone.is_naive(value):
        value = timezone.make_aware(value, CHINA_TZ)
    return value.astimezone(CHINA_TZ).strftime(TIME_FORMAT)


# --- deadlines --------------------------------------------------------------------------------


def deadline_text(status: DeadlineStatus | None) -> str:
    """'3 working days left', 'due today', 'overdue by 2 working days' (plain text)."""
    if status is None:
        return EMPTY
    n = status.working_days
    if status.overdue:
        if n == 0:
            text = _("overdue")
        else:
            text = ngettext("overdue by %(n)d working day", "overdue by %(n)d working days", n) % {
                "n": n
            }
    elif n == 0:
        text = _("due today")
    else:
        text = ngettext("%(n)d working day left", "%(n)d working days left", n) % {"n": n}
    if status.estimate:
        text = _("%(text)s (estimate: calendar not confirmed)") % {"text": text}
    return text


def deadline_html(status: DeadlineStatus | None, *, with_due: bool = False) -> SafeString | str:
    """The deadline as a badge (red when overdue, amber on the due day), optionally with the
    due time in China time."""
    if status is None:
        return EMPTY
    css = (
        "deadline-overdue"
        if status.overdue
        else ("deadline-today" if status.working_days == 0 else "deadline-open")
    )
    badge = format_html('<span class="deadline {}">{}</span>', css, deadline_text(status))
    if not with_due:
        return badge
    return format_html(
        "{} · {}",
        badge,
        _("due by %(time)s (China time)") % {"time": china(status.due_at)},
    )


# --- documents (MS-3.1.3, MS-6.1.1) ------------------------------------------------------------


def expiry_html(doc: VendorDocument, today: dt.date) -> SafeString:
    """Validity beside a document: expired / expires soon flagged, with the days."""
    if doc.replaced_at is not None:
        return format_html(
            '<span class="expiry expiry-replaced">{}</span>',
            _("replaced on %(day)s") % {"day": china(doc.replaced_at)},
        )
    if doc.valid_until is None:
        return format_html('<span class="expiry expiry-ok">{}</span>', _("valid indefinitely"))
    state = doc.expiry_state(today)
    days = (doc.valid_until - today).days
    if state == "expired":
        text = ngettext("expired %(n)d day ago", "expired %(n)d days ago", -days) % {"n": -days}
        return format_html('<strong class="expiry expiry-expired">⚠ {}</strong>', text)
    if state == "expiring":
        text = (
            ngettext("expires in %(n)d day", "expires in %(n)d days", days) % {"n": days}
            if days
            else _("expires today")
        )
        return format_html('<strong class="expiry expiry-soon">⚠ {}</strong>', text)
    return format_html('<span class="expiry expiry-ok">{}</span>', _("valid"))


def validity_text(doc: VendorDocument) -> str:
    until = doc.valid_until.isoformat() if doc.valid_until else _("no end date")
    return f"{doc.valid_from.isoformat()} – {until}"


def document_preview(
    doc: VendorDocument, *, embed: bool = True, short: bool = False
) -> SafeString | str:
    """The document inline through the authenticated file view (issue 8 §4): an image as an
    image, a PDF in a frame (the browser's own viewer), with a link to open it in a new tab.

    `short`: a list cell, the link reads "open" and names the file in its tooltip."""
    if not doc.file:
        return EMPTY
    url = doc.file.url  # /files/vendor-document/<id>/, never /media/
    name = doc.file.name.rsplit("/", 1)[-1]
    content_type, inline = content_type_for(doc.file.name)
    if short:
        return format_html(
            '<a class="document-open-short" href="{}" target="_blank" rel="noopener" '
            'title="{}">{} ↗</a>',
            url,
            name,
            _("open"),
        )
    open_link = format_html(
        '<a class="document-open" href="{}" target="_blank" rel="noopener">{} ↗</a>',
        url,
        _("Open %(name)s in a new tab") % {"name": name},
    )
    if not embed or not inline:
        return open_link
    label = _("%(kind)s (preview)") % {"kind": doc.get_kind_display()}
    if content_type.startswith("image/"):
        view = format_html(
            '<a href="{}" target="_blank" rel="noopener"><img class="document-image" src="{}" '
            'alt="{}" loading="lazy"></a>',
            url,
            url,
            label,
        )
    else:
        # <iframe>, not <object>/<embed>: the CSP's object-src is 'none'; frames of our own
        # origin are allowed (default-src 'self', frame-ancestors 'self').
        # The fragment asks the browser's viewer to fit the page width, without thumbnails.
        view = format_html(
            '<iframe class="document-frame" src="{}#view=FitH&amp;navpanes=0" title="{}"></iframe>',
            url,
            label,
        )
    return format_html('<div class="document-preview">{}{}</div>', view, open_link)


# --- references between records, as links the viewer may follow -------------------------------


def reference_target(entry: DepositEntry) -> tuple[str, str, str] | None:
    """(model label, lookup, value) of the record a ledger entry's reference names.

    MS-3.1.5 ②: a violation deduction names its penalty case by reference; a refund
    compensation names `refund:<id>` (see the checkers registered in `vendors.deduction_refs`).
    Other `kind:<id>` references (ledger, measure) name rows by primary key.
    """
    value = (entry.reference or "").strip()
    if not value:
        return None
    prefix, sep, rest = value.partition(":")
    if sep and rest.isdigit() and len(rest) < 19 and prefix in PK_PREFIXES:
        return PK_PREFIXES[prefix], "pk", rest
    if entry.cause == "violation":
        return "compliance.PenaltyCase", "reference", value
    return None


PK_PREFIXES = {
    "refund": "orders.Refund",
    "ledger": "vendors.DepositEntry",
    "measure": "compliance.AppliedMeasure",
    "case": "compliance.PenaltyCase",
}


class RowLinks:
    """Records other rows name, fetched together (one query per model and lookup) and shown
    as links to their admin page when the viewer may open it, else as their name."""

    def __init__(self, request: HttpRequest, admin_site: Any) -> None:
        self.request = request
        self.admin_site = admin_site
        self._wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._found: dict[tuple[str, str], dict[str, models.Model]] = {}
        self._may_view: dict[type[models.Model], bool] = {}

    def want(self, label: str, lookup: str, value: Any) -> None:
        if value not in (None, ""):
            self._wanted[(label, lookup)].add(str(value))

    def fetch(self) -> None:
        for (label, lookup), values in self._wanted.items():
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            column = model._meta.pk.attname if lookup == "pk" else lookup
            rows = model._base_manager.filter(**{f"{column}__in": sorted(values)})
            self._found[(label, lookup)] = {str(getattr(r, column)): r for r in rows}
        self._wanted.clear()

    def get(self, label: str, lookup: str, value: Any) -> models.Model | None:
        return self._found.get((label, lookup), {}).get(str(value))

    def may_view(self, model: type[models.Model]) -> bool:
        if model not in self._may_view:
            model_admin = self.admin_site._registry.get(model)
            self._may_view[model] = bool(
                model_admin and model_admin.has_view_or_change_permission(self.request)
            )
        return self._may_view[model]

    def link(self, obj: models.Model | None, text: str = "") -> SafeString | str:
        if obj is None:
            return text or EMPTY
        return object_link(obj, text, allowed=self.may_view(type(obj)))


def object_link(obj: models.Model, text: str = "", *, allowed: bool = True) -> SafeString:
    """The object's name, linking its admin change page when `allowed`."""
    name = text or str(obj)
    if allowed:
        opts = obj._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        except NoReverseMatch:
            url = ""
        if url:
            return format_html('<a href="{}">{}</a>', url, name)
    return format_html("{}", name)


def reference_label(label: str, value: str) -> str:
    """How a reference reads when its record is named: 'refund #12', 'penalty case P-7'."""
    names = {
        "orders.Refund": _("refund #%(id)s"),
        "vendors.DepositEntry": _("ledger entry #%(id)s"),
        "compliance.AppliedMeasure": _("measure #%(id)s"),
        "compliance.PenaltyCase": _("penalty case %(id)s"),
    }
    template = names.get(label)
    return template % {"id": value} if template else value


def prepare_entry_links(links: RowLinks, entries: Iterable[DepositEntry]) -> None:
    """Attach `reference_html` and `reverses_html` to each ledger entry (one query per model)."""
    entries = list(entries)
    for entry in entries:
        target = reference_target(entry)
        if target:
            links.want(*target)
    links.fetch()
    may_view_entries = links.may_view(DepositEntry)
    for entry in entries:
        target = reference_target(entry)
        if target:
            label, lookup, value = target
            text = reference_label(label, value)
            obj = links.get(label, lookup, value)
            entry.reference_html = links.link(obj, text) if obj else text
        else:
            entry.reference_html = entry.reference or EMPTY
        if entry.reverses_id:
            text = _("reverses ledger entry #%(id)s") % {"id": entry.reverses_id}
            entry.reverses_html = (
                object_link(entry.reverses, text, allowed=may_view_entries)
                if entry.reverses is not None
                else text
            )
        else:
            entry.reverses_html = EMPTY


class PreparedChangeListMixin:
    """Admin mixin: `prepare_rows(request, rows)` runs on each list page's rows and on the
    object of a change page, so cells can read per-page, per-viewer data from the rows."""

    def prepare_rows(self, request: HttpRequest, rows: list[Any]) -> None:  # pragma: no cover
        """Attach what the cells read to each row."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any):
        model_admin = self

        class PreparedChangeList(ChangeList):
            def get_results(self, request: HttpRequest) -> None:
                super().get_results(request)
                model_admin.prepare_rows(request, list(self.result_list))

        return PreparedChangeList

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is not None:
            self.prepare_rows(request, [obj])
        return obj
