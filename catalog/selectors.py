"""Reads about the catalogue: scoping for vendor users, review queues, rule parameters."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from catalog.models import KindPolicy, Product, ProductRevision, ServiceFeeRate, Specification
from marketplace.exceptions import NotFound
from marketplace.money import to_money
from marketplace.timeutils import china_date
from vendors.models import Category
from vendors.selectors import vendor_for_user


def _as_china_date(on: dt.date | dt.datetime) -> dt.date:
    """Rules are effective per China day; an aware moment is turned into its China date."""
    return china_date(on) if isinstance(on, dt.datetime) else on


def kind_policy(kind: str, on: dt.date | dt.datetime) -> KindPolicy:
    """The refund policy of a product kind in force on `on` (MS-2.8, MS-5.1).

    `on` is a China date (or an aware datetime, turned into its China date). Raises
    `NotFound` (code `no_kind_policy`) when no policy was in force: a data gap, never a
    silent default.
    """
    day = _as_china_date(on)
    policy = (
        KindPolicy.objects.filter(kind=kind, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )
    if policy is None:
        raise NotFound(
            _("No refund policy is in force for product kind %(kind)s on %(day)s."),
            code="no_kind_policy",
            kind=kind,
            day=day.isoformat(),
        )
    return policy


def service_fee_rate(category: Category | int | None, on: dt.date | dt.datetime) -> Decimal:
    """The platform service-fee rate (a fraction, e.g. Decimal("0.1000")) on `on` (MS-2.6).

    A category's own rate in force wins over the platform default (category empty). Raises
    `NotFound` (code `no_service_fee_rate`) when neither is in force.
    """
    day = _as_china_date(on)
    category_id = category.pk if isinstance(category, Category) else category
    in_force = ServiceFeeRate.objects.filter(effective_from__lte=day)
    row = None
    if category_id is not None:
        row = in_force.filter(category_id=category_id).order_by("-effective_from").first()
    if row is None:
        row = in_force.filter(category__isnull=True).order_by("-effective_from").first()
    if row is None:
        raise NotFound(
            _("No service fee rate is in force on %(day)s."),
            code="no_service_fee_rate",
            day=day.isoformat(),
        )
    return row.rate


def products_for_vendor(*, user: Any) -> QuerySet[Product]:
    """The scoping selector: only the products of the vendor `user` acts for (isolation)."""
    vendor = vendor_for_user(user=user)
    return (
        Product.objects.filter(vendor=vendor)
        .select_related("category")
        .annotate(has_open_revision=open_revision_exists())
    )


def open_revision_exists() -> Exists:
    return Exists(
        ProductRevision.objects.filter(
            product=OuterRef("pk"), status__in=ProductRevision.OPEN_STATUSES
        )
    )


def revision_awaiting_review(statuses: list[str] | None = None) -> Exists:
    statuses = statuses or [ProductRevision.Status.SUBMITTED, ProductRevision.Status.IN_REVIEW]
    return Exists(ProductRevision.objects.filter(product=OuterRef("pk"), status__in=statuses))


def products_awaiting_review() -> QuerySet[Product]:
    """Products a security reviewer has to look at (MS-4.1.1, MS-6.1.2).

    Submitted or in-review products, and listed products whose update (revision) is
    submitted or in review.
    """
    return (
        Product.objects.annotate(revision_awaiting_review=revision_awaiting_review())
        .filter(
            Q(status__in=[Product.Status.SUBMITTED, Product.Status.IN_REVIEW])
            | Q(revision_awaiting_review=True)
        )
        .select_related("vendor", "category")
    )


def open_revision(*, product: Product) -> ProductRevision | None:
    return product.revisions.filter(status__in=ProductRevision.OPEN_STATUSES).first()


# --- the security review queue in the admin (issue 12 §2) -----------------------------------
WAITING_PRODUCT_STATUSES = (Product.Status.SUBMITTED, Product.Status.IN_REVIEW)
WAITING_REVISION_STATUSES = (ProductRevision.Status.SUBMITTED, ProductRevision.Status.IN_REVIEW)


def _submitted_at(model: type[Any]) -> Subquery:
    """When the row (OuterRef pk) last became `submitted`, from its history."""
    history = model.history.model  # type: ignore[attr-defined]
    return Subquery(
        history.objects.filter(id=OuterRef("pk"), status="submitted")
        .order_by("-history_date", "-history_id")
        .values("history_date")[:1]
    )


def submitted_since(model: type[Any], fallback: str) -> Coalesce:
    """When the row (OuterRef pk) last became `submitted`, else its `fallback` field."""
    return Coalesce(_submitted_at(model), F(fallback), output_field=DateTimeField())


def review_waiting_since() -> Coalesce:
    """Since when a product has waited for security review (MS-4.1.1, MS-6.1.2), or NULL.

    A product of its own: since its (re)submission. A listed product with an update waiting:
    since the update was submitted. History gives the moment; rows without history (bulk
    loads) fall back to the product's last change / the update's creation, as the work
    board does. A correlated subquery per shown row, never a query per row in Python.
    """
    revision = Subquery(
        ProductRevision.objects.filter(product=OuterRef("pk"), status__in=WAITING_REVISION_STATUSES)
        .annotate(since=submitted_since(ProductRevision, "created_at"))
        .values("since")[:1]
    )
    own = Case(
        When(
            status__in=WAITING_PRODUCT_STATUSES,
            then=submitted_since(Product, "updated_at"),
        ),
        default=Value(None),
        output_field=DateTimeField(),
    )
    return Coalesce(own, revision, output_field=DateTimeField())


def open_revision_field(name: str) -> Subquery:
    """A field of the product's open update (at most one per product, by constraint)."""
    return Subquery(
        ProductRevision.objects.filter(
            product=OuterRef("pk"), status__in=ProductRevision.OPEN_STATUSES
        ).values(name)[:1]
    )


