"""History pages in people's words (issue 12 §2): one formatter for every model with history.

The admin's history list and its read-only version page show django-simple-history rows.
Stored values are codes, IDs, fractions, JSON and UTC times; this module turns them into what
a reviewer reads: field labels, choice labels, the related object's name (a link where the
viewer may open it), CNY amounts, percentages, lists, China time, the actor's name and the
reason of the change in the user's language.

Queries stay bounded whatever the number of versions: related objects, references and
many-to-many rows of every version on a page are fetched in one query per related model
(`_Lookups`), never one per version or per field.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin.sites import AdminSite
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.db import models
from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import escape, format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from simple_history.utils import get_m2m_reverse_field_name

from marketplace.money import MoneyField, format_cny
from marketplace.timeutils import CHINA_TZ

EMPTY = "-"
TIME_FORMAT = "%Y-%m-%d %H:%M"

# Bookkeeping fields that change with every save and say nothing a reviewer needs.
HIDDEN_FIELDS = frozenset({"updated_at"})

# Decimal fields that hold a share of 1 (0.0028) or a percent (50.00): shown as "0.28%".
# Besides these, a decimal field whose validators cap it at 1 is read as a share.
FRACTION_FIELDS = frozenset(
    {
        "orders.Order.service_fee_rate",
        "orders.Refund.consumed_fraction",
        "catalog.ServiceFeeRate.rate",
    }
)
PERCENT_FIELDS = frozenset(
    {
        "orders.Refund.vendor_terms_percent",
        "orders.VendorRefundTerms.refund_percent",
        "compliance.RuleSetting.refund_rate_threshold",
    }
)

# JSON lists whose items are codes of a choices class, or rows shaped like a model's fields.
JSON_ITEM_CHOICES: dict[str, str] = {"orders.ServiceAccount.operations": "orders.ApiOperation"}
JSON_ITEM_MODEL: dict[str, str] = {
    "catalog.ProductRevision.specifications": "catalog.Specification"
}


# How a related row is named where its own __str__ is not what a reviewer should read:
# a violation by its code and name in the viewer's language, a ledger entry with CNY.
def _violation_name(violation: Any) -> str:
    versions = list(violation.versions.all())  # prefetched (NAME_PREFETCH)
    latest = max(versions, key=lambda v: v.effective_from, default=None)
    return f"{violation.code} {latest.name()}" if latest is not None else violation.code


def _violation_version_name(version: Any) -> str:
    return f"{version.violation.code} {version.name()} ({version.effective_from:%Y-%m-%d})"


def _deposit_entry_name(entry: Any) -> str:
    return f"#{entry.pk} {entry.get_kind_display()} {cny(entry.amount)} · {entry.vendor}"


NAMES: dict[str, Callable[[Any], str]] = {
    "compliance.ViolationType": _violation_name,
    "compliance.ViolationVersion": _violation_version_name,
    "vendors.DepositEntry": _deposit_entry_name,
}
NAME_PREFETCH: dict[str, list[str]] = {"compliance.ViolationType": ["versions"]}


# --- references stored as text ("ledger:5", a case reference, a deposit entry ID) ------------


@dataclass(frozen=True)
class Ref:
    """A pointer to another row: `model` (app label) where `lookup` equals `value`."""

    model: str
    lookup: str
    value: str


_ID = re.compile(r"^\d{1,18}$")


def _pk_ref(model: str, value: Any) -> Ref | None:
    text = str(value or "")
    return Ref(model, "pk", text) if _ID.match(text) else None


def _execution_refs(value: str) -> list[Ref]:
    """What a one-shot measure did (compliance.services.effects.measure_execute)."""
    kind, _sep, rest = (value or "").partition(":")
    if kind == "ledger":
        return [r for r in [_pk_ref("vendors.DepositEntry", rest)] if r]
    if kind in ("product", "products"):
        return [r for r in (_pk_ref("catalog.Product", p) for p in rest.split(",")) if r]
    return []


def _measure_cause_refs(record: Any) -> list[Ref]:
    """AppliedMeasure.cause_id names a row of the model its cause_type says."""
    target = {
        "penalty": ("compliance.PenaltyCase", "reference"),
        "saas_delivery": ("orders.DeliveryFailure", "pk"),
        "deposit_topup": ("vendors.TopUpObligation", "pk"),
    }.get(getattr(record, "cause_type", ""))
    value = getattr(record, "cause_id", "")
    if not target or not value:
        return []
    if target[1] == "pk":
        return [r for r in [_pk_ref(target[0], value)] if r]
    return [Ref(target[0], target[1], value)]


def _deposit_reference_refs(record: Any) -> list[Ref]:
    """DepositEntry.reference: a penalty case reference, or `refund:<id>`."""
    value = getattr(record, "reference", "") or ""
    if value.startswith("refund:"):
        return [r for r in [_pk_ref("orders.Refund", value.removeprefix("refund:"))] if r]
    if getattr(record, "cause", "") == "violation" and value:
        return [Ref("compliance.PenaltyCase", "reference", value)]
    return []


REFERENCE_FIELDS: dict[str, Callable[[Any], list[Ref]]] = {
    "compliance.AppliedMeasure.execution_ref": lambda r: _execution_refs(r.execution_ref),
    "compliance.AppliedMeasure.cause_id": _measure_cause_refs,
    "vendors.DepositEntry.reference": _deposit_reference_refs,
    "orders.Clawback.deposit_entry_id": lambda r: [
        x for x in [_pk_ref("vendors.DepositEntry", r.deposit_entry_id)] if x
    ],
}

# Results of a measure that are words, not references.
EXECUTION_WORDS = {
    "evicted": gettext_lazy("vendor evicted"),
    "already evicted": gettext_lazy("vendor was already evicted"),
    "not listed": gettext_lazy("product was not listed"),
    "none listed": gettext_lazy("no listed product"),
}


# --- reasons the services write in English: shown in the user's language ---------------------
# A context keeps these words ("submitted", "approved") from translating the same words of
# other apps' catalogues, which this one (first in LOCALE_PATHS) would otherwise override.
# (Each message is written out with its context for makemessages.)

KNOWN_REASONS = (
    # catalog
    pgettext_lazy("history reason", "product created as a draft"),
    pgettext_lazy("history reason", "specification added"),
    pgettext_lazy("history reason", "submitted for security review (MS-4.1.1)"),
    pgettext_lazy("history reason", "relisting submitted for security review (MS-4.1.1)"),
    pgettext_lazy("history reason", "security review started (MS-4.1.1)"),
    pgettext_lazy("history reason", "security review of the update started (MS-6.1.2)"),
    pgettext_lazy("history reason", "security review opened"),
    pgettext_lazy("history reason", "review item opened"),
    pgettext_lazy("history reason", "reviewer notes"),
    pgettext_lazy("history reason", "security review approved"),
    pgettext_lazy("history reason", "update approved in security review (MS-6.1.2)"),
    pgettext_lazy("history reason", "listed after security review (MS-4.1.1)"),
    pgettext_lazy("history reason", "product update drafted (MS-6.1.2)"),
    pgettext_lazy("history reason", "update submitted for security review (MS-6.1.2)"),
    pgettext_lazy("history reason", "loaded from the marketplace rules of 2023-03-17"),
    # compliance
    pgettext_lazy("history reason", "ended"),
    pgettext_lazy("history reason", "read"),
    pgettext_lazy("history reason", "MS-7 annex loaded by data migration"),
    pgettext_lazy("history reason", "MS-4.2: SaaS delivery failure not repaired"),
    pgettext_lazy("history reason", "MS-4.2: every delivery failure of the vendor repaired"),
    pgettext_lazy("history reason", "MS-5.8: refund rate above the threshold"),
    pgettext_lazy(
        "history reason", "MS-5.8: refund rate at or below the threshold after the deadline"
    ),
    pgettext_lazy("history reason", "MS-3.1.5 ③: deposit not topped up by its due date"),
    pgettext_lazy("history reason", "MS-3.1.5 ③: deposit made whole"),
    pgettext_lazy("history reason", "MS-7: measure ended"),
    pgettext_lazy("history reason", "MS-7: effective state re-derived from the measures in force"),
    # orders
    pgettext_lazy("history reason", "service account created"),
    pgettext_lazy("history reason", "token rotated"),
    pgettext_lazy("history reason", "invoice requested"),
    pgettext_lazy("history reason", "issued"),
    pgettext_lazy("history reason", "delivered"),
    pgettext_lazy("history reason", "MS-5.5 refund of an invoiced order"),
    pgettext_lazy("history reason", "refund requested"),
    pgettext_lazy("history reason", "vendor agreed"),
    pgettext_lazy("history reason", "refunded in full"),
    pgettext_lazy("history reason", "MS-5.6 settled share of a refund"),
    pgettext_lazy("history reason", "refund terms submitted"),
    pgettext_lazy("history reason", "order paid"),
    pgettext_lazy("history reason", "delivery started"),
    pgettext_lazy("history reason", "MS-4.2 delivery failed"),
    pgettext_lazy("history reason", "delivery repaired"),
    pgettext_lazy("history reason", "MS-4.2 delivery repaired"),
    pgettext_lazy("history reason", "service confirmed complete"),
    # vendors
    pgettext_lazy("history reason", "onboarding application started"),
    pgettext_lazy("history reason", "new application"),
    pgettext_lazy("history reason", "applicant update"),
    pgettext_lazy("history reason", "replaced by a new upload"),
    pgettext_lazy("history reason", "uploaded"),
    pgettext_lazy("history reason", "submitted"),
    pgettext_lazy("history reason", "review started"),
    pgettext_lazy("history reason", "approved"),
    pgettext_lazy("history reason", "review result recorded in the admin"),
    pgettext_lazy("history reason", "MS-3.1.5 ③: deposit below the required amount"),
    pgettext_lazy("history reason", "MS-3.1.5 ①: application approved and onboarding deposit paid"),
    # demo data (seed_demo)
    pgettext_lazy("history reason", "demo data"),
    pgettext_lazy("history reason", "demo: verified"),
    pgettext_lazy("history reason", "demo: checks passed"),
    pgettext_lazy("history reason", "demo: all checked"),
    pgettext_lazy("history reason", "demo: onboarding deposit"),
    pgettext_lazy("history reason", "demo: top-up"),
    pgettext_lazy("history reason", "demo: deduction"),
)

# Reasons built with a value: (pattern, message with the same named groups).
REASON_PATTERNS: tuple[tuple[re.Pattern[str], Promise], ...] = (
    (
        re.compile(r"^carried out: (?P<ref>.+)$"),
        pgettext_lazy("history reason", "carried out: %(ref)s"),
    ),
    (
        re.compile(r"^review item recorded: (?P<result>.+)$"),
        pgettext_lazy("history reason", "review item recorded: %(result)s"),
    ),
    (
        re.compile(r"^delivery failed: (?P<detail>.+)$", re.S),
        pgettext_lazy("history reason", "delivery failed: %(detail)s"),
    ),
    (
        re.compile(r"^accepted agreement (?P<version>\S+)$"),
        pgettext_lazy("history reason", "accepted agreement %(version)s"),
    ),
    (
        re.compile(r"^revision #(?P<number>\d+) published after security review \(MS-6\.1\.2\)$"),
        pgettext_lazy(
            "history reason", "revision #%(number)s published after security review (MS-6.1.2)"
        ),
    ),
)


@functools.cache
def _known_reasons() -> dict[str, Promise]:
    """The English reason each message was written as -> its translation."""
    with translation.override(None):
        return {str(message): message for message in KNOWN_REASONS}


# orders.services.common.reason_with_caller: an API call names its service account.
API_CALLER = re.compile(r"^\[api:(?P<caller>[^\]]+)\] (?P<rest>.*)$", re.S)


def split_api_caller(reason: str) -> tuple[str, str]:
    """(service account name or "", the reason without the API prefix)."""
    match = API_CALLER.match(reason or "")
    return (match["caller"], match["rest"]) if match else ("", reason or "")


# --- the result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    old: SafeString
    new: SafeString


@dataclass
class Version:
    """One history row as the list shows it."""

    record: Any
    url: str
    when: str
    kind: str
    actor: SafeString
    reason: SafeString
    changes: list[Change] = field(default_factory=list)
    first: bool = False  # the oldest version: nothing before it to compare with


def cny(amount: Decimal) -> str:
    """CNY with the sign before the currency: -¥800.00 (a ledger delta), not ¥-800.00."""
    amount = Decimal(amount)
    return f"-{format_cny(-amount)}" if amount < 0 else format_cny(amount)


def china_time(value: dt.datetime | None, fmt: str = TIME_FORMAT) -> str:
    if value is None:
        return EMPTY
    return value.astimezone(CHINA_TZ).strftime(fmt) if value.tzinfo else value.strftime(fmt)


def _label(model_field: models.Field) -> str:
    return capfirst(str(model_field.verbose_name))


def _key(model: type[models.Model], model_field: models.Field) -> str:
    return f"{model._meta.label}.{model_field.name}"


def _percent(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _is_fraction(key: str, model_field: models.Field) -> bool:
    if key in FRACTION_FIELDS:
        return True
    caps = [v.limit_value for v in model_field.validators if isinstance(v, MaxValueValidator)]
    return bool(caps) and all(Decimal(str(c)) <= 1 for c in caps if not callable(c))


class _Lookups:
    """Rows other rows point to, fetched together: one query per (model, lookup field)."""

    def __init__(self, request: HttpRequest, admin_site: AdminSite) -> None:
        self.request = request
        self.admin_site = admin_site
        self.wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.found: dict[tuple[str, str], dict[str, models.Model]] = {}
        self._may_view: dict[type[models.Model], bool] = {}

    def want(self, ref: Ref) -> None:
        self.wanted[(ref.model, ref.lookup)].add(str(ref.value))

    def fetch(self) -> None:
        for (label, lookup), values in self.wanted.items():
            known = self.found.setdefault((label, lookup), {})
            missing = [v for v in values if v not in known]
            if not missing:
                continue
            model = apps.get_model(label)
            column = model._meta.pk.attname if lookup == "pk" else lookup
            # One level of foreign keys in the same query: most names (__str__) read one.
            joins = [
                f.name
                for f in model._meta.concrete_fields
                if f.is_relation and (f.many_to_one or f.one_to_one)
            ]
            rows = (
                model._base_manager.select_related(*joins)
                .prefetch_related(*NAME_PREFETCH.get(label, []))
                .filter(**{f"{column}__in": missing})
            )
            for row in rows:
                known[str(getattr(row, column))] = row
        self.wanted.clear()

    def get(self, ref: Ref) -> models.Model | None:
        return self.found.get((ref.model, ref.lookup), {}).get(str(ref.value))

    def may_view(self, model: type[models.Model]) -> bool:
        """Model-level view permission, asked once per model (permissions are cached)."""
        if model not in self._may_view:
            model_admin = self.admin_site._registry.get(model)
            self._may_view[model] = bool(
                model_admin and model_admin.has_view_or_change_permission(self.request)
            )
        return self._may_view[model]

    def link(
        self, obj: models.Model | None, *, model: type[models.Model], text: str = ""
    ) -> SafeString:
        """The object's name, a link to its admin page when the viewer may open it."""
        if obj is None:
            return format_html("<em>{}</em>", deleted_label(model))
        name = text or display_name(obj)
        if self.may_view(type(obj)):
            opts = obj._meta
            try:
                url = reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                    args=[obj.pk],
                )
            except NoReverseMatch:
                url = ""
            if url:
                return format_html('<a href="{}">{}</a>', url, name)
        return format_html("{}", name)


