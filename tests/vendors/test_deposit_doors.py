"""Every door to a deposit deduction or its reversal, tried as the wrong person (MS-3.1.5, MS-7).

A deduction for a violation carries out an approved measure of a real penalty case and is
given back only by revoking that case (compliance lead); finance reverses only its own
entries (payments, top-ups, refund compensations); a refund deduction names a real refund.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import CaseStatus, MeasureKind
from compliance.services.penalties import penalty_apply, penalty_approve
from marketplace import roles
from marketplace.exceptions import PermissionDenied, ValidationFailed
from tests.compliance.factories import confirmed_case, lead, paid_vendor, reviewer, role_user
from tests.compliance.sweep.factories import orders as make_orders
from tests.compliance.sweep.factories import refund as make_refund
from tests.factories import UserFactory, violation_deduction
from vendors.models import DepositEntry
from vendors.selectors import deposit_balance
from vendors.services import deposit_deduct, deposit_pay, deposit_reverse

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def approved_deduction():
    """FRAUD (evict, ban, 5,000 deduction) proposed by one lead, approved by another."""
    vendor = paid_vendor()
    proposer = lead()
    case = penalty_apply(
        case=confirmed_case(code="FRAUD", vendor=vendor), actor=proposer, reason="r"
    )
    case = penalty_approve(case=case, actor=lead(), reason="agreed")
    entry = DepositEntry.objects.get(vendor=vendor, kind="deduction")
    return case, entry


def reverse_url(entry: DepositEntry) -> str:
    return reverse("admin:vendors_depositentry_transition", args=[entry.pk, "reverse"])


def no_reversal(entry: DepositEntry) -> None:
    assert not DepositEntry.objects.filter(reverses=entry).exists()


def test_ms_7_violation_deduction_names_its_case():
    """MS-3.1.5 ② / MS-7: the ledger entry of a carried-out deduction names its penalty case."""
    case, entry = approved_deduction()
    assert (entry.cause, entry.reference) == ("violation", case.reference)
    assert entry.amount == Decimal("5000.00")


def test_ms_7_no_door_reverses_a_violation_deduction_but_revoking_the_case(client):
    """MS-7 / MS-3.1.5: finance (the reverse permission), a superuser, compliance roles: the
    ledger's reverse URL, its bulk action and the service itself all refuse to give back a
    violation deduction; only revoking the case (a compliance lead) does."""
    case, entry = approved_deduction()
    finance = role_user(roles.FINANCE)
    client.force_login(finance)
    page = client.get(reverse("admin:vendors_depositentry_change", args=[entry.pk]), **EN)
    assert page.status_code == 200
    assert reverse_url(entry) not in page.content.decode()
    for user in (finance, UserFactory(is_staff=True, is_superuser=True), lead(), reviewer()):
        client.force_login(user)
        assert client.post(reverse_url(entry), {"reason": "mistake"}, **EN).status_code == 403
        client.post(
            reverse("admin:vendors_depositentry_changelist"),
            {"action": "do_reverse", "_selected_action": [entry.pk], "apply": "1", "reason": "x"},
            **EN,
        )
        no_reversal(entry)
    with pytest.raises(PermissionDenied) as info:
        deposit_reverse(entry=entry, actor=finance, reason="mistake")
    assert info.value.code == "violation_deduction_reverse"
    no_reversal(entry)
    # The case's own door: a reviewer or finance cannot revoke; a lead can, and the money
    # comes back with a reversing entry.
    revoke = reverse("admin:compliance_penaltycase_action", args=[case.pk, "revoke"])
    for user in (reviewer(), finance):
        client.force_login(user)
        assert client.post(revoke, {"reason": "no", "confirm": "1"}).status_code == 403
    no_reversal(entry)
    client.force_login(lead())
    assert client.post(revoke, {"reason": "appeal upheld", "confirm": "1"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REVOKED
    reversal = DepositEntry.objects.get(reverses=entry)
    assert reversal.reason == "appeal upheld"
    assert deposit_balance(case.vendor) == Decimal("5000.00")


def test_ms_3_1_5_finance_still_reverses_its_own_entries(client):
    """MS-3.1.5: finance reverses a payment (its own entry) with a reason, in one or in bulk."""
    vendor = paid_vendor("100.00")
    finance = role_user(roles.FINANCE)
    one = deposit_pay(vendor=vendor, amount="50", actor=finance, reason="slip 1")
    two = deposit_pay(vendor=vendor, amount="50", actor=finance, reason="slip 2")
    client.force_login(finance)
    assert client.post(reverse_url(one), {"reason": "entered twice"}).status_code == 302
    client.post(
        reverse("admin:vendors_depositentry_changelist"),
        {"action": "do_reverse", "_selected_action": [two.pk], "apply": "1", "reason": "bounced"},
    )
    assert DepositEntry.objects.filter(reverses__in=[one, two]).count() == 2


def test_ms_7_record_form_offers_no_violation_deduction(client):
    """MS-7: finance cannot deduct for a violation by hand, even naming a real case."""
    case, _entry = approved_deduction()
    vendor = paid_vendor()
    other_case = confirmed_case(code="SPAM_AD", vendor=vendor)
    client.force_login(role_user(roles.FINANCE))
    url = reverse("admin:vendors_depositentry_record")
    before = DepositEntry.objects.count()
    for reference in (other_case.reference, case.reference):
        data = {
            "vendor": vendor.pk,
            "kind": "deduction",
            "amount": "100.00",
            "cause": "violation",
            "reference": reference,
            "reason": "by hand",
        }
        response = client.post(url, data, **EN)
        assert response.status_code == 200
    assert DepositEntry.objects.count() == before


@pytest.mark.parametrize("reference", ["NO-SUCH-CASE", "case-of-another-vendor", "proposed"])
def test_ms_7_violation_deduction_needs_an_approved_measure_of_a_real_case(reference):
    """MS-3.1.5 ② / MS-7: the service refuses a violation deduction naming a missing case,
    another vendor's case, or a case whose deduction still waits for the second lead."""
    vendor = paid_vendor()
    if reference == "case-of-another-vendor":
        reference = approved_deduction()[0].reference
    elif reference == "proposed":
        case = penalty_apply(
            case=confirmed_case(code="FRAUD", vendor=vendor), actor=lead(), reason="r"
        )
        assert case.measures.get(kind=MeasureKind.DEDUCT_DEPOSIT).awaiting_approval
        reference = case.reference
    with pytest.raises(ValidationFailed) as info:
        deposit_deduct(
            vendor=vendor,
            amount="5000.00",
            cause="violation",
            reference=reference,
            actor=role_user(roles.FINANCE),
            reason="by hand",
        )
    assert info.value.code == "deduction_reference_unknown"
    assert deposit_balance(vendor) == Decimal("5000.00")


