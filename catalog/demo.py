"""Demo catalogue: a listed product of every kind, plus products in every other state.

Runs after `vendors/demo.py` (see `marketplace/management/commands/seed_demo.py`). Idempotent:
a product is keyed by vendor and title and never created twice.

Adds to `ctx`:
- `ctx["products"]`: {kind: listed Product} — one listed product of every kind, each with at
  least one paid specification (the orders demo buys these);
- `ctx["catalog_products"]`: {short name: Product} for every demo product.
"""

from __future__ import annotations

from typing import Any

from catalog.models import (
    ItemResult,
    Product,
    ProductKind,
    QualificationRequirement,
    ReviewItem,
    SalesMode,
)
from catalog.services import (
    SpecInput,
    product_create,
    product_delist,
    product_submit,
    revision_create,
    revision_submit,
    security_review_approve,
    security_review_record,
    security_review_reject,
    security_review_start,
)
from vendors.models import Category, Vendor, VendorStaff

# kind, title, sales mode, SaaS-delivered, specifications
LISTED = [
    (
        ProductKind.IMAGE,
        "LAMP 运行环境镜像",
        SalesMode.PLATFORM,
        False,
        [("标准版", "0.00", "month", True), ("企业版", "99.00", "month", False)],
    ),
    (
        ProductKind.SOFTWARE,
        "企业数据备份软件",
        SalesMode.CONSIGNMENT,
        False,
        [("标准版", "1999.00", "year", False)],
    ),
    (
        ProductKind.SAAS,
        "在线表单 SaaS",
        SalesMode.PLATFORM,
        True,
        [("7 天试用", "0.00", "once", True), ("专业版", "299.00", "month", False)],
    ),
    (
        ProductKind.CLOUD_APP,
        "电商小程序云应用",
        SalesMode.PLATFORM,
        False,
        [("基础版", "599.00", "year", False)],
    ),
    (
        ProductKind.OPS,
        "服务器运维托管",
        SalesMode.CONSIGNMENT,
        False,
        [("单台服务器", "800.00", "month", False)],
    ),
    (
        ProductKind.MANUAL,
        "网站数据迁移人工服务",
        SalesMode.PLATFORM,
        False,
        [("一次迁移", "1500.00", "once", False)],
    ),
    (
        ProductKind.TOOL,
        "命令行部署工具",
        SalesMode.PLATFORM,
        False,
        [("永久授权", "49.00", "once", False)],
    ),
    (
        ProductKind.DEV_TOOL,
        "云 API 开发工具包",
        SalesMode.PLATFORM,
        False,
        [("团队版", "199.00", "year", False)],
    ),
]


