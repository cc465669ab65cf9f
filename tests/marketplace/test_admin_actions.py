"""The one admin action framework (issue 10, marketplace/admin_actions.py), tried over HTTP on
the refund arbitration actions (MS-5.1): the reason page lists what will be done and what will
be skipped and why; confirming does the ready records, each on its own, and names the others;
a wrong state or a wrong person changes nothing."""

from __future__ import annotations

import pytest

from marketplace import roles
from orders.models import Refund
from orders.services import refund_approve
from tests.factories import role_user
from tests.orders.factories import make_order
from tests.orders.test_refund_decision import disputed

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CHANGELIST = "/admin/orders/refund/"


def _three_refunds() -> tuple[Refund, Refund, Refund]:
    """Two disputed refunds (rejectable) and one already approved (not)."""
    first = disputed(make_order(external_id="SF-A1", amount="100.00"), "100.00", ext="R-A1")
    second = disputed(make_order(external_id="SF-A2", amount="80.00"), "80.00", ext="R-A2")
    approved = refund_approve(
        refund=disputed(make_order(external_id="SF-A3", amount="50.00"), "50.00", ext="R-A3"),
        actor=None,
        reason="vendor agreed on the phone",
    )
    return first, second, approved


def _statuses(*refunds: Refund) -> list[str]:
    return [Refund.objects.get(pk=r.pk).status for r in refunds]


def test_ms_5_1_reason_page_lists_what_will_be_done_and_what_is_skipped(client):
    first, second, approved = _three_refunds()
    client.force_login(role_user(roles.REFUND_ARBITRATOR))
    page = client.post(
        CHANGELIST,
        {"action": "reject", "_selected_action": [first.pk, second.pk, approved.pk]},
        **EN,
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "This will be done for 2 records:" in html
    assert "1 selected record will be skipped:" in html
    assert f"{approved}: not allowed in its current state" in html
    # Only the ready records go on to the confirmation.
    assert {r.pk for r in page.context["objects"]} == {first.pk, second.pk}
    assert _statuses(first, second, approved) == [
        Refund.Status.VENDOR_DISPUTED,
        Refund.Status.VENDOR_DISPUTED,
        Refund.Status.APPROVED,
    ]


def test_ms_5_1_confirming_does_the_ready_records_and_names_the_refused_one(client):
    first, second, approved = _three_refunds()
    client.force_login(role_user(roles.REFUND_ARBITRATOR))
    response = client.post(
        CHANGELIST,
        {
            "action": "reject",
            "apply": "1",
            "reason": "The logs show the service was delivered.",
            "_selected_action": [first.pk, second.pk, approved.pk],
        },
        follow=True,
        **EN,
    )
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert f"{approved}: not allowed in its current state" in texts
    assert any("done for 2" in t for t in texts), texts
    assert _statuses(first, second, approved) == [
        Refund.Status.REJECTED,
        Refund.Status.REJECTED,
        Refund.Status.APPROVED,
    ]
    assert Refund.objects.get(pk=first.pk).decision_reason == (
        "The logs show the service was delivered."
    )


def test_ms_5_1_no_reason_asks_again_and_writes_nothing(client):
    first, second, _approved = _three_refunds()
    client.force_login(role_user(roles.REFUND_ARBITRATOR))
    page = client.post(
        CHANGELIST,
        {"action": "reject", "apply": "1", "reason": "  ", "_selected_action": [first.pk]},
        **EN,
    )
    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    assert _statuses(first, second) == [Refund.Status.VENDOR_DISPUTED] * 2


def test_ms_5_1_nothing_ready_asks_nothing_and_says_why(client):
    *_, approved = _three_refunds()
    client.force_login(role_user(roles.REFUND_ARBITRATOR))
    response = client.post(
        CHANGELIST, {"action": "reject", "_selected_action": [approved.pk]}, follow=True, **EN
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(CHANGELIST, 302)]
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [f"{approved}: not allowed in its current state"]
    assert _statuses(approved) == [Refund.Status.APPROVED]


def test_ms_5_1_finance_cannot_run_the_arbitrators_action(client):
    """The action is not offered to finance, and posting it anyway changes nothing."""
    first, *_ = _three_refunds()
    client.force_login(role_user(roles.FINANCE))
    listing = client.get(CHANGELIST, **EN)
    assert listing.status_code == 200
    offered = [name for name, _label in listing.context["action_form"].fields["action"].choices]
    assert "reject" not in offered and "approve" not in offered
    response = client.post(
        CHANGELIST,
        {"action": "reject", "apply": "1", "reason": "not mine", "_selected_action": [first.pk]},
        **EN,
    )
    assert response.status_code == 302  # back to the list: the action is not one of finance's
    assert _statuses(first) == [Refund.Status.VENDOR_DISPUTED]
