"""Every door to a severe effect, tried over HTTP as the wrong person (MS-8.3, MS-7, MS-3.1.5).

Evicting or banning goes through a penalty case only: proposed by one compliance lead,
approved by another; the approval brings in the measures that hide the store and products.
Lifting a waiting proposal or an evict / ban / deduction is the lead's, with a reason.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import AppliedMeasure, CaseStatus, MeasureKind, PenaltyCase
from compliance.services.penalties import penalty_apply, penalty_approve
from marketplace import roles
from tests.compliance.factories import confirmed_case, lead, paid_vendor, reviewer, role_user
from tests.factories import ProductFactory, UserFactory
from vendors.models import BannedIdentity, Vendor
from vendors.selectors import deposit_balance

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
K = MeasureKind


def action_url(case: PenaltyCase, name: str) -> str:
    return reverse("admin:compliance_penaltycase_action", args=[case.pk, name])


def case_lift_url(measure: AppliedMeasure) -> str:
    return reverse("admin:compliance_penaltycase_lift", args=[measure.penalty_case_id, measure.pk])


def measure_lift_url(measure: AppliedMeasure) -> str:
    return reverse("admin:compliance_appliedmeasure_lift", args=[measure.pk])


def wrong_people() -> dict[str, object]:
    return {
        "compliance reviewer": reviewer(),
        "finance": role_user(roles.FINANCE),
        "onboarding reviewer": role_user(roles.ONBOARDING_REVIEWER),
        "refund arbitrator": role_user(roles.REFUND_ARBITRATOR),
        "security reviewer": role_user(roles.SECURITY_REVIEWER),
    }


def untouched(vendor: Vendor) -> None:
    vendor.refresh_from_db()
    vendor.store.refresh_from_db()
    assert vendor.status == Vendor.Status.ACTIVE
    assert not BannedIdentity.objects.filter(vendor=vendor).exists()
    assert vendor.store.displayed and vendor.store.trading


def proposed_ban(proposer=None) -> PenaltyCase:
    """FRAUD: evict, ban and a 5,000 deduction, proposed and waiting for a second lead."""
    vendor = paid_vendor()
    ProductFactory(vendor=vendor)
    case = confirmed_case(code="FRAUD", vendor=vendor)
    return penalty_apply(case=case, actor=proposer or lead(), reason="serious")


# --- the vendor admin's own evict door is gone --------------------------------------------


def test_ms_8_3_vendor_admin_evict_url_evicts_nobody_whoever_posts(client):
    """MS-8.3: `/admin/vendors/vendor/<id>/do/evict/` was a one-person eviction; it is no
    longer routed, for a compliance lead (even one refused as second approver), the other
    roles and a superuser."""
    proposer = lead()
    case = proposed_ban(proposer)
    vendor = case.vendor
    client.force_login(proposer)
    refused = client.post(action_url(case, "approve"), {"reason": "me", "confirm": "1"}, **EN)
    assert "another compliance lead" in refused.content.decode()
    url = f"/admin/vendors/vendor/{vendor.pk}/do/evict/"
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for user in [proposer, lead(), superuser, *wrong_people().values()]:
        client.force_login(user)
        assert client.post(url, {"reason": "OFFLINE_TRADE"}, **EN).status_code == 404
        assert client.get(url, **EN).status_code == 404
    untouched(vendor)


def test_ms_8_3_vendor_admin_bulk_actions_offer_no_eviction(client):
    """MS-8.3: the vendor changelist has no evict action; posting one changes nothing."""
    vendor = paid_vendor()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:vendors_vendor_changelist")
    response = client.get(changelist, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "evict" not in page.lower().split('name="action"')[-1].split("</select>")[0]
    for action in ("do_evict", "evict", "do_ban"):
        client.post(
            changelist,
            {"action": action, "_selected_action": [vendor.pk], "apply": "1", "reason": "x"},
            **EN,
        )
    untouched(vendor)


def test_ms_8_3_vendor_page_links_to_a_penalty_case_for_compliance_only(client):
    """MS-8.3: the vendor page's way to evict is a penalty case, offered to compliance."""
    vendor = paid_vendor()
    change = reverse("admin:vendors_vendor_change", args=[vendor.pk])
    link = reverse("admin:compliance_penaltycase_add") + f"?vendor={vendor.pk}"
    for user in (lead(), reviewer()):
        client.force_login(user)
        assert link in client.get(change, **EN).content.decode()
    for user in (role_user(roles.FINANCE), role_user(roles.ONBOARDING_REVIEWER)):
        client.force_login(user)
        page = client.get(change, **EN)
        assert page.status_code == 200 and link not in page.content.decode()


# --- the two-person path, whichever page starts it ----------------------------------------


