"""Load the refund policy of every product kind and the default service-fee rate.

Effective from 2023-03-17, the version of the marketplace rules the portal implements.
- MS-2.8: image and software services: the purchase day through the 5th day; ops services
  until the service is confirmed. RULES ASSUMPTIONs: SaaS and cloud applications follow the
  software rule, manual services the ops rule, development tools are tool products.
- MS-5.1: tool products cannot be refunded.
- MS-2.6 ASSUMPTION: service fee 10% of the order amount, the default for every category.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

RULES_VERSION = dt.date(2023, 3, 17)

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


def load(apps, schema_editor):
    KindPolicy = apps.get_model("catalog", "KindPolicy")
    HistoricalKindPolicy = apps.get_model("catalog", "HistoricalKindPolicy")
    ServiceFeeRate = apps.get_model("catalog", "ServiceFeeRate")
    HistoricalServiceFeeRate = apps.get_model("catalog", "HistoricalServiceFeeRate")
    from django.utils import timezone

    now = timezone.now()
    reason = "loaded from the marketplace rules of 2023-03-17"
    for kind, rule, days, refundable, note in POLICIES:
        policy, created = KindPolicy.objects.get_or_create(
            kind=kind,
            effective_from=RULES_VERSION,
            defaults={
                "review_period_rule": rule,
                "review_period_days": days,
                "refundable": refundable,
                "note": note,
            },
        )
        if created:  # historical models have no simple-history signals: write the row
            HistoricalKindPolicy.objects.create(
                id=policy.pk,
                kind=kind,
                effective_from=RULES_VERSION,
                review_period_rule=rule,
                review_period_days=days,
                refundable=refundable,
                note=note,
                history_date=now,
                history_type="+",
                history_change_reason=reason,
            )
    rate, created = ServiceFeeRate.objects.get_or_create(
        category=None,
        effective_from=RULES_VERSION,
        defaults={"rate": Decimal("0.1000"), "note": "MS-2.6 ASSUMPTION: 10% default"},
    )
    if created:
        HistoricalServiceFeeRate.objects.create(
            id=rate.pk,
            category=None,
            rate=rate.rate,
            effective_from=RULES_VERSION,
            note=rate.note,
            history_date=now,
            history_type="+",
            history_change_reason=reason,
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_lifecycle_reviews_policies")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
