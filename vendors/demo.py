"""Demo vendors for `manage.py seed_demo` (idempotent: a vendor that exists is left alone).

Adds to `ctx`: `ctx["vendors"]` (key -> Vendor) for the apps seeded after this one, and the
vendor staff logins to `ctx["logins"]`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.audit import save_audited
from marketplace.timeutils import china_date
from vendors.models import (
    Category,
    CheckResult,
    DocumentKind,
    ExtraCondition,
    OnboardingApplication,
    Vendor,
    VendorDocument,
    VendorStaff,
)
from vendors.services import (
    application_accept_agreement,
    application_approve,
    application_document_add,
    application_start,
    application_start_review,
    application_submit,
    application_update,
    deposit_deduct,
    deposit_pay,
    deposit_topup,
)
from vendors.validators import credit_code_check_char

EXTRA_CONDITIONS = [
    ("registered-one-year", "公司成立满一年", 10),
    ("after-sales-hours", "每日 9:00-18:00 提供售后服务，QQ 在线、电话可接通（MS-4.3）", 20),
]


@dataclass
class DemoVendor:
    key: str
    name: str
    serial: int
    categories: list[str]
    login: str
    description: Any
    state: str  # active | applying | evicted
    deposit: str = "0"
    deductions: list[tuple[str, str, str]] = field(default_factory=list)  # amount, cause, ref
    top_ups: list[str] = field(default_factory=list)
    documents_valid_days: int | None = 1500


DEMO_VENDORS = [
    DemoVendor(
        "tools",
        "深圳云匠工具科技有限公司",
        1,
        ["tool", "dev-tool"],
        "vendor-tools",
        _("vendor owner: active, deposit whole"),
        "active",
        # The catalog demo lists software under this vendor too: the software tier (2,000).
        deposit="2000.00",
    ),
    DemoVendor(
        "images",
        "杭州镜像软件有限公司",
        2,
        ["image", "software", "saas"],
        "vendor-images",
        _("vendor owner: active, deposit deducted, top-up obligation open"),
        "active",
        # The 800 deduction (and the obligation it opens) comes from compliance's demo: a
        # violation deduction is a penalty measure approved by two leads (MS-7).
        deposit="2000.00",
    ),
    DemoVendor(
        "ops",
        "北京云维运维服务有限公司",
        3,
        ["ops"],
        "vendor-ops",
        _("vendor owner: active, documents expiring"),
        "active",
        deposit="5000.00",
        documents_valid_days=20,
    ),
    DemoVendor(
        "applicant",
        "上海新入驻网络科技有限公司",
        4,
        ["saas"],
        "vendor-applicant",
        _("vendor owner: application submitted, awaiting review"),
        "applying",
    ),
    DemoVendor(
        "evicted",
        "广州违规数据科技有限公司",
        5,
        ["software"],
        "vendor-evicted",
        _("vendor owner: evicted and banned for ever (MS-8.3)"),
        "evicted",
        deposit="2000.00",
        # Evicted by compliance's demo (DEMO-PC-007): proposed by one lead, approved by the
        # second (MS-8.3), which also deducts the 5,000 and hides the store.
    ),
]


def _demo_pdf(text: str) -> bytes:
    """A real one-page PDF, so reviewers can open the demo documents in the browser."""
    stream = f"BT /F1 24 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )


PDF = _demo_pdf("Demo document")


def _credit_code(serial: int) -> str:
    body = f"914403000000{serial:05d}"
    return body + credit_code_check_char(body)


def _owner(username: str, password: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": False})
    if created:
        user.set_password(password)
        user.save()
    return user


def _mark_checked(application: OnboardingApplication, reviewer: Any) -> None:
    """The reviewer's results, recorded as in the admin (with history)."""
    application.cloud_account_result = CheckResult.PASSED
    application.bank_verification_result = CheckResult.PASSED
    application.bank_verification_reference = "DEMO-BANK-OK"
    save_audited(
        application,
        actor=reviewer,
        reason="演示：条件核验通过",
        update_fields=[
            "cloud_account_result",
            "bank_verification_result",
            "bank_verification_reference",
        ],
    )
    for doc in VendorDocument.objects.filter(vendor=application.vendor, replaced_at=None):
        doc.review_result = CheckResult.PASSED
        save_audited(doc, actor=reviewer, reason="演示：已核验", update_fields=["review_result"])
    for result in application.condition_results.all():
        result.result = CheckResult.PASSED
        save_audited(result, actor=reviewer, reason="演示：已核验", update_fields=["result"])


