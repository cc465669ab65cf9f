"""A vendor's exit (MS-8): the term, asking to leave, ending early with a second approver,
the exit running end to end to the deposit refund (MS-3.1.5 ④), read-only pages after exit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from marketplace import roles
from marketplace.exceptions import PermissionDenied, StateConflict
from orders.models import Order, Refund
from orders.services import refund_mark_refunded
from tests.feed import EXIT_EVENTS, FeedEvents
from tests.orders.factories import make_order
from tests.vendors.factories import active_vendor, role_user, vendor_user
from vendors.models import DepositRefund, Vendor, VendorExit
from vendors.services import (
    deposit_pay,
    deposit_refund_complete,
    deposit_refund_receipt_received,
    exit_advance,
    exit_approve,
    exit_propose,
    exit_request,
    exit_start,
    exit_start_on_eviction,
)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def events():
    """What the storefront and billing feed received on exit (MS-8.4.1): the outbox's rows."""
    return FeedEvents(EXIT_EVENTS)


def vendor_with_orders(n: int = 2, deposit: str = "2000"):
    vendor = active_vendor()
    deposit_pay(vendor=vendor, amount=deposit, actor=None, reason="paid")
    orders = [make_order(vendor=vendor) for _ in range(n)]
    return vendor, orders


# --- MS-8.1 the term --------------------------------------------------------------------------


def test_ms_8_1_term_recorded_in_the_admin_with_reason_and_history(client):
    vendor = active_vendor()
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    client.force_login(reviewer)
    url = reverse("admin:vendors_vendor_term", args=[vendor.pk])
    response = client.post(
        url, {"term_start": "2026-01-01", "term_end": "2026-12-31", "reason": ""}, **EN
    )
    assert response.status_code == 200  # reason required: nothing written
    vendor.refresh_from_db()
    assert vendor.term_end is None
    response = client.post(
        url,
        {"term_start": "2026-01-01", "term_end": "2026-12-31", "reason": "signed agreement"},
        **EN,
    )
    assert response.status_code == 302
    vendor.refresh_from_db()
    assert vendor.term_end == dt.date(2026, 12, 31)
    record = vendor.history.first()
    assert record.history_user == reviewer and record.history_change_reason == "signed agreement"


def test_ms_8_1_term_end_before_start_is_refused(client):
    vendor = active_vendor()
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    url = reverse("admin:vendors_vendor_term", args=[vendor.pk])
    response = client.post(
        url, {"term_start": "2026-05-01", "term_end": "2026-04-01", "reason": "x"}, **EN
    )
    assert response.status_code == 200
    assert "cannot end before it starts" in response.content.decode()
    vendor.refresh_from_db()
    assert vendor.term_start is None


def test_ms_8_1_term_page_refused_to_a_role_without_the_right(client):
    vendor = active_vendor()
    client.force_login(role_user(roles.SECURITY_REVIEWER))
    url = reverse("admin:vendors_vendor_term", args=[vendor.pk])
    assert client.post(url, {"term_end": "2026-12-31", "reason": "x"}).status_code == 403


# --- MS-8.1 platform side: proposer and a DIFFERENT lead ---------------------------------------


def test_ms_8_1_platform_early_end_proposed_by_a_lead_approved_by_another(client, events):
    vendor, _orders = vendor_with_orders(2)
    lead1 = role_user(roles.COMPLIANCE_LEAD, "lead-one")
    lead2 = role_user(roles.COMPLIANCE_LEAD, "lead-two")
    client.force_login(lead1)
    propose = reverse("admin:vendors_vendor_transition", args=[vendor.pk, "propose-exit"])
    assert client.post(propose, {"reason": "repeated fraud complaints"}).status_code == 302
    exit_ = VendorExit.objects.get(vendor=vendor)
    assert exit_.status == VendorExit.Status.PROPOSED and exit_.requested_by == lead1

    # The proposer tries to approve its own proposal over HTTP: refused, nothing changes.
    approve = reverse("admin:vendors_vendorexit_transition", args=[exit_.pk, "approve"])
    response = client.post(approve, {"reason": "I approve myself"}, **EN)
    assert response.status_code == 200
    assert "A second compliance lead must approve" in response.content.decode()
    exit_.refresh_from_db()
    vendor.refresh_from_db()
    assert exit_.status == VendorExit.Status.PROPOSED
    assert vendor.status == Vendor.Status.ACTIVE
    assert not Refund.objects.filter(vendor=vendor).exists()

    client.force_login(lead2)
    assert client.post(approve, {"reason": "second approval"}).status_code == 302
    exit_.refresh_from_db()
    assert exit_.status == VendorExit.Status.STARTED and exit_.decided_by == lead2
    assert exit_.orders_to_refund == 2
    vendor.refresh_from_db()
    assert vendor.status == Vendor.Status.EXITING