def _vendors(ctx: dict[str, Any]) -> list[Vendor]:
    """Active vendors the vendors demo made, whatever key it used; else any active ones."""
    found: dict[int, Vendor] = {}

    def collect(value: Any) -> None:
        if isinstance(value, Vendor):
            found.setdefault(value.pk, value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    for key in ("vendors", "vendor", "active_vendor", "vendor_active"):
        collect(ctx.get(key))
    vendors = [v for v in found.values() if v.status == Vendor.Status.ACTIVE and v.can_publish]
    if not vendors:
        vendors = list(
            Vendor.objects.filter(status=Vendor.Status.ACTIVE, can_publish=True).order_by("pk")[:3]
        )
    return vendors


def _category(code: str, name: str) -> Category:
    existing = Category.objects.order_by("pk")
    if existing.exists():
        return existing.filter(code=code).first() or existing.first()
    category, _created = Category.objects.get_or_create(code=code, defaults={"name": name})
    return category


def _vendor_user(vendor: Vendor) -> Any:
    staff = VendorStaff.objects.filter(vendor=vendor).select_related("user").first()
    return staff.user if staff else None


def _specs(rows: list[tuple[str, str, str, bool]]) -> list[SpecInput]:
    return [SpecInput(name=n, price=p, billing_period=b, is_trial=t) for n, p, b, t in rows]


def _make(vendor: Vendor, kind: str, title: str, specs, **extra: Any) -> tuple[Product, bool]:
    # By title alone: demo titles are unique, and a second run may spread the products over a
    # different set of vendors (the evicted one is no longer active).
    product = Product.objects.filter(title=title).order_by("pk").first()
    if product is not None:
        return product, False
    product = product_create(
        vendor=vendor,
        actor=_vendor_user(vendor),
        kind=kind,
        category=extra.pop("category"),
        title=title,
        description=extra.pop("description", f"{title}（演示数据）"),
        tags=extra.pop("tags", "演示"),
        deployment=extra.pop("deployment", "本云 华南地区（广州）"),
        specifications=_specs(specs),
        **extra,
    )
    return product, True


def _review(product: Product, reviewer: Any, *, fail: str | None = None):
    review = security_review_start(product=product, actor=reviewer)
    results = {item: (ItemResult.PASS, "") for item in ReviewItem.values}
    if fail:
        results[fail] = (ItemResult.FAIL, "演示：未通过")
    security_review_record(review=review, actor=reviewer, results=results)
    return review


def _list(product: Product, reviewer: Any) -> None:
    product_submit(product=product, actor=_vendor_user(product.vendor))
    review = _review(product, reviewer)
    security_review_approve(review=review, actor=reviewer, notes="演示：各项通过")


def seed(ctx: dict[str, Any]) -> None:
    vendors = _vendors(ctx)
    if not vendors:
        return  # nothing can be listed without an active vendor
    reviewer = ctx.get("security_reviewer") or ctx.get("admin")
    software = _category("software", "软件")
    saas = _category("saas", "SaaS")
    made: dict[str, Product] = {}
    listed: dict[str, Product] = {}

    # One listed product of every kind, spread over the vendors.
    for i, (kind, title, mode, saas_delivered, specs) in enumerate(LISTED):
        vendor = vendors[i % len(vendors)]
        product, created = _make(
            vendor,
            kind,
            title,
            specs,
            category=saas if kind == ProductKind.SAAS else software,
            sales_mode=mode,
            saas_delivered=saas_delivered,
        )
        if created:
            _list(product, reviewer)
            product.refresh_from_db()
        listed[kind] = product
        made[f"listed_{kind}"] = product

    first = vendors[0]
    # A listed product with an update waiting for security review (MS-6.1.2).
    backup = listed[ProductKind.SOFTWARE]
    if not backup.revisions.exists():
        revision = revision_create(
            product=backup,
            actor=_vendor_user(backup.vendor),
            title=f"{backup.title} 2.0",
            description="新增增量备份（待安全审核）",
            tags=backup.tags,
            deployment=backup.deployment,
            specifications=_specs(
                [("标准版", "1999.00", "year", False), ("旗舰版", "4999.00", "year", False)]
            ),
        )
        revision_submit(revision=revision, actor=_vendor_user(backup.vendor))

    # Awaiting security review: submitted, not yet taken.
    product, created = _make(
        first,
        ProductKind.SAAS,
        "智能客服 SaaS",
        [("基础版", "199.00", "month", False)],
        category=saas,
        saas_delivered=True,
    )
    if created:
        product_submit(product=product, actor=_vendor_user(first))
    made["submitted"] = product

    # In security review, an item still unanswered.
    product, created = _make(
        first,
        ProductKind.IMAGE,
        "WordPress 建站镜像",
        [("标准版", "29.00", "month", False)],
        category=software,
    )
    if created:
        product_submit(product=product, actor=_vendor_user(first))
        review = security_review_start(product=product, actor=reviewer)
        security_review_record(
            review=review,
            actor=reviewer,
            results={
                ReviewItem.INFRINGEMENT: (ItemResult.PASS, ""),
                ReviewItem.MALWARE: (ItemResult.PASS, "已扫描"),
            },
        )
    made["in_review"] = product

    # Rejected: deployed on another brand's cloud (MS-3.1.6).
    product, created = _make(
        first,
        ProductKind.MANUAL,
        "跨云部署代维服务",
        [("一次", "500.00", "once", False)],
        category=software,
        deployment="其他品牌云",
    )
    if created:
        product_submit(product=product, actor=_vendor_user(first))
        review = _review(product, reviewer, fail=ReviewItem.ON_THIS_CLOUD)
        security_review_reject(
            review=review, actor=reviewer, reason="部署在其他品牌云资源上（MS-3.1.6）"
        )
    made["rejected"] = product

    # A draft, never submitted.
    product, _created = _make(
        first,
        ProductKind.TOOL,
        "日志清理小工具",
        [("永久授权", "19.00", "once", False)],
        category=software,
    )
    made["draft"] = product

    # Delisted after a penalty.
    product, created = _make(
        vendors[-1],
        ProductKind.CLOUD_APP,
        "旧版 CRM 云应用",
        [("基础版", "99.00", "year", False)],
        category=software,
    )
    if created:
        _list(product, reviewer)
        product_delist(
            product=product,
            actor=ctx.get("compliance_reviewer") or ctx.get("admin"),
            reason="演示：违规下架（发布垃圾广告）",
        )
    made["delisted"] = product

    # MS-4.1.2: SaaS products must hold an ICP licence from now on (after the demo's own
    # submissions above, which predate the requirement).
    QualificationRequirement.objects.get_or_create(
        category=saas,
        name="增值电信业务经营许可证（ICP）",
        defaults={"description": "SaaS 产品须上传有效的 ICP 经营许可证"},
    )

    ctx["products"] = listed
    ctx["catalog_products"] = made