def test_ms_3_1_5_refund_deduction_names_a_real_refund_of_the_vendor(client):
    """MS-3.1.5 ② / MS-5.6: a refund-compensation deduction names refund:<id> of this vendor's
    agreed, approved or paid refund; anything else is refused with a message, nothing saved."""
    vendor = paid_vendor()
    stranger = paid_vendor()
    now = timezone.now()
    (order,) = make_orders(vendor, 1, paid_at=now - dt.timedelta(days=3))
    (foreign,) = make_orders(stranger, 1, paid_at=now - dt.timedelta(days=3))
    paid = make_refund(order, refunded_at=now - dt.timedelta(days=1))
    theirs = make_refund(foreign, refunded_at=now - dt.timedelta(days=1))
    client.force_login(role_user(roles.FINANCE))
    url = reverse("admin:vendors_depositentry_record")
    base = {"vendor": vendor.pk, "kind": "deduction", "amount": "10.00", "cause": "refund"}
    for bad in ("R-1", f"refund:{theirs.pk}", "refund:999999999", "refund:", "refund:1x"):
        response = client.post(url, {**base, "reference": bad, "reason": "comp"}, **EN)
        assert response.status_code == 200
        assert "does not name a valid cause" in response.content.decode()
    assert not DepositEntry.objects.filter(vendor=vendor, kind="deduction").exists()
    response = client.post(url, {**base, "reference": f"refund:{paid.pk}", "reason": "comp"})
    assert response.status_code == 302
    entry = DepositEntry.objects.get(vendor=vendor, kind="deduction")
    assert (entry.cause, entry.reference) == ("refund", f"refund:{paid.pk}")


def test_ms_3_1_5_test_helper_deduction_is_backed_by_an_approved_measure():
    """MS-7: the helper other tests use deducts through the same check (no bypass)."""
    vendor = paid_vendor()
    entry = violation_deduction(vendor, "100.00")
    assert entry.cause == "violation"
    with pytest.raises(ValidationFailed) as info:  # the measure is carried out: not a second time
        deposit_deduct(
            vendor=vendor,
            amount="100.00",
            cause="violation",
            reference=entry.reference,
            actor=None,
            reason="again",
        )
    assert info.value.code == "deduction_reference_unknown"