def test_ms_8_1_proposer_cannot_approve_through_the_service_either():
    vendor = active_vendor()
    lead1 = role_user(roles.COMPLIANCE_LEAD, "lead-one")
    exit_ = exit_propose(vendor=vendor, actor=lead1, reason="ending early")
    with pytest.raises(PermissionDenied) as exc:
        exit_approve(exit=exit_, actor=lead1, reason="me again")
    assert exc.value.code == "second_approver_required"


def test_ms_8_1_non_lead_can_neither_propose_nor_approve_over_http(client):
    vendor = active_vendor()
    reviewer = role_user(roles.COMPLIANCE_REVIEWER)
    client.force_login(reviewer)
    propose = reverse("admin:vendors_vendor_transition", args=[vendor.pk, "propose-exit"])
    assert client.post(propose, {"reason": "x"}).status_code == 403
    assert not VendorExit.objects.exists()
    exit_ = exit_propose(vendor=vendor, actor=role_user(roles.COMPLIANCE_LEAD), reason="y")
    # An onboarding reviewer decides vendors' requests, not the platform's proposals.
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    approve = reverse("admin:vendors_vendorexit_transition", args=[exit_.pk, "approve"])
    assert client.post(approve, {"reason": "x"}).status_code == 403
    exit_.refresh_from_db()
    assert exit_.status == VendorExit.Status.PROPOSED


# --- MS-8.2 the vendor asks ---------------------------------------------------------------------


def test_ms_8_2_vendor_asks_to_leave_and_the_reviewer_approves(client, events):
    vendor, _orders = vendor_with_orders(1)
    user = vendor_user(vendor)
    client.force_login(user)
    page = client.get(reverse("vendor:exit"), **EN)
    assert page.status_code == 200 and "Ask to leave" in page.content.decode()
    response = client.post(reverse("vendor:exit_request"), {"reason": ""}, **EN)
    assert response.status_code == 400
    assert not VendorExit.objects.exists()
    response = client.post(reverse("vendor:exit_request"), {"reason": "closing the business"})
    assert response.status_code == 302
    exit_ = VendorExit.objects.get(vendor=vendor)
    assert exit_.status == VendorExit.Status.REQUESTED
    assert exit_.requested_by == user and exit_.history.first().history_user == user

    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    client.force_login(reviewer)
    approve = reverse("admin:vendors_vendorexit_transition", args=[exit_.pk, "approve"])
    assert client.post(approve, {"reason": "request checked"}).status_code == 302
    exit_.refresh_from_db()
    assert exit_.status == VendorExit.Status.STARTED
    assert [e[0] for e in events] == ["order.refund_on_exit"]


def test_ms_8_2_reviewer_rejects_with_reason_and_vendor_may_ask_again(client):
    vendor = active_vendor()
    exit_ = exit_request(vendor=vendor, actor=vendor_user(vendor), reason="leaving")
    client.force_login(role_user(roles.ONBOARDING_REVIEWER))
    reject = reverse("admin:vendors_vendorexit_transition", args=[exit_.pk, "reject"])
    assert client.post(reject, {"reason": ""}).status_code == 200  # a reason is required
    assert client.post(reject, {"reason": "contract obliges 3 months notice"}).status_code == 302
    exit_.refresh_from_db()
    assert exit_.status == VendorExit.Status.REJECTED
    assert exit_.decision_reason == "contract obliges 3 months notice"
    again = exit_request(vendor=vendor, actor=None, reason="asking again")
    assert again.pk != exit_.pk


def test_ms_8_2_second_request_while_one_is_pending_is_refused():
    vendor = active_vendor()
    exit_request(vendor=vendor, actor=None, reason="leaving")
    with pytest.raises(StateConflict) as exc:
        exit_request(vendor=vendor, actor=None, reason="again")
    assert exc.value.code == "exit_exists"
    assert VendorExit.objects.count() == 1


def test_ms_8_2_vendor_page_shows_only_its_own_exit(client):
    mine, other = active_vendor(), active_vendor()
    exit_request(vendor=other, actor=None, reason="the other vendor's secret reason")
    client.force_login(vendor_user(mine))
    page = client.get(reverse("vendor:exit"), **EN)
    assert page.status_code == 200
    assert "secret reason" not in page.content.decode()
    assert client.post(reverse("vendor:exit_request"), {"reason": "mine"}).status_code == 302
    assert VendorExit.objects.get(vendor=mine).reason == "mine"
    assert VendorExit.objects.filter(vendor=other).count() == 1


