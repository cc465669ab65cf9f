"""Refund policy per product kind (MS-2.8, MS-5.1) and the service-fee rate (MS-2.6), as data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import KindPolicy, ProductKind, ReviewPeriodRule, ServiceFeeRate
from catalog.selectors import kind_policy, service_fee_rate
from marketplace.exceptions import NotFound
from marketplace.timeutils import CHINA_TZ
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

RULES_DAY = dt.date(2023, 3, 17)


@pytest.mark.parametrize(
    ("kind", "rule", "days", "refundable"),
    [
        (ProductKind.IMAGE, ReviewPeriodRule.DAYS_FROM_PURCHASE, 5, True),
        (ProductKind.SOFTWARE, ReviewPeriodRule.DAYS_FROM_PURCHASE, 5, True),
        (ProductKind.SAAS, ReviewPeriodRule.DAYS_FROM_PURCHASE, 5, True),
        (ProductKind.CLOUD_APP, ReviewPeriodRule.DAYS_FROM_PURCHASE, 5, True),
        (ProductKind.OPS, ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED, None, True),
        (ProductKind.MANUAL, ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED, None, True),
        (ProductKind.TOOL, ReviewPeriodRule.NONE, None, False),
        (ProductKind.DEV_TOOL, ReviewPeriodRule.NONE, None, False),
    ],
)
def test_ms_2_8_policy_data_loaded_for_every_kind(kind, rule, days, refundable):
    """MS-2.8 / MS-5.1 and the RULES ASSUMPTIONs, loaded by the data migration."""
    policy = kind_policy(kind, dt.date(2026, 7, 1))
    assert policy.review_period_rule == rule
    assert policy.review_period_days == days
    assert policy.refundable is refundable
    assert policy.effective_from == RULES_DAY
    assert policy.history.count() == 1  # the load itself is in the history


def test_ms_2_8_every_kind_has_a_policy():
    assert set(KindPolicy.objects.values_list("kind", flat=True)) == set(ProductKind.values)


def test_ms_2_8_policy_is_effective_dated():
    """A later row applies from its day on; earlier purchases keep the older policy."""
    KindPolicy.objects.create(
        kind=ProductKind.IMAGE,
        effective_from=dt.date(2026, 9, 1),
        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        review_period_days=7,
    )
    assert kind_policy(ProductKind.IMAGE, dt.date(2026, 8, 31)).review_period_days == 5
    assert kind_policy(ProductKind.IMAGE, dt.date(2026, 9, 1)).review_period_days == 7


def test_ms_2_8_policy_lookup_uses_the_china_date_of_a_moment():
    KindPolicy.objects.create(
        kind=ProductKind.IMAGE,
        effective_from=dt.date(2026, 9, 1),
        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
        review_period_days=7,
    )
    # 2026-08-31 17:30 UTC is already 09-01 01:30 in China.
    moment = dt.datetime(2026, 8, 31, 17, 30, tzinfo=dt.UTC)
    assert kind_policy(ProductKind.IMAGE, moment).review_period_days == 7
    assert kind_policy(ProductKind.IMAGE, moment.astimezone(CHINA_TZ)).review_period_days == 7


def test_ms_2_8_no_policy_before_the_rules_is_an_error_not_a_default():
    with pytest.raises(NotFound) as exc:
        kind_policy(ProductKind.IMAGE, dt.date(2020, 1, 1))
    assert exc.value.code == "no_kind_policy"


def test_ms_2_8_days_must_match_the_rule():
    policy = KindPolicy(
        kind=ProductKind.OPS,
        effective_from=dt.date(2026, 1, 1),
        review_period_rule=ReviewPeriodRule.UNTIL_SERVICE_CONFIRMED,
        review_period_days=5,
    )
    with pytest.raises(ValidationError):
        policy.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        policy.save()
    counting = KindPolicy(
        kind=ProductKind.IMAGE,
        effective_from=dt.date(2026, 1, 1),
        review_period_rule=ReviewPeriodRule.DAYS_FROM_PURCHASE,
    )
    with pytest.raises(ValidationError):
        counting.full_clean()


def test_ms_2_6_default_service_fee_rate_is_ten_percent():
    category = CategoryFactory()
    rate = service_fee_rate(category, dt.date(2026, 7, 1))
    assert rate == Decimal("0.1000")
    assert isinstance(rate, Decimal)


def test_ms_2_6_category_rate_overrides_default_from_its_day():
    category, other = CategoryFactory(), CategoryFactory()
    ServiceFeeRate.objects.create(
        category=category, rate=Decimal("0.0500"), effective_from=dt.date(2026, 6, 1)
    )
    assert service_fee_rate(category, dt.date(2026, 5, 31)) == Decimal("0.1000")
    assert service_fee_rate(category, dt.date(2026, 6, 1)) == Decimal("0.0500")
    assert service_fee_rate(category.pk, dt.date(2026, 6, 1)) == Decimal("0.0500")
    assert service_fee_rate(other, dt.date(2026, 6, 1)) == Decimal("0.1000")


def test_ms_2_6_later_default_applies_to_categories_without_own_rate():
    category = CategoryFactory()
    ServiceFeeRate.objects.create(
        category=None, rate=Decimal("0.1200"), effective_from=dt.date(2026, 10, 1)
    )
    assert service_fee_rate(category, dt.date(2026, 9, 30)) == Decimal("0.1000")
    assert service_fee_rate(category, dt.date(2026, 10, 1)) == Decimal("0.1200")


def test_ms_2_6_rate_must_be_a_fraction():
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceFeeRate.objects.create(
            category=None, rate=Decimal("1.0000"), effective_from=dt.date(2026, 1, 2)
        )
    with pytest.raises(ValidationError):
        ServiceFeeRate(
            category=None, rate=Decimal("-0.01"), effective_from=dt.date(2026, 1, 2)
        ).full_clean()


def test_ms_2_6_no_rate_in_force_is_an_error():
    with pytest.raises(NotFound) as exc:
        service_fee_rate(None, dt.date(2020, 1, 1))
    assert exc.value.code == "no_service_fee_rate"