def _seed_vendor(spec: DemoVendor, ctx: dict) -> Vendor:
    reviewer = ctx.get("onboarding_reviewer")
    finance = ctx.get("finance")
    owner = _owner(spec.login, ctx["password"])
    application = application_start(
        company_name=spec.name,
        credit_code=_credit_code(spec.serial),
        cloud_account_id=f"1000{spec.serial:08d}",
        actor=owner,
        owner=owner,
    )
    application_update(
        application=application,
        actor=owner,
        contact_name="张伟",
        contact_phone=f"1380013{spec.serial:04d}",
        contact_qq=f"8800{spec.serial:04d}",
        contact_email=f"contact{spec.serial}@example.com",
        declares_this_cloud_only=True,
        categories=list(Category.objects.filter(code__in=spec.categories)),
    )
    application_accept_agreement(application=application, version="2023-03-17", actor=owner)
    today = china_date(timezone.now())
    for kind in DocumentKind.values:
        application_document_add(
            application=application,
            kind=kind,
            file=ContentFile(PDF, name=f"{kind}.pdf"),
            valid_from=today - dt.timedelta(days=400),
            valid_until=today + dt.timedelta(days=spec.documents_valid_days)
            if spec.documents_valid_days
            else None,
            actor=owner,
        )
    application_submit(application=application, actor=owner)
    vendor = application.vendor
    if spec.state == "applying":
        return vendor
    application_start_review(application=application, actor=reviewer)
    _mark_checked(application, reviewer)
    application_approve(application=application, actor=reviewer, reason="演示：资料齐全，审核通过")
    deposit_pay(
        vendor=vendor, amount=spec.deposit, actor=finance, reason="演示：入驻保证金"
    )
    for amount, cause, reference in spec.deductions:
        deposit_deduct(
            vendor=vendor,
            amount=amount,
            cause=cause,
            reference=reference,
            actor=finance,
            reason="演示：扣除保证金",
        )
    for amount in spec.top_ups:
        deposit_topup(vendor=vendor, amount=amount, actor=finance, reason="演示：补缴保证金")
    vendor.refresh_from_db()
    return vendor


def seed(ctx: dict) -> None:
    for code, text, position in EXTRA_CONDITIONS:
        if not ExtraCondition.objects.filter(code=code).exists():
            save_audited(
                ExtraCondition(code=code, text=text, position=position),
                actor=ctx.get("admin"),
                reason="demo data",
            )
    vendors: dict[str, Vendor] = ctx.setdefault("vendors", {})
    for spec in DEMO_VENDORS:
        existing = Vendor.objects.filter(credit_code=_credit_code(spec.serial)).first()
        vendors[spec.key] = existing or _seed_vendor(spec, ctx)
        if VendorStaff.objects.filter(user__username=spec.login).exists():
            ctx["logins"].append((spec.login, ctx["password"], spec.description))
    _seed_duties(ctx, vendors)


NEW_AGREEMENT_VERSION = "2026-11-20"


def _seed_duties(ctx: dict, vendors: dict[str, Vendor]) -> None:
    """Issue 13: a new agreement version most vendors have not signed (MS-3.1.4), a
    replacement document awaiting review (MS-6.1.1) and one vendor's service commitments."""
    from vendors.models import AgreementVersion, ServiceCommitment
    from vendors.services import agreement_sign, document_replace, service_commitment_save

    if AgreementVersion.objects.filter(version=NEW_AGREEMENT_VERSION).exists():
        return  # seeded once
    today = china_date(timezone.now())
    version = AgreementVersion(
        version=NEW_AGREEMENT_VERSION,
        title="服务商接入协议（2026 年修订）",
        summary="第 4 条：售后服务时间为每日 09:00–18:00，QQ 与电话须保持在线（MS-4.4）。\n"
        "第 6 条：资料变更或到期须在 30 日内报备（MS-6.1.1）。",
        text="云市场服务商接入协议\n\n第一条 ……\n"
        "第四条 服务商应在每日 09:00–18:00 提供实时售后服务，"
        "QQ 不得离线，电话须有人接听；产品无法使用时应提供替代、数据备份或迁移方案。\n"
        "第六条 入驻资料发生变更或到期的，服务商应在变更之日起 30 日内向平台报备。\n……",
        effective_from=today - dt.timedelta(days=3),
    )
    save_audited(version, actor=ctx.get("onboarding_reviewer"), reason="演示：发布新版协议")
    tools, ops = vendors.get("tools"), vendors.get("ops")
    if tools is not None:
        owner = tools.staff.first().user if tools.staff.exists() else None
        agreement_sign(vendor=tools, actor=owner)
        if not ServiceCommitment.objects.filter(vendor=tools).exists():
            service_commitment_save(
                vendor=tools,
                online_channel="https://im.example.com/shop/yunjiang",
                phone="13800130001",
                qq="88000001",
                hours_start=dt.time(8, 30),
                hours_end=dt.time(20, 0),
                actor=owner,
            )
    if ops is not None:
        owner = ops.staff.first().user if ops.staff.exists() else None
        document_replace(
            vendor=ops,
            kind=DocumentKind.BUSINESS_LICENCE,
            file=ContentFile(PDF, name="business_licence_2026.pdf"),
            valid_from=today - dt.timedelta(days=2),
            valid_until=today + dt.timedelta(days=5 * 365),
            actor=owner,
        )
