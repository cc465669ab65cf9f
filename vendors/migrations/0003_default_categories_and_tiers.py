"""Default product categories and their deposit tiers (MS-3.1.5 ①).

The source does not state the amounts; the marketplace's published fee page uses three tiers,
1,000 / 2,000 / 5,000 CNY (RULES.md ASSUMPTION). Tiers are data: finance edits them in the
admin, each effective from a date. The defaults take effect from the rule book's version date.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

EFFECTIVE_FROM = dt.date(2023, 3, 17)
# code, name (the operators' own term), tier amount
DEFAULTS = [
    ("tool", "工具类产品", "1000.00"),
    ("dev-tool", "开发工具", "1000.00"),
    ("image", "镜像服务", "2000.00"),
    ("software", "软件服务", "2000.00"),
    ("saas", "接入类SaaS", "2000.00"),
    ("cloud-app", "云应用", "2000.00"),
    ("ops", "运维服务", "5000.00"),
    ("manual", "人工服务", "5000.00"),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("vendors", "Category")
    DepositTier = apps.get_model("vendors", "DepositTier")
    for code, name, amount in DEFAULTS:
        category, _ = Category.objects.get_or_create(code=code, defaults={"name": name})
        DepositTier.objects.get_or_create(
            category=category,
            effective_from=EFFECTIVE_FROM,
            defaults={"amount": Decimal(amount)},
        )


class Migration(migrations.Migration):
    dependencies = [("vendors", "0002_onboarding_and_deposit")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