def test_ms_8_2_staff_user_gets_403_on_the_vendor_exit_page(client):
    client.force_login(role_user(roles.FINANCE))
    assert client.get(reverse("vendor:exit")).status_code == 403


# --- MS-8.3 eviction enters the same exit handling -------------------------------------------


def test_ms_8_3_eviction_starts_the_exit_and_refunds_orders(events):
    vendor, _orders = vendor_with_orders(2)
    from vendors.services import vendor_evict

    vendor_evict(vendor=vendor, actor=None, reason="MS-8.3 fraud")
    exit_ = exit_start_on_eviction(vendor=vendor, actor=None, reason="MS-8.3 fraud")
    assert exit_.cause == VendorExit.Cause.EVICTION and exit_.status == VendorExit.Status.STARTED
    assert Refund.objects.filter(vendor=vendor, external_id=f"exit:{exit_.pk}").count() == 2
    assert exit_start_on_eviction(vendor=vendor, actor=None, reason="again") is None


def test_ms_8_3_eviction_overtakes_a_pending_request():
    vendor = active_vendor()
    pending = exit_request(vendor=vendor, actor=None, reason="leaving")
    from vendors.services import vendor_evict

    vendor_evict(vendor=vendor, actor=None, reason="fraud")
    exit_ = exit_start_on_eviction(vendor=vendor, actor=None, reason="fraud")
    assert exit_.pk == pending.pk and exit_.cause == VendorExit.Cause.EVICTION
    assert exit_.status == VendorExit.Status.STARTED


# --- the exit end to end (MS-8.4.1, MS-3.1.5 ④) ------------------------------------------------


def test_ms_8_4_1_ms_3_1_5_exit_runs_end_to_end(events):
    vendor, orders = vendor_with_orders(3)
    finance = role_user(roles.FINANCE)
    exit_ = exit_start(
        vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="term ended"
    )
    assert exit_.orders_to_refund == 3
    refunds = list(Refund.objects.filter(vendor=vendor).order_by("pk"))
    assert [r.approved_amount for r in refunds] == [o.amount for o in orders]
    assert {r.status for r in refunds} == {Refund.Status.APPROVED}
    assert sorted(e[1] for e in events if e[0] == "order.refund_on_exit") == sorted(
        o.pk for o in orders
    )
    # Nothing moves while refunds are unpaid; rerunning the check changes nothing.
    assert exit_advance(exit=exit_, actor=finance).status == VendorExit.Status.STARTED
    for refund in refunds:
        refund_mark_refunded(refund=refund, actor=finance, reason="paid back by billing")
    assert set(Order.objects.filter(vendor=vendor).values_list("status", flat=True)) == {
        Order.Status.REFUNDED
    }
    exit_ = exit_advance(exit=exit_, actor=finance)
    assert exit_.status == VendorExit.Status.SETTLED
    refund = DepositRefund.objects.get(vendor=vendor)  # opened by the exit (MS-3.1.5 ④)
    refund = deposit_refund_receipt_received(refund=refund, actor=finance, reason="receipt back")
    deposit_refund_complete(refund=refund, actor=finance, reason="paid back")
    exit_.refresh_from_db()
    vendor.refresh_from_db()
    assert exit_.status == VendorExit.Status.CLOSED and exit_.closed_at is not None
    assert vendor.status == Vendor.Status.EXITED
    assert events[-1][0] == "vendor.exited" and events[-1][1] == vendor.pk
    statuses = [h.status for h in exit_.history.order_by("history_id")]
    for step in ("started", "orders_refunded", "settled", "deposit_refunded", "closed"):
        assert step in statuses
    assert all(h.history_change_reason for h in exit_.history.all())


def test_ms_8_4_1_exit_start_is_idempotent(events):
    vendor, _orders = vendor_with_orders(2)
    exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="ended")
    assert (
        exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="again")
        is None
    )
    assert Refund.objects.filter(vendor=vendor).count() == 2
    assert len(events) == 2


def test_ms_3_1_5_4_deposit_waits_for_outstanding_checks(events):
    from vendors import exit_checks

    vendor, _orders = vendor_with_orders(0)

    def unpaid_statement(v):
        return ["1 settlement statement unpaid."] if v.pk == vendor.pk else []

    exit_checks.register(unpaid_statement)
    try:
        exit_ = exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="x")
        exit_ = exit_advance(exit=exit_, actor=None)
        assert exit_.status == VendorExit.Status.ORDERS_REFUNDED
        assert not DepositRefund.objects.filter(vendor=vendor).exists()
    finally:
        exit_checks.unregister(unpaid_statement)
    assert exit_advance(exit=exit_, actor=None).status == VendorExit.Status.SETTLED


