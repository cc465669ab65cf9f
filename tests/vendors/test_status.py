"""Vendor status machine: the transitions this issue needs, each with its permission."""

import pytest
from django_fsm import has_transition_perm

from marketplace import roles
from marketplace.exceptions import StateConflict, ValidationFailed
from tests.vendors.factories import active_vendor, complete_application, role_user
from vendors.models import Vendor
from vendors.services import (
    application_approve,
    deposit_pay,
    vendor_activate,
    vendor_exit_begin,
    vendor_exit_complete,
    vendor_reinstate,
    vendor_suspend,
)

pytestmark = pytest.mark.django_db


def test_suspend_reinstate_and_exit_with_reasons_and_history():
    vendor = active_vendor()
    vendor_suspend(vendor=vendor, actor=None, reason="investigation")
    vendor_reinstate(vendor=vendor, actor=None, reason="cleared")
    vendor_exit_begin(vendor=vendor, actor=None, reason="MS-8.2 vendor asked to leave")
    vendor_exit_complete(vendor=vendor, actor=None, reason="MS-8.4 orders refunded")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.EXITED
    reasons = [h.history_change_reason for h in vendor.history.order_by("history_id")][-4:]
    assert reasons == [
        "investigation",
        "cleared",
        "MS-8.2 vendor asked to leave",
        "MS-8.4 orders refunded",
    ]


def test_transition_from_the_wrong_state_is_refused_clearly():
    vendor = active_vendor()
    with pytest.raises(StateConflict) as info:
        vendor_reinstate(vendor=vendor, actor=None, reason="x")
    assert info.value.code == "transition_not_allowed"
    assert "while the vendor is Active" in str(info.value)
    with pytest.raises(ValidationFailed) as info:
        vendor_suspend(vendor=vendor, actor=None, reason="")
    assert info.value.code == "reason_required"
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.ACTIVE


def test_ms_3_1_5_manual_activation_needs_approval_and_the_deposit():
    application = complete_application()
    vendor = application.vendor
    with pytest.raises(StateConflict) as info:
        vendor_activate(vendor=vendor, actor=None, reason="go")
    assert info.value.code == "activation_blocked"
    assert "No approved onboarding application." in str(info.value)
    application_approve(application=application, actor=None)
    with pytest.raises(StateConflict) as info:
        vendor_activate(vendor=vendor, actor=None, reason="go")
    assert info.value.code == "activation_blocked"
    assert "¥2000.00 still due" in str(info.value)
    deposit_pay(vendor=vendor, amount="2000", actor=None, reason="paid")
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.ACTIVE  # activated by the payment itself


@pytest.mark.parametrize(
    ("role", "method", "allowed"),
    [
        # MS-8.3 / MS-7: nobody evicts alone; eviction is a penalty measure with a 2nd approver.
        (roles.COMPLIANCE_LEAD, "evict", False),
        (roles.COMPLIANCE_LEAD, "suspend", True),
        (roles.ONBOARDING_REVIEWER, "evict", False),
        (roles.ONBOARDING_REVIEWER, "begin_exit", True),
        (roles.FINANCE, "suspend", False),
        (roles.FINANCE, "begin_exit", False),
    ],
)
def test_each_transition_has_its_permission(role, method, allowed):
    vendor = active_vendor()
    user = role_user(role)
    assert has_transition_perm(getattr(vendor, method), user) is allowed


def test_roles_are_exact_and_minimal():
    from django.contrib.auth.models import Permission

    def perms(role):
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Permission.objects.filter(group=roles.group_for(role)).select_related(
                "content_type"
            )
            if p.content_type.app_label == "vendors"
        }

    reviewer, finance = perms(roles.ONBOARDING_REVIEWER), perms(roles.FINANCE)
    assert "vendors.review_onboardingapplication" in reviewer
    assert not {p for p in reviewer if "deposit" in p}
    assert {"vendors.record_depositentry", "vendors.process_depositrefund"} <= finance
    assert "vendors.review_onboardingapplication" not in finance
    assert "vendors.change_depositentry" not in finance
    assert "vendors.delete_depositentry" not in finance
    assert "vendors.evict_vendor" not in reviewer | finance
