"""Reference data of the catalog app (see marketplace.reference_data): the refund policy of
every product kind and the default service-fee rate, loaded by migration 0003.

Effective from 2023-03-17, the version of the marketplace rules the portal implements.
- MS-2.8: image and software services: the purchase day through the 5th day; ops services
  until the service is confirmed. RULES ASSUMPTIONs: SaaS and cloud applications follow the
  software rule, manual services the ops rule, development tools are tool products.
- MS-5.1: tool products cannot be refunded.
- MS-2.6 ASSUMPTION: service fee 10% of the order amount, the default for every category.

Takes the historical app registry from a migration and the real one otherwise; each row it
adds gets its "+" history row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps
from django.utils import timezone

from marketplace.reference_data import add_history, get_or_add

RULES_VERSION = dt.date(2023, 3, 17)
REASON = "loaded from the marketplace rules of 2023-03-17"

POLICIES = [
    # kind, rule, days, refundable, note
    ("image", "days_from_purchase", 5, True, "MS-2.8 image service"),
    ("software", "days_from_purchase", 5, True, "MS-2.8 software service"),
    ("saas", "days_from_purchase", 5, True, "MS-2.8 ASSUMPTION: follows software service"),
    ("cloud_app", "days_from_purchase", 5, True, "MS-2.8 ASSUMPTION: follows software service"),
    ("ops", "until_service_confirmed", None, True, "MS-2.8 ops service"),
    ("manual", "until_service_confirmed", None, True, "MS-2.8 ASSUMPTION: follows ops service"),
    ("tool", "none", None, False, "MS-5.1 tool products cannot be refunded"),
    ("dev_tool", "none", None, False, "MS-2.8 ASSUMPTION: development tools are tool products"),
]
DEFAULT_FEE_RATE = Decimal("0.1000")
DEFAULT_FEE_NOTE = "MS-2.6 ASSUMPTION: 10% default"

POLICY_FIELDS = [
    "id",
    "kind",
    "effective_from",
    "review_period_rule",
    "review_period_days",
    "refundable",
    "note",
]
RATE_FIELDS = ["id", "category_id", "rate", "effective_from", "note"]


def load_reference_data(apps: Any = None, *, using: str = "default") -> None:
    apps = apps if apps is not None else global_apps
    KindPolicy = apps.get_model("catalog", "KindPolicy")
    HistoricalKindPolicy = apps.get_model("catalog", "HistoricalKindPolicy")
    ServiceFeeRate = apps.get_model("catalog", "ServiceFeeRate")
    HistoricalServiceFeeRate = apps.get_model("catalog", "HistoricalServiceFeeRate")
    now = timezone.now()
    for kind, rule, days, refundable, note in POLICIES:
        policy, created = get_or_add(
            KindPolicy,
            {"kind": kind, "effective_from": RULES_VERSION},
            {
                "review_period_rule": rule,
                "review_period_days": days,
                "refundable": refundable,
                "note": note,
            },
            using=using,
        )
        if created:
            add_history(
                HistoricalKindPolicy, policy, POLICY_FIELDS, when=now, reason=REASON, using=using
            )
    rate, created = get_or_add(
        ServiceFeeRate,
        {"category": None, "effective_from": RULES_VERSION},
        {"rate": DEFAULT_FEE_RATE, "note": DEFAULT_FEE_NOTE},
        using=using,
    )
    if created:
        add_history(
            HistoricalServiceFeeRate, rate, RATE_FIELDS, when=now, reason=REASON, using=using
        )