def test_ms_8_3_eviction_from_the_vendor_page_needs_a_second_lead_and_hides_everything(client):
    """MS-8.3 / MS-7: open a case from the vendor page, apply with an extra eviction (MS-7.2):
    nothing happens until another compliance lead approves; then the vendor is evicted and
    banned, its store hidden, closed, not trading, its products not searchable."""
    vendor = paid_vendor()
    product = ProductFactory(vendor=vendor)
    proposer, second = lead(), lead()
    client.force_login(proposer)
    add = client.get(reverse("admin:compliance_penaltycase_add") + f"?vendor={vendor.pk}", **EN)
    assert f'value="{vendor.pk}"' in add.content.decode()
    case = confirmed_case(code="SPAM_AD", vendor=vendor, product=product, actor=proposer)
    data = {
        "reason": "fraud ring",
        "extra_reason": "repeat offender, serious consequences",
        "m0-kind": K.EVICT,
        "confirm": "1",
    }
    assert client.post(action_url(case, "apply"), data, **EN).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL
    untouched(vendor)
    # The proposer sees no approve button; a direct POST is refused with the message.
    page = client.get(reverse("admin:compliance_penaltycase_change", args=[case.pk]), **EN)
    assert page.status_code == 200
    assert action_url(case, "approve") not in page.content.decode()
    refused = client.post(action_url(case, "approve"), {"reason": "me", "confirm": "1"}, **EN)
    assert "another compliance lead" in refused.content.decode()
    for user in wrong_people().values():
        client.force_login(user)
        response = client.post(action_url(case, "approve"), {"reason": "ok", "confirm": "1"})
        assert response.status_code == 403
    untouched(vendor)
    client.force_login(second)
    page = client.get(reverse("admin:compliance_penaltycase_change", args=[case.pk]), **EN)
    assert action_url(case, "approve") in page.content.decode()
    assert (
        client.post(action_url(case, "approve"), {"reason": "agreed", "confirm": "1"}).status_code
        == 302
    )
    vendor.refresh_from_db()
    vendor.store.refresh_from_db()
    product.refresh_from_db()
    assert vendor.status == Vendor.Status.EVICTED
    assert BannedIdentity.objects.filter(vendor=vendor).count() == 2
    assert not vendor.store.displayed and not vendor.store.trading and vendor.store.closed
    assert not product.searchable and not vendor.can_publish


def test_ms_7_ban_added_to_an_applied_case_waits_for_a_second_lead(client):
    """MS-7.2 / MS-8.3: "Add measure" with a ban is a proposal too, not a one-person ban."""
    vendor = paid_vendor()
    proposer = lead()
    case = penalty_apply(
        case=confirmed_case(code="SPAM_AD", vendor=vendor), actor=reviewer(), reason="table"
    )
    assert case.status == CaseStatus.APPLIED
    client.force_login(proposer)
    data = {"reason": "worse than reported", "m0-kind": K.BAN, "confirm": "1"}
    assert client.post(action_url(case, "add_measure"), data, **EN).status_code == 302
    ban = case.measures.get(kind=K.BAN)
    assert ban.awaiting_approval
    untouched(vendor)
    refused = client.post(action_url(case, "approve"), {"reason": "me", "confirm": "1"}, **EN)
    assert "another compliance lead" in refused.content.decode()
    untouched(vendor)
    client.force_login(lead())
    client.post(action_url(case, "approve"), {"reason": "agreed", "confirm": "1"})
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.EVICTED


# --- lifting ------------------------------------------------------------------------------


def test_ms_8_3_lifting_a_waiting_proposal_is_refused_to_everyone_but_a_lead(client):
    """MS-8.3 / MS-7: a plain compliance reviewer (and every other role) cannot lift a waiting
    ban on the case's lift page nor on the measure's; nothing is lifted, the case still
    waits."""
    case = proposed_ban()
    ban = case.measures.get(kind=K.BAN)
    for user in wrong_people().values():
        client.force_login(user)
        for url in (case_lift_url(ban), measure_lift_url(ban)):
            assert client.get(url).status_code == 403
            assert client.post(url, {"reason": "clear it"}).status_code == 403
    ban.refresh_from_db()
    case.refresh_from_db()
    assert ban.lifted_at is None and case.status == CaseStatus.PENDING_APPROVAL
    client.force_login(reviewer())
    page = client.get(reverse("admin:compliance_appliedmeasure_change", args=[ban.pk]), **EN)
    assert page.status_code == 200
    assert measure_lift_url(ban) not in page.content.decode()


