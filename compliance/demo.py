"""Demo penalty cases for `manage.py seed_demo` (runs last; idempotent: a case whose reference
exists is left alone).

- DEMO-PC-001 reported (spam advertising), waiting for a reviewer;
- DEMO-PC-002 applied: store shielded and publishing restricted for 15 days (measures active);
- DEMO-PC-003 proposed ban + 5,000 CNY deduction, waiting for a second compliance lead
  (log in as compliance-lead-2 to approve: the proposer was compliance-lead);
- DEMO-PC-004 applied and appealed by the vendor, waiting for a decision;
- DEMO-PC-005 dismissed;
- DEMO-PC-006 applied: an 800 CNY deduction proposed by compliance-lead and approved by
  compliance-lead-2 (the images vendor's deposit is short: top-up obligation open);
- DEMO-PC-007 the "evicted" demo vendor: eviction, ban and 5,000 deduction proposed by
  compliance-lead and approved by compliance-lead-2 (MS-8.3: store hidden, products unsearchable).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from compliance.models import PenaltyCase, ViolationType
from compliance.services.penalties import (
    ExtraMeasure,
    case_create,
    penalty_appeal,
    penalty_apply,
    penalty_approve,
    penalty_confirm,
    penalty_dismiss,
)
from vendors.models import Vendor


def _vendor(ctx: dict, key: str) -> Vendor | None:
    vendor = (ctx.get("vendors") or {}).get(key)
    if vendor is None:
        vendor = Vendor.objects.filter(status=Vendor.Status.ACTIVE).order_by("pk").first()
    return vendor


def _owner(vendor: Vendor) -> Any:
    staff = vendor.staff.filter(is_owner=True).select_related("user").first()
    return staff.user if staff else None


def _case(ref: str, vendor: Vendor, code: str, days_ago: int, text: str, ctx: dict, **kw: Any):
    existing = PenaltyCase.objects.filter(reference=ref).first()
    if existing is not None:
        return existing, False
    case = case_create(
        reference=ref,
        vendor=vendor,
        violation=ViolationType.objects.get(code=code),
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        description=text,
        reporter="合规巡检",
        actor=ctx.get("compliance_reviewer"),
        **kw,
    )
    return case, True


def seed(ctx: dict) -> None:
    reviewer = ctx.get("compliance_reviewer") or ctx.get("admin")
    lead = ctx.get("compliance_lead") or ctx.get("admin")
    images, ops, tools = _vendor(ctx, "images"), _vendor(ctx, "ops"), _vendor(ctx, "tools")
    if images is None or ops is None or tools is None:
        return  # nothing to penalise without vendors

    product = (ctx.get("products") or {}).get("image")
    _case(
        "DEMO-PC-001",
        images,
        "SPAM_AD",
        3,
        "商品详情页嵌入与服务无关的外部广告链接。",
        ctx,
        product=product if product and product.vendor_id == images.pk else None,
        evidence_url="https://evidence.example.com/DEMO-PC-001.png",
    )

    case, created = _case(
        "DEMO-PC-002",
        ops,
        "UNREACHABLE",
        5,
        "用户反映 72 小时无法联系服务商，平台三次联系无果。",
        ctx,
    )
    if created:
        penalty_confirm(case=case, actor=reviewer, reason="核实属实：电话、邮件、站内信均无回应")
        penalty_apply(
            case=case, actor=reviewer, reason="按违规处理一览表：店铺屏蔽、限制发布 15 天"
        )

    case, created = _case(
        "DEMO-PC-003",
        images,
        "DATA_MISUSE",
        10,
        "服务商将平台收集的用户手机号出售给第三方。",
        ctx,
        evidence_url="https://evidence.example.com/DEMO-PC-003.pdf",
    )
    if created:
        penalty_confirm(case=case, actor=reviewer, reason="证据链完整，核实属实")
        penalty_apply(case=case, actor=lead, reason="严重违规：永久查封账户并扣除保证金 5000 元")

    case, created = _case(
        "DEMO-PC-004",
        tools,
        "SPAM_AD",
        7,
        "在用户评论区发布与服务无关的推广信息。",
        ctx,
        content="评论区推广帖：加微信领优惠",
    )
    if created:
        penalty_confirm(case=case, actor=reviewer, reason="截图核实")
        penalty_apply(case=case, actor=reviewer, reason="按表：屏蔽该信息")
        penalty_appeal(
            case=case,
            statement="该评论为用户发布，非我司人员所为，请复核。",
            actor=_owner(tools),
            evidence_urls=["https://evidence.example.com/DEMO-PC-004-appeal.png"],
        )

    case, created = _case(
        "DEMO-PC-005", tools, "MALICIOUS_REPORT", 20, "疑似对竞争对手产品恶意举报。", ctx
    )
    if created:
        penalty_dismiss(case=case, actor=reviewer, reason="举报次数正常，证据不足")

    _seed_two_person_cases(ctx, reviewer=reviewer, lead=lead, images=images)


def _seed_two_person_cases(ctx: dict, *, reviewer: Any, lead: Any, images: Vendor) -> None:
    """Severe measures exactly as the rules want them: one lead proposes, another approves
    (MS-7, MS-8.3). Without a second lead they stay waiting."""
    second = ctx.get("compliance_lead_2")
    case, created = _case(
        "DEMO-PC-006",
        images,
        "SPAM_AD",
        12,
        "店铺公告区反复发布引流广告，已两次警告。",
        ctx,
        content="店铺公告：加微信享内部价",
    )
    if created:
        penalty_confirm(case=case, actor=reviewer, reason="截图核实，屡次违规")
        penalty_apply(
            case=case,
            actor=lead,
            reason="按表屏蔽信息",
            extra=[ExtraMeasure(kind="deduct_deposit", amount=Decimal("800.00"))],
            extra_reason="屡教不改，加扣保证金 800 元（MS-7.2）",
        )
        if second is not None:
            penalty_approve(case=case, actor=second, reason="同意扣除")
    evicted = (ctx.get("vendors") or {}).get("evicted")
    if evicted is None:
        return  # never evict a vendor the vendors demo did not make for it
    case, created = _case(
        "DEMO-PC-007",
        evicted,
        "OFFLINE_TRADE",
        30,
        "引导用户线下转账交易，规避平台结算。",
        ctx,
        evidence_url="https://evidence.example.com/DEMO-PC-007.pdf",
    )
    if created:
        penalty_confirm(case=case, actor=reviewer, reason="聊天记录与转账凭证核实")
        penalty_apply(case=case, actor=lead, reason="严重违规：清退并永久禁入")
        if second is not None:
            penalty_approve(case=case, actor=second, reason="复核同意清退")