def open_security_review(*, product: Product) -> Any:
    """The review in progress on `product`, if any (one at most, by constraint)."""
    from catalog.models import SecurityReview

    return (
        SecurityReview.objects.filter(product=product, outcome=SecurityReview.Outcome.OPEN)
        .select_related("reviewer", "revision")
        .first()
    )


# --- what an update changes (issue 12 §3, MS-6.1.2) ------------------------------------------
TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")


@dataclass(frozen=True)
class SpecValue:
    """One specification as sold: name, price (Decimal CNY), billing period, trial or not."""

    name: str
    price: Decimal
    billing_period: str
    is_trial: bool


@dataclass(frozen=True)
class SpecChange:
    """`kind` is "added", "removed" or "changed"; `changes` names the changed attributes."""

    kind: str
    name: str
    old: SpecValue | None
    new: SpecValue | None
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextChange:
    field: str  # "title", "description", "deployment"
    old: str
    new: str


@dataclass
class RevisionDiff:
    """An update against the version it would replace: only what differs."""

    base_as_of: dt.datetime | None  # None: the version listed now
    texts: list[TextChange] = field(default_factory=list)
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    specs: list[SpecChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # field names with no change

    @property
    def tags_changed(self) -> bool:
        return bool(self.tags_added or self.tags_removed)

    @property
    def has_changes(self) -> bool:
        return bool(self.texts or self.tags_changed or self.specs)


def split_tags(tags: str) -> list[str]:
    """Tags as vendors type them: separated by commas (either width), 、 or ; (a tag may
    hold a space: "PHP 8.3"); a text without any of those is separated by spaces."""
    text = tags or ""
    parts = TAG_SEPARATORS.split(text) if TAG_SEPARATORS.search(text) else text.split()
    seen: dict[str, None] = {}
    for tag in (part.strip() for part in parts):
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def _listed_version(product: Product, as_of: dt.datetime | None) -> tuple[Any, list[SpecValue]]:
    """The product's content and active specifications now, or as they were at `as_of`."""
    if as_of is None:
        specs = product.specifications.filter(active=True).order_by("pk")
        return product, [SpecValue(s.name, s.price, s.billing_period, s.is_trial) for s in specs]
    content = (
        product.history.filter(history_date__lte=as_of)
        .order_by("-history_date", "-history_id")
        .first()
    ) or product
    latest: dict[int, Any] = {}
    history = Specification.history.filter(  # type: ignore[attr-defined]
        product_id=product.pk, history_date__lte=as_of
    ).order_by("id", "-history_date", "-history_id")
    for row in history:
        latest.setdefault(row.id, row)
    specs = [
        SpecValue(r.name, r.price, r.billing_period, r.is_trial)
        for _pk, r in sorted(latest.items())
        if r.active and r.history_type != "-"
    ]
    return content, specs


def _spec_changes(old: list[SpecValue], new: list[SpecValue]) -> list[SpecChange]:
    """Pair specifications by name (in order, for repeated names); then compare the rest."""
    remaining = list(old)
    changes: list[SpecChange] = []
    for spec in new:
        match = next((o for o in remaining if o == spec), None)
        if match is None:
            match = next((o for o in remaining if o.name == spec.name), None)
        if match is None:
            changes.append(SpecChange("added", spec.name, None, spec))
            continue
        remaining.remove(match)
        differing = tuple(
            attr
            for attr in ("price", "billing_period", "is_trial")
            if getattr(match, attr) != getattr(spec, attr)
        )
        if differing:
            changes.append(SpecChange("changed", spec.name, match, spec, differing))
    changes.extend(SpecChange("removed", o.name, o, None) for o in remaining)
    return changes


def revision_diff(revision: ProductRevision, *, as_of: dt.datetime | None = None) -> RevisionDiff:
    """What `revision` changes against the listed version (MS-6.1.2).

    `as_of` None compares with the product as listed now (an update still open); a moment
    compares with the product as it was then (a decided update: the review's start, before
    the approval published it).
    """
    product = revision.product
    base, base_specs = _listed_version(product, as_of)
    diff = RevisionDiff(base_as_of=as_of)
    for name in ("title", "description", "deployment"):
        old, new = (getattr(base, name) or "").strip(), (getattr(revision, name) or "").strip()
        if old != new:
            diff.texts.append(TextChange(name, old, new))
        else:
            diff.unchanged.append(name)
    old_tags, new_tags = split_tags(base.tags), split_tags(revision.tags)
    diff.tags_added = [t for t in new_tags if t not in old_tags]
    diff.tags_removed = [t for t in old_tags if t not in new_tags]
    if not diff.tags_changed:
        diff.unchanged.append("tags")
    new_specs = [
        SpecValue(
            s["name"], to_money(s["price"]), s.get("billing_period", "once"), bool(s["is_trial"])
        )
        for s in revision.specifications
    ]
    diff.specs = _spec_changes(base_specs, new_specs)
    if not diff.specs:
        diff.unchanged.append("specifications")
    return diff


def revision_waiting_since() -> Case:
    """Since when an update has waited for security review (submitted or in review)."""
    return Case(
        When(
            status__in=WAITING_REVISION_STATUSES,
            then=Coalesce(_submitted_at(ProductRevision), F("created_at")),
        ),
        default=Value(None),
        output_field=DateTimeField(),
    )


def revision_base_moment(revision: ProductRevision) -> dt.datetime | None:
    """The moment whose listed version an update is compared with: None (now) while it is
    open; once decided, the start of its review, before an approval published it."""
    if revision.status in ProductRevision.OPEN_STATUSES:
        return None
    started = revision.reviews.order_by("-started_at").values_list("started_at", flat=True).first()
    return started or revision.created_at