def test_ms_7_lead_lifting_every_waiting_measure_sends_the_case_back_to_confirmed(client):
    """MS-7: a case is never left "pending approval" with nothing to approve. A lead lifts
    (with a reason) every waiting measure: the case is confirmed again and can be re-applied;
    without a reason nothing happens."""
    case = proposed_ban()
    client.force_login(lead())
    waiting = list(case.measures.filter(awaiting_approval=True).order_by("pk"))
    assert len(waiting) >= 2
    response = client.post(measure_lift_url(waiting[0]), {"reason": ""}, **EN)
    assert response.status_code == 200
    waiting[0].refresh_from_db()
    assert waiting[0].lifted_at is None
    for measure in waiting[:-1]:
        assert client.post(case_lift_url(measure), {"reason": "too harsh"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL  # one still waits
    assert client.post(measure_lift_url(waiting[-1]), {"reason": "too harsh"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED
    assert case.events.last().to_status == CaseStatus.CONFIRMED
    untouched(case.vendor)
    assert deposit_balance(case.vendor) == Decimal("5000.00")


@pytest.mark.parametrize("kind", [K.BAN, K.EVICT, K.DEDUCT_DEPOSIT])
def test_ms_8_3_lifting_an_executed_ban_eviction_or_deduction_is_the_leads(client, kind):
    """MS-8.3 / MS-3.1.5: after approval, a reviewer cannot lift the ban, the eviction or the
    deduction (either page); a lead can, with a reason."""
    proposer = lead()
    case = penalty_approve(case=proposed_ban(proposer), actor=lead(), reason="agreed")
    measure = case.measures.get(kind=kind)
    assert measure.executed_at is not None
    for user in wrong_people().values():
        client.force_login(user)
        for url in (case_lift_url(measure), measure_lift_url(measure)):
            assert client.post(url, {"reason": "clear it"}).status_code == 403
    measure.refresh_from_db()
    assert measure.lifted_at is None
    client.force_login(lead())
    assert client.post(measure_lift_url(measure), {"reason": "appeal upheld"}).status_code == 302
    measure.refresh_from_db()
    assert measure.lifted_at is not None and measure.lift_reason == "appeal upheld"


def test_ms_7_reviewer_still_lifts_ordinary_measures(client):
    """MS-7: the lead-only rule is for severe measures; a reviewer lifts a store shield."""
    case = penalty_apply(case=confirmed_case(code="UNREACHABLE"), actor=reviewer(), reason="table")
    shield = case.measures.get(kind=K.SHIELD_STORE)
    client.force_login(reviewer())
    assert client.post(case_lift_url(shield), {"reason": "reachable again"}).status_code == 302
    shield.refresh_from_db()
    assert shield.lifted_at is not None


def test_ms_7_refuse_proposal_and_revoke_are_the_leads(client):
    """MS-7: refusing a proposal and revoking a case are refused to every other role."""
    case = proposed_ban()
    for user in wrong_people().values():
        client.force_login(user)
        assert (
            client.post(action_url(case, "reject"), {"reason": "no", "confirm": "1"}).status_code
            == 403
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL
    case = penalty_approve(case=case, actor=lead(), reason="agreed")
    for user in wrong_people().values():
        client.force_login(user)
        assert (
            client.post(action_url(case, "revoke"), {"reason": "no", "confirm": "1"}).status_code
            == 403
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.APPLIED
    assert case.measures.filter(lifted_at__isnull=True).count() == case.measures.count()
    assert timezone.now() >= case.applied_at


def test_ms_8_3_demo_evicts_and_deducts_only_through_two_leads():
    """MS-8.3 / MS-7: the demo's evicted vendor and its violation deductions come from penalty
    cases proposed by compliance-lead and approved by compliance-lead-2; the evicted store is
    hidden and its products unsearchable; the images vendor's deduction opened a top-up."""
    import io

    from django.core.management import call_command

    from catalog.models import Product
    from vendors.models import DepositEntry
    from vendors.selectors import open_obligations

    call_command("seed_demo", stdout=io.StringIO())
    evicted = Vendor.objects.get(status=Vendor.Status.EVICTED)
    case = PenaltyCase.objects.get(reference="DEMO-PC-007")
    assert case.vendor == evicted and case.status == CaseStatus.APPLIED
    approvers = {m.approved_by.username for m in case.measures.all()}
    assert approvers == {"compliance-lead-2"} and case.proposed_by.username == "compliance-lead"
    assert BannedIdentity.objects.filter(vendor=evicted).count() == 2
    assert not evicted.store.displayed and not evicted.store.trading
    assert not Product.objects.filter(vendor=evicted, searchable=True).exists()
    images = PenaltyCase.objects.get(reference="DEMO-PC-006").vendor
    assert open_obligations(images).count() == 1
    assert deposit_balance(images) == Decimal("1200.00")
    references = set(
        DepositEntry.objects.filter(kind="deduction", cause="violation").values_list(
            "reference", flat=True
        )
    )
    assert references == {"DEMO-PC-006", "DEMO-PC-007"}