def deleted_label(model: type[models.Model]) -> str:
    if model is get_user_model():
        return _("deleted user")
    return _("deleted %(model)s") % {"model": model._meta.verbose_name}


def display_name(obj: models.Model) -> str:
    """A user by full name (or username); anything else by its own name."""
    if isinstance(obj, get_user_model()):
        full = (obj.get_full_name() or "").strip()
        return full or obj.get_username()
    name = NAMES.get(obj._meta.label)
    return name(obj) if name is not None else str(obj)


class HistoryPresenter:
    """Formats the history rows of one model for one viewer."""

    def __init__(self, model: type[models.Model], request: HttpRequest, admin_site: AdminSite):
        self.model = model
        self.history_model = getattr(model, model._meta.simple_history_manager_attribute).model
        self.lookups = _Lookups(request, admin_site)
        self.admin_site = admin_site
        self.fields = [
            f
            for f in self.history_model.tracked_fields
            if not f.primary_key and f.name not in HIDDEN_FIELDS
        ]
        self.m2m_fields = list(getattr(self.history_model, "_history_m2m_fields", []))
        self._m2m: dict[tuple[int, str], list[Any]] = {}

    # --- public ----------------------------------------------------------------------------
    def versions(
        self, records: Sequence[Any], older: Any | None, url_for: Callable[[Any], str]
    ) -> list[Version]:
        """`records` newest first (a page of the list); `older` is the version just before
        the last of them (None when the page ends with the first version)."""
        chain = [*records, *([older] if older is not None else [])]
        self._prepare(chain)
        result = []
        for index, record in enumerate(records):
            before = chain[index + 1] if index + 1 < len(chain) else None
            result.append(
                Version(
                    record=record,
                    url=url_for(record),
                    when=china_time(record.history_date, "%Y-%m-%d %H:%M:%S"),
                    kind=str(record.get_history_type_display()),
                    actor=self.actor(record),
                    reason=self.reason(record),
                    changes=self.changes(before, record) if before is not None else [],
                    first=before is None,
                )
            )
        return result

    def prepare(self, records: Iterable[Any]) -> None:
        self._prepare([r for r in records if r is not None])

    def value(self, record: Any, model_field: models.Field) -> SafeString:
        """One field of one version, readable (call `prepare` with the record first)."""
        if model_field.many_to_many:
            return self._m2m_value(record, model_field)
        return self._format(record, model_field, getattr(record, model_field.attname))

    def changes(self, before: Any, after: Any) -> list[Change]:
        """What differs between two versions, in the model's field order, with labels."""
        found = []
        for model_field in self.fields:
            old = getattr(before, model_field.attname)
            new = getattr(after, model_field.attname)
            if old != new:
                old_shown = self.value(before, model_field)
                new_shown = self.value(after, model_field)
                if old_shown == new_shown and isinstance(model_field, models.DateTimeField):
                    # Within the same minute: the seconds tell the two apart.
                    old_shown = format_html("{}", china_time(old, "%Y-%m-%d %H:%M:%S"))
                    new_shown = format_html("{}", china_time(new, "%Y-%m-%d %H:%M:%S"))
                found.append(Change(_label(model_field), old_shown, new_shown))
        for model_field in self.m2m_fields:
            old_ids = self._m2m.get((before.pk, model_field.name), [])
            new_ids = self._m2m.get((after.pk, model_field.name), [])
            if sorted(map(str, old_ids)) != sorted(map(str, new_ids)):
                found.append(
                    Change(
                        _label(model_field),
                        self.value(before, model_field),
                        self.value(after, model_field),
                    )
                )
        return found

    def actor(self, record: Any) -> SafeString:
        """Who made the change: a person, a deleted user, an API caller or the system."""
        user_id = getattr(record, "history_user_id", None)
        user = record.history_user if user_id is not None else None
        caller, _rest = split_api_caller(record.history_change_reason or "")
        if user_id is not None and user is None:
            return format_html("<em>{}</em>", _("deleted user"))
        if user is not None:
            return self.lookups.link(user, model=type(user))
        if caller:
            return format_html("{}", _("API caller %(name)s") % {"name": caller})
        return format_html("{}", pgettext("history actor", "system"))

    def reason(self, record: Any) -> SafeString:
        _caller, text = split_api_caller(record.history_change_reason or "")
        text = text.strip()
        if not text:
            return _empty()
        known = _known_reasons().get(text)
        if known is not None:
            return format_html("{}", known)
        for pattern, message in REASON_PATTERNS:
            match = pattern.match(text)
            if match:
                parts = {k: self._reason_part(k, v) for k, v in match.groupdict().items()}
                # The message is escaped, the parts are escaped by _reason_part.
                return mark_safe(escape(str(message)) % parts)  # noqa: S308
        return linebreaksbr(text, autoescape=True)

    # --- internals -------------------------------------------------------------------------
    def _reason_part(self, name: str, value: str) -> SafeString:
        if name == "ref":
            return self._execution(value)
        return format_html("{}", value)

    def _prepare(self, records: Sequence[Any]) -> None:
        """Fetch everything the records point to, in one query per related model."""
        records = [r for r in records if r is not None]
        if not records:
            return
        for record in records:
            for model_field in self.fields:
                for ref in self._refs(record, model_field):
                    self.lookups.want(ref)
            _caller, text = split_api_caller(record.history_change_reason or "")
            match = REASON_PATTERNS[0][0].match(text.strip())
            if match:
                for ref in _execution_refs(match["ref"]):
                    self.lookups.want(ref)
        self._prepare_m2m(records)
        self.lookups.fetch()

    def _prepare_m2m(self, records: Sequence[Any]) -> None:
        for model_field in self.m2m_fields:
            through = getattr(records[0], model_field.name).model
            target = through._meta.get_field(get_m2m_reverse_field_name(model_field))
            ids = [r.pk for r in records]
            rows = through._base_manager.filter(history_id__in=ids).values_list(
                "history_id", target.attname
            )
            for history_id in ids:
                self._m2m.setdefault((history_id, model_field.name), [])
            for history_id, target_id in rows:
                self._m2m[(history_id, model_field.name)].append(target_id)
                self.lookups.want(Ref(target.related_model._meta.label, "pk", str(target_id)))

    def _refs(self, record: Any, model_field: models.Field) -> list[Ref]:
        key = _key(self.model, model_field)
        if key in REFERENCE_FIELDS:
            return REFERENCE_FIELDS[key](record)
        if model_field.is_relation and (model_field.many_to_one or model_field.one_to_one):
            value = getattr(record, model_field.attname)
            if value is not None:
                return [Ref(model_field.related_model._meta.label, "pk", str(value))]
        return []

    def _m2m_value(self, record: Any, model_field: models.Field) -> SafeString:
        related = model_field.related_model
        ids = self._m2m.get((record.pk, model_field.name), [])
        if not ids:
            return _empty()
        found = [self.lookups.get(Ref(related._meta.label, "pk", str(i))) for i in ids]
        # Sorted by name, so that two versions of the same set read alike.
        found.sort(key=lambda obj: (obj is None, display_name(obj) if obj is not None else ""))
        items = [self.lookups.link(obj, model=related) for obj in found]
        return _inline_list(items)

    def _execution(self, value: str) -> SafeString:
        refs = _execution_refs(value)
        if refs:
            model = apps.get_model(refs[0].model)
            return _inline_list([self.lookups.link(self.lookups.get(r), model=model) for r in refs])
        if value in EXECUTION_WORDS:
            return format_html("{}", EXECUTION_WORDS[value])
        return format_html("{}", value)

    def _format(self, record: Any, model_field: models.Field, value: Any) -> SafeString:
        key = _key(self.model, model_field)
        if key == "compliance.AppliedMeasure.execution_ref" and value:
            return self._execution(value)
        if key in REFERENCE_FIELDS and value not in (None, ""):
            refs = REFERENCE_FIELDS[key](record)
            if refs:
                model = apps.get_model(refs[0].model)
                shown = str(value) if refs[0].lookup != "pk" else ""
                return _inline_list(
                    [self.lookups.link(self.lookups.get(r), model=model, text=shown) for r in refs]
                )
        if value is None or value == "" or value == [] or value == {}:
            return _empty()
        if model_field.is_relation:
            ref = Ref(model_field.related_model._meta.label, "pk", str(value))
            return self.lookups.link(self.lookups.get(ref), model=model_field.related_model)
        return format_value(model_field, value, key=key)


