"""Issue 11 / MS-4.2: a receiver (or its deferred task) that hid a product for a failure
reported after the moment a running sweep evaluates must not see the sweep lift that hiding
as if every failure were repaired (seen in the delivery load benchmark: the first sweep
started, a storefront reported failures, the sweep's saas_delivery batch then lifted two of
the fresh hidings). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.models import AppliedMeasure, CauseType, MeasureKind
from compliance.sweep.runner import run_rule_now
from tests.compliance.sweep.factories import at, failure, product, sweep, vendor

pytestmark = pytest.mark.django_db

SWEEP_AS_OF = at("2026-11-20 10:00")


def test_ms_4_2_sweep_does_not_lift_a_hiding_taken_after_its_moment():
    v = vendor()
    prod = product(v, saas=True)
    reported = SWEEP_AS_OF + dt.timedelta(minutes=2)
    failure(v, failed_at=reported, prod=prod)
    run_rule_now("saas_delivery", vendor_id=v.pk, at=reported)  # the receiver, at once
    hiding = AppliedMeasure.objects.get(
        vendor=v, cause_type=CauseType.SAAS_DELIVERY, kind=MeasureKind.HIDE_PRODUCT
    )

    sweep(SWEEP_AS_OF, "saas_delivery")  # started before the report, its batch runs after

    hiding.refresh_from_db()
    prod.refresh_from_db()
    assert hiding.lifted_at is None
    assert not prod.searchable


def test_ms_4_2_sweep_still_lifts_hidings_once_every_failure_is_repaired():
    """The other side of the same rule: a hiding in force by the sweep's moment whose
    failures are all repaired is lifted."""
    v = vendor()
    prod = product(v, saas=True)
    failed_at = SWEEP_AS_OF - dt.timedelta(days=1)
    f = failure(v, failed_at=failed_at, prod=prod)
    run_rule_now("saas_delivery", vendor_id=v.pk, at=failed_at)
    f.repaired_at = SWEEP_AS_OF - dt.timedelta(hours=1)
    f.save(update_fields=["repaired_at"])

    sweep(SWEEP_AS_OF, "saas_delivery")

    assert not AppliedMeasure.objects.filter(
        vendor=v, cause_type=CauseType.SAAS_DELIVERY, lifted_at__isnull=True
    ).exists()
    prod.refresh_from_db()
    assert prod.searchable