# --- MS-8.4.3 read only after exit, after-sales duty shown ------------------------------------


def test_ms_8_4_3_vendor_reads_but_cannot_act_after_exit(client, events):
    vendor, _orders = vendor_with_orders(1)
    user = vendor_user(vendor)
    exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="ended")
    client.force_login(user)
    orders_page = client.get(reverse("vendor:orders"), **EN)
    assert orders_page.status_code == 200
    assert "After-sales duty after exit (MS-8.4.3)" in orders_page.content.decode()
    assert client.get(reverse("vendor:refunds")).status_code == 200
    assert client.get(reverse("vendor:deposit")).status_code == 200
    exit_page = client.get(reverse("vendor:exit"), **EN).content.decode()
    assert "Orders refunded in full (MS-8.4.1)" in exit_page and "0 / 1" in exit_page
    # Any write of a vendor page is refused with a clear message; nothing is written.
    response = client.post(reverse("vendor:exit_request"), {"reason": "x"}, **EN)
    assert response.status_code == 403
    assert "you can no longer change anything here" in response.content.decode()
    assert VendorExit.objects.filter(vendor=vendor).count() == 1


def test_ms_8_4_3_finance_progress_page_lists_orders_deposit_and_checks(client, events):
    vendor, _orders = vendor_with_orders(2)
    exit_ = exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="x")
    client.force_login(role_user(roles.FINANCE))
    page = client.get(reverse("admin:vendors_vendorexit_change", args=[exit_.pk]), **EN)
    assert page.status_code == 200
    text = page.content.decode()
    assert "0 / 2 paid back to buyers" in text
    assert "Deposit (MS-3.1.5 ④)" in text
    assert "orders whose service is unfinished or not started" in text  # outstanding check
    advance = reverse("admin:vendors_vendorexit_transition", args=[exit_.pk, "advance"])
    assert client.post(advance, {"reason": ""}).status_code == 302


def test_ms_8_4_3_vendor_of_another_vendor_cannot_see_the_exit_in_admin(client):
    vendor = active_vendor()
    exit_ = exit_request(vendor=vendor, actor=None, reason="x")
    other = vendor_user(active_vendor())
    client.force_login(other)
    response = client.get(reverse("admin:vendors_vendorexit_change", args=[exit_.pk]))
    assert response.status_code == 302  # not staff: sent to the admin sign-in
    assert response["Location"].startswith("/admin/login/")


def test_ms_8_4_1_events_go_to_the_outbox_in_the_exits_transaction():
    """The real feed (issue 14 outbox): one order.refund_on_exit per order, vendor.exited at
    the close, each for the storefront and billing."""
    from marketplace.outbox import OutboxEvent

    vendor, orders = vendor_with_orders(2, deposit="0.01")
    exit_ = exit_start(vendor=vendor, cause=VendorExit.Cause.TERM_ENDED, actor=None, reason="x")
    rows = OutboxEvent.objects.filter(kind="order.refund_on_exit")
    assert sorted({int(r.subject_id) for r in rows}) == sorted(o.pk for o in orders)
    assert {r.channel for r in rows} == {"storefront", "billing"}
    for refund in Refund.objects.filter(vendor=vendor):
        refund_mark_refunded(refund=refund, actor=None, reason="paid")
    exit_ = exit_advance(exit=exit_, actor=None)
    refund = DepositRefund.objects.get(vendor=vendor)
    refund = deposit_refund_receipt_received(refund=refund, actor=None, reason="receipt")
    deposit_refund_complete(refund=refund, actor=None, reason="paid")
    exited = OutboxEvent.objects.filter(kind="vendor.exited")
    assert {r.subject_id for r in exited} == {str(vendor.pk)}


def test_ms_2_5_the_vendor_has_one_store_and_its_exit_is_the_vendors():
    """MS-2.5: one store per vendor; a second one is refused by the database."""
    from django.db import IntegrityError, transaction

    from tests.factories import StoreFactory

    vendor = active_vendor()
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreFactory(vendor=vendor)
    assert vendor.store is not None


def test_ms_8_4_3_only_the_statement_steps_that_finish_the_exit_stay_writable():
    from vendors import exit_progress

    assert exit_progress.writable_after_exit("vendor:statement_confirm")
    assert exit_progress.writable_after_exit("vendor:statement_vat_invoice")
    assert not exit_progress.writable_after_exit("vendor:refund_agree")
    assert not exit_progress.writable_after_exit("vendor:exit_request")
