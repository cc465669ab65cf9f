"""Reference data of the vendors app (see marketplace.reference_data).

- Default product categories and their deposit tiers (MS-3.1.5 ①), loaded by migration 0003.
  The source does not state the amounts; the marketplace's published fee page uses three
  tiers, 1,000 / 2,000 / 5,000 CNY (RULES.md ASSUMPTION). Tiers are data: finance edits them
  in the admin, each effective from a date. The defaults take effect from the rule book's
  version date.
- The first version of the vendor access agreement (MS-3.1.4), loaded by migration 0006: the
  version the rule book names (2023-03-17) is the first in force.

Each function takes the historical app registry from a migration (only the fields the model
had at that migration are written) and the real one otherwise. Like the migrations, they
write no history rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps as global_apps

from marketplace.reference_data import get_or_add

EFFECTIVE_FROM = dt.date(2023, 3, 17)
# code, name (the operators' own term), tier amount
CATEGORIES = [
    ("tool", "工具类产品", "1000.00"),
    ("dev-tool", "开发工具", "1000.00"),
    ("image", "镜像服务", "2000.00"),
    ("software", "软件服务", "2000.00"),
    ("saas", "接入类SaaS", "2000.00"),
    ("cloud-app", "云应用", "2000.00"),
    ("ops", "运维服务", "5000.00"),
    ("manual", "人工服务", "5000.00"),
]
FIRST_AGREEMENT = {
    "version": "2023-03-17",
    "title": "服务商接入协议",
    "summary": "",
    "text": "云市场服务商接入协议（2023-03-17 版），与《云市场管理规范》同日生效。",
    "effective_from": dt.date(2023, 3, 17),
}


def load_categories_and_tiers(apps: Any = None, *, using: str = "default") -> None:
    apps = apps if apps is not None else global_apps
    Category = apps.get_model("vendors", "Category")
    DepositTier = apps.get_model("vendors", "DepositTier")
    for code, name, amount in CATEGORIES:
        category, _ = get_or_add(Category, {"code": code}, {"name": name}, using=using)
        get_or_add(
            DepositTier,
            {"category": category, "effective_from": EFFECTIVE_FROM},
            {"amount": Decimal(amount)},
            using=using,
        )


def load_first_agreement(apps: Any = None, *, using: str = "default") -> Any:
    """The first agreement version (returned: migration 0006 records who signed it)."""
    apps = apps if apps is not None else global_apps
    AgreementVersion = apps.get_model("vendors", "AgreementVersion")
    fields = dict(FIRST_AGREEMENT)
    version, _ = get_or_add(
        AgreementVersion, {"version": fields.pop("version")}, fields, using=using
    )
    return version


def load_reference_data(apps: Any = None, *, using: str = "default") -> None:
    load_categories_and_tiers(apps, using=using)
    load_first_agreement(apps, using=using)
