"""Factories of the orders tests: orders go through the real service, bulk rows do not."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from catalog.models import ProductKind, SalesMode
from marketplace.timeutils import CHINA_TZ
from orders.models import SCOPE_PRESETS, Order, ServiceAccount
from orders.services import order_create, service_account_create
from tests.factories import ProductFactory, SpecificationFactory

PAID_AT = dt.datetime(2026, 7, 1, 10, 0, tzinfo=CHINA_TZ)
_ids = itertools.count(1)


def make_spec(
    *,
    kind: str = ProductKind.SOFTWARE,
    sales_mode: str = SalesMode.PLATFORM,
    price: str = "100.00",
    billing_period: str = "once",
    vendor=None,
    saas_delivered: bool | None = None,
):
    product_kwargs = {"kind": kind, "sales_mode": sales_mode}
    if saas_delivered is not None or kind == ProductKind.SAAS:
        product_kwargs["saas_delivered"] = True if saas_delivered is None else saas_delivered
    if vendor is not None:
        product_kwargs["vendor"] = vendor
    product = ProductFactory(**product_kwargs)
    return SpecificationFactory(
        product=product, price=Decimal(price), billing_period=billing_period
    )


def make_order(
    *,
    kind: str = ProductKind.SOFTWARE,
    sales_mode: str = SalesMode.PLATFORM,
    amount: str = "100.00",
    paid_at: dt.datetime = PAID_AT,
    channel: str = "cn",
    spec=None,
    billing_period: str = "once",
    vendor=None,
    buyer: str = "200000000001",
    external_id: str | None = None,
) -> Order:
    spec = spec or make_spec(
        kind=kind,
        sales_mode=sales_mode,
        price=amount,
        billing_period=billing_period,
        vendor=vendor,
    )
    order, _created = order_create(
        channel=channel,
        external_id=external_id or f"EXT-{next(_ids)}",
        buyer_account_id=buyer,
        specification_id=spec.pk,
        amount=amount,
        paid_at=paid_at,
    )
    return order


def make_account(
    *, channel: str = "cn", preset: str = "storefront", name: str | None = None
) -> tuple[ServiceAccount, str]:
    return service_account_create(
        name=name or f"{preset}-{channel}-{next(_ids)}",
        channel=channel,
        operations=list(SCOPE_PRESETS[preset]),
        actor=None,
    )