def _empty() -> SafeString:
    return format_html("{}", EMPTY)


def _inline_list(items: Sequence[Any]) -> SafeString:
    return (
        format_html_join(pgettext("list separator", ", "), "{}", ((i,) for i in items))
        if items
        else _empty()
    )


def format_value(model_field: models.Field, value: Any, *, key: str = "") -> SafeString:
    """A stored value of a plain (non-relation) field, as a reviewer reads it."""
    if value is None or value == "":
        return _empty()
    if model_field.choices:
        label = dict(model_field.flatchoices).get(value, value)
        return format_html("{}", label)
    if isinstance(model_field, models.BooleanField):
        return format_html("{}", _("Yes") if value else _("No"))
    if isinstance(model_field, MoneyField):
        return format_html("{}", cny(value))
    if isinstance(model_field, models.DecimalField):
        if key in PERCENT_FIELDS:
            return format_html("{}", _percent(Decimal(value)))
        if _is_fraction(key, model_field):
            return format_html("{}", _percent(Decimal(value) * 100))
        return format_html("{}", value)
    if isinstance(model_field, models.DateTimeField):
        return format_html("{}", china_time(value))
    if isinstance(model_field, models.DateField):
        return format_html("{}", value.isoformat() if hasattr(value, "isoformat") else value)
    if isinstance(model_field, models.FileField):
        name = getattr(value, "name", value) or ""
        return format_html("{}", str(name).rsplit("/", 1)[-1] or EMPTY)
    if isinstance(model_field, models.JSONField):
        return format_json(value, key=key)
    if model_field.name == "language" and isinstance(value, str):
        return format_html("{}", _(dict(settings.LANGUAGES).get(value, value)))
    if isinstance(model_field, models.URLField):
        return _url(value)
    return format_html("{}", value)


