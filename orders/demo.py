"""Demo orders, refunds, invoices and a SaaS delivery failure for `manage.py seed_demo`.

Runs after vendors/demo.py and catalog/demo.py and buys their listed products (ctx
["products"], or whatever is listed in the database). Idempotent: every demo order has a fixed
external ID; an order that exists is left alone, so its refunds and invoices are not redone.
Everything goes through the services, so history rows name the demo actors and reasons.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalog.models import Product, ProductKind, SalesMode, Specification
from marketplace.timeutils import china_date
from orders.models import SCOPE_PRESETS, Order, Refund, ServiceAccount
from orders.services import (
    DeliveryOutcome,
    InvoicePurpose,
    invoice_deliver,
    invoice_issue,
    invoice_request,
    order_close,
    order_complete,
    order_confirm_service,
    order_create,
    order_report_delivery,
    order_settle,
    refund_approve,
    refund_mark_refunded,
    refund_open_arbitration,
    refund_reject,
    refund_request,
    refund_vendor_agree,
    refund_vendor_dispute,
    service_account_create,
    vendor_terms_approve,
    vendor_terms_reject,
    vendor_terms_submit,
)

CHANNEL = "cn"


def _spec(product: Product) -> Specification | None:
    return (
        product.specifications.filter(active=True, price__gt=0, is_trial=False)
        .order_by("pk")
        .first()
    )


def _listed_by_kind(ctx: dict[str, Any]) -> dict[str, Product]:
    products = dict(ctx.get("products") or {})
    for product in Product.objects.filter(status=Product.Status.LISTED).order_by("pk"):
        products.setdefault(product.kind, product)
    usable = {}
    for kind, product in products.items():
        store = getattr(product.vendor, "store", None)
        if product.status == Product.Status.LISTED and store and store.trading and _spec(product):
            usable[kind] = product
    return usable


def _accounts(ctx: dict[str, Any]) -> None:
    for preset in ("storefront", "billing"):
        name = f"demo-{preset}"
        if ServiceAccount.objects.filter(name=name).exists():
            continue
        _account, token = service_account_create(
            name=name, channel=CHANNEL, operations=list(SCOPE_PRESETS[preset]), actor=None
        )
        ctx["logins"].append((f"API {name}", token, f"Bearer token ({preset}), shown once"))


def seed(ctx: dict[str, Any]) -> None:
    _accounts(ctx)
    products = _listed_by_kind(ctx)
    if not products:
        return  # nothing listed to buy (catalog demo missing)
    now = timezone.now()
    admin = ctx.get("admin")
    arbitrator = ctx.get("refund_arbitrator") or admin
    finance = ctx.get("finance") or admin
    fallback = next(iter(products.values()))

    def product(*kinds: str) -> Product:
        return next((products[k] for k in kinds if k in products), fallback)

    def buy(ext: str, prod: Product, days_ago: int, buyer: str) -> tuple[Order, bool]:
        spec = _spec(prod)
        return order_create(
            channel=CHANNEL,
            external_id=f"DEMO-{ext}",
            buyer_account_id=buyer,
            specification_id=spec.pk,
            amount=spec.price,
            paid_at=now - dt.timedelta(days=days_ago, hours=2),
        )

    def step(ext: str, prod: Product, days_ago: int, then: Callable[[Order], Any]) -> None:
        if Order.objects.filter(channel=CHANNEL, external_id=f"DEMO-{ext}").exists():
            return  # seeded before: its paid time was relative to that run's clock
        buyer = f"2000{zlib.crc32(ext.encode()):010d}"
        order, _created = buy(ext, prod, days_ago, buyer=buyer)
        then(order)

    def delivered(order: Order) -> Order:
        return order_report_delivery(
            order=order, outcome=DeliveryOutcome.DELIVERED, at=order.paid_at + dt.timedelta(hours=1)
        )

    def ask(order: Order, ext: str, amount: Decimal, reason: str, days_after: int = 1) -> Refund:
        refund, _ = refund_request(
            order=order,
            external_id=ext,
            reason_code=reason,
            amount_requested=amount,
            description="演示退款申请",
            evidence=["https://example.com/evidence.png"],
            requested_at=min(order.paid_at + dt.timedelta(days=days_after), now),
            # Seeded history: the request reached the platform when the buyer asked.
            received_at=min(order.paid_at + dt.timedelta(days=days_after), now),
        )
        return refund

    image = product(ProductKind.IMAGE, ProductKind.SOFTWARE)
    software = product(ProductKind.SOFTWARE, ProductKind.IMAGE)
    saas = product(ProductKind.SAAS)
    ops = product(ProductKind.OPS, ProductKind.MANUAL)
    manual = product(ProductKind.MANUAL, ProductKind.OPS)
    tool = product(ProductKind.TOOL, ProductKind.DEV_TOOL)
    cloud = product(ProductKind.CLOUD_APP, ProductKind.SOFTWARE)

    # --- orders in every state -----------------------------------------------------------
    step("PAID", image, 1, lambda o: None)
    step(
        "DELIVERING",
        software,
        1,
        lambda o: order_report_delivery(order=o, outcome=DeliveryOutcome.STARTED, at=o.paid_at),
    )
    step("DELIVERED", cloud, 2, delivered)
    if saas.saas_delivered or saas.kind == ProductKind.SAAS:
        step(
            "SAAS-FAILED",
            saas,
            3,
            lambda o: order_report_delivery(
                order=o,
                outcome=DeliveryOutcome.FAILED,
                at=o.paid_at + dt.timedelta(minutes=5),
                reason="开通接口返回 500，实例未创建",
            ),
        )

        def failed_then_repaired(o: Order) -> None:
            order_report_delivery(
                order=o, outcome=DeliveryOutcome.FAILED, at=o.paid_at, reason="许可证服务超时"
            )
            order_report_delivery(
                order=o, outcome=DeliveryOutcome.REPAIRED, at=o.paid_at + dt.timedelta(days=1)
            )

        step("SAAS-REPAIRED", saas, 12, failed_then_repaired)
    step("IN-SERVICE", ops, 6, delivered)

    def confirmed(o: Order) -> None:
        delivered(o)
        order_confirm_service(order=o, at=o.paid_at + dt.timedelta(days=3), actor=admin)

    step("CONFIRMED", manual, 9, confirmed)

    def completed(o: Order) -> None:
        delivered(o)
        order_complete(order=o, actor=admin, reason="买家确认完成")

    step("COMPLETED", tool, 20, completed)

    def closed(o: Order) -> None:
        completed(o)
        order_close(order=o, actor=finance, reason="演示：归档")

    step("CLOSED", software, 60, closed)

    # --- refunds in every state ------------------------------------------------------------
    step("R-REQUESTED", image, 2, lambda o: ask(o, "RF-1", o.amount, "not_as_expected"))
    # Issue 13: a request asked just now, its reply deadline ahead (the vendor's refund page).
    step("R-AWAITING", software, 0, lambda o: ask(o, "RF-1", o.amount, "not_received"))
    step(
        "R-AGREED",
        image,
        3,
        lambda o: refund_vendor_agree(
            refund=ask(o, "RF-1", o.amount, "bought_by_mistake"), actor=None, note="同意退款"
        ),
    )
    step(
        "R-DISPUTED",
        software,
        3,
        lambda o: refund_vendor_dispute(
            refund=ask(o, "RF-1", o.amount, "slow_or_rude"), actor=None, note="已按时交付"
        ),
    )

    def arbitration(o: Order) -> None:
        delivered(o)
        r = ask(o, "RF-1", o.amount, "not_received")
        refund_vendor_dispute(refund=r, actor=None, note="买家已使用")
        refund_open_arbitration(refund=r, actor=arbitrator, reason="双方未达成一致，平台介入")

    # Not the cloud app: its vendor is the evicted one, whose exit supersedes open refunds.
    step("R-ARBITRATION", software, 3, arbitration)

    def approved(o: Order) -> None:
        delivered(o)
        r = ask(o, "RF-1", o.amount, "not_as_expected")
        refund_vendor_dispute(refund=r, actor=None, note="不同意")
        refund_approve(refund=r, actor=arbitrator, reason="复议期内，不满意全额退款（MS-5.1）")

    step("R-APPROVED", image, 2, approved)

    def rejected(o: Order) -> None:
        delivered(o)
        r = ask(o, "RF-1", o.amount, "no_longer_needed", days_after=20)
        refund_vendor_dispute(refund=r, actor=None, note="已超出复议期且已完成交付")
        refund_reject(refund=r, actor=arbitrator, reason="复议期外，买家原因，商品已消耗")

    step("R-REJECTED", software, 40, rejected)

    def refunded_settled(o: Order) -> None:
        delivered(o)
        order_settle(order=o, actor=finance, reason="月度结算")
        r = ask(o, "RF-1", o.amount, "not_as_expected")
        r = refund_vendor_agree(refund=r, actor=None, note="同意")
        refund_mark_refunded(refund=r, actor=finance, reason="已原路退回")

    step("R-REFUNDED", image, 2, refunded_settled)  # also opens a clawback (MS-5.6)

    # --- invoices, including one needing a red-letter form (MS-5.5 ②) -----------------------
    consignment = next(
        (p for p in products.values() if p.sales_mode == SalesMode.CONSIGNMENT), None
    )

    def invoiced(o: Order) -> None:
        delivered(o)
        inv, _ = invoice_request(
            order=o,
            external_id="INV-1",
            purpose=InvoicePurpose.SALE,
            invoice_type="special",
            title="示例买家科技有限公司",
            tax_id="91310000MA1FL4J046",
        )
        invoice_issue(
            invoice=inv, number="04400001", issued_on=china_date(o.paid_at), actor=finance
        )
        invoice_deliver(invoice=inv, actor=finance)

    if consignment is not None:
        step("INVOICED", consignment, 3, invoiced)

        def red_letter(o: Order) -> None:
            invoiced(o)
            r = ask(o, "RF-1", o.amount, "not_as_expected", days_after=2)
            r = refund_vendor_agree(refund=r, actor=None)
            refund_mark_refunded(refund=r, actor=finance, reason="已退款")

        # Paid more than a month ago: the invoice's month has passed, a red form is needed.
        step("INVOICE-RED", consignment, 45, red_letter)
    step(
        "INVOICE-REQUESTED",
        software,
        2,
        lambda o: invoice_request(
            order=o, external_id="INV-1", purpose=InvoicePurpose.SALE, invoice_type="ordinary"
        ),
    )

    # --- vendor refund terms (MS-5.7.2): one approved, one awaiting approval ----------------
    vendor = software.vendor
    if not vendor.refund_terms.exists():
        approved_terms = vendor_terms_submit(
            vendor=vendor,
            text="复议期后按未消耗部分的 80% 退款",
            refund_percent="80",
            effective_from=now - dt.timedelta(days=90),
            actor=None,
        )
        vendor_terms_approve(terms=approved_terms, actor=arbitrator, reason="书面审批 #2026-001")
        refused = vendor_terms_submit(
            vendor=vendor,
            product=software,
            text="复议期后不退款",
            refund_percent="0",
            effective_from=now,
            actor=None,
        )
        # Issue 13: the vendor sees the arbitrator's reason for a refusal.
        vendor_terms_reject(
            terms=refused, actor=arbitrator, reason="复议期后一律不退款对买家不公平，请修改比例"
        )
        vendor_terms_submit(
            vendor=vendor,
            product=software,
            text="复议期后按未消耗部分的 50% 退款",
            refund_percent="50",
            effective_from=now + dt.timedelta(days=7),
            actor=None,
        )
    _statements(now=now, finance=finance, ctx=ctx)
    _exit_demo(ctx)


def _statements(*, now: dt.datetime, finance: Any, ctx: dict[str, Any]) -> None:
    """Settlement statements of the two months before this one: the older one carried
    through to paid, the newer one issued (one confirmed, one disputed, one left as draft),
    so every page and queue has something to show. Only once: skipped when any exists."""
    from orders.models import Statement
    from orders.services.settlement import (
        settlement_run,
        statement_approve,
        statement_issue,
        statement_mark_paid,
        statement_record_vat_invoice,
        statement_vendor_confirm,
        statement_vendor_dispute,
    )

    if Statement.objects.exists():
        return
    this_month = china_date(now).replace(day=1)
    last = (this_month - dt.timedelta(days=1)).replace(day=1)
    before = (last - dt.timedelta(days=1)).replace(day=1)
    for period in (before, last):
        settlement_run(period=period, actor=finance, now=now)
    for st in Statement.objects.filter(period=before).order_by("pk"):
        st = statement_issue(statement=st, actor=finance, reason="月结 演示")
        st = statement_vendor_confirm(statement=st, actor=None, note="核对无误")
        if st.needs_vat_invoice:
            st = statement_record_vat_invoice(
                statement=st,
                actor=None,
                number=f"4403{st.pk:08d}",
                date=china_date(now),
                amount=st.net_amount,
            )
        st = statement_approve(statement=st, actor=finance, reason="审核通过")
        statement_mark_paid(
            statement=st, actor=finance, reason="银行转账", reference=f"DEMO-PAY-{st.pk}"
        )
    for n, st in enumerate(Statement.objects.filter(period=last).order_by("pk")):
        if n % 3 == 2:
            continue  # left as a draft: the "to issue" queue
        st = statement_issue(statement=st, actor=finance, reason="月结 演示")
        if n % 3 == 0:
            statement_vendor_confirm(statement=st, actor=None, note="核对无误")
        else:
            statement_vendor_dispute(statement=st, actor=None, reason="少算了一笔订单")


def _exit_demo(ctx: dict[str, Any]) -> None:
    """A vendor leaving the marketplace (MS-8.2 → MS-8.4.1): it asked, an onboarding reviewer
    approved, its unfinished orders were refunded in full and one refund is already paid
    back; the deposit waits for the rest (MS-3.1.5 ④). Login: vendor-leaving."""
    from django.utils.translation import gettext_lazy as _

    from catalog.demo import _category, _list, _make
    from vendors.demo import DemoVendor, _credit_code, _seed_vendor
    from vendors.models import Vendor, VendorStaff
    from vendors.services import exit_approve, exit_request, vendor_term_set

    spec = DemoVendor(
        "leaving",
        "成都云迁软件有限公司",
        6,
        ["software"],
        "vendor-leaving",
        _("vendor owner: leaving the marketplace (MS-8), orders refunded on exit"),
        "active",
        deposit="2000.00",
    )
    vendor = Vendor.objects.filter(credit_code=_credit_code(spec.serial)).first()
    if vendor is None:
        vendor = _seed_vendor(spec, ctx)
        now = timezone.now()
        vendor_term_set(
            vendor=vendor,
            start=china_date(now) - dt.timedelta(days=300),
            end=china_date(now) + dt.timedelta(days=65),
            actor=ctx.get("onboarding_reviewer"),
            reason="演示：合作协议",
        )
        product, created = _make(
            vendor,
            ProductKind.SOFTWARE,
            "云迁数据迁移工具",
            [("标准版", "990.00", "once", False)],
            category=_category("software", "软件"),
        )
        if created:
            _list(product, ctx.get("security_reviewer") or ctx.get("admin"))
        product_spec = _spec(product)
        orders = []
        for i in range(3):
            order, _created = order_create(
                channel=CHANNEL,
                external_id=f"DEMO-EXIT-{i + 1}",
                buyer_account_id=f"20000000{i + 71:04d}",
                specification_id=product_spec.pk,
                amount=product_spec.price,
                paid_at=now - dt.timedelta(days=10 - i, hours=3),
            )
            orders.append(order)
        # One was already settled to the vendor: its refund raises a clawback (MS-5.6).
        orders[0].settled_at, orders[0].settled_amount = now, Decimal("891.00")
        orders[0].save(update_fields=["settled_at", "settled_amount"])
        owner = VendorStaff.objects.filter(vendor=vendor).first().user
        exit_ = exit_request(vendor=vendor, actor=owner, reason="公司业务调整，申请退出云市场")
        exit_approve(
            exit=exit_, actor=ctx.get("onboarding_reviewer"), reason="演示：已核实退出申请"
        )
        first = Refund.objects.filter(order=orders[0]).first()
        refund_mark_refunded(
            refund=first, actor=ctx.get("finance"), reason="演示：计费系统已退款给买家"
        )
    if VendorStaff.objects.filter(user__username=spec.login).exists():
        ctx["logins"].append((spec.login, ctx["password"], spec.description))