def _url(value: str) -> SafeString:
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', value, value)
    return format_html("{}", value)


def format_json(value: Any, *, key: str = "") -> SafeString:
    """JSON as a list of items: choice labels, rows with field labels, links; never raw JSON."""
    if value in (None, "", [], {}):
        return _empty()
    if isinstance(value, dict):
        return _json_row(value, key)
    if not isinstance(value, list):
        return format_html("{}", value)
    if key in JSON_ITEM_CHOICES:
        labels = _choice_labels(JSON_ITEM_CHOICES[key])
        return _inline_list([labels.get(v, v) for v in value])
    if all(not isinstance(v, dict | list) for v in value):
        return _inline_list([_url(v) if isinstance(v, str) else v for v in value])
    return format_html(
        '<ul class="history-json">{}</ul>',
        format_html_join(
            "",
            "<li>{}</li>",
            ((_json_row(v, key) if isinstance(v, dict) else format_json(v),) for v in value),
        ),
    )


def _choice_labels(path: str) -> dict[str, str]:
    app_label, name = path.split(".")
    choices = import_string(f"{apps.get_app_config(app_label).name}.models.{name}")
    return {k: str(v) for k, v in choices.choices}


def _json_row(row: dict, key: str) -> SafeString:
    """A dict as "label: value" pairs; keys named like the fields of JSON_ITEM_MODEL's model."""
    model = apps.get_model(JSON_ITEM_MODEL[key]) if key in JSON_ITEM_MODEL else None
    parts = []
    for name, item in row.items():
        label: str = str(name).replace("_", " ")
        shown: SafeString
        model_field = None
        if model is not None:
            try:
                model_field = model._meta.get_field(name)
            except Exception:  # a key that is no field of the model: shown by its name
                model_field = None
        if model_field is not None and not model_field.is_relation:
            label = _label(model_field)
            shown = format_value(model_field, item, key=_key(model, model_field))
        elif isinstance(item, bool):
            shown = format_html("{}", _("Yes") if item else _("No"))
        elif isinstance(item, dict | list):
            shown = format_json(item)
        else:
            shown = format_html("{}", item if item not in (None, "") else EMPTY)
        parts.append((label, shown))
    return format_html_join(pgettext("field separator", "; "), "{}: {}", parts)
