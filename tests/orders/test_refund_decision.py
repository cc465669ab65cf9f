"""Refund arbitration in the admin (issue 12 §3, MS-5.1 to MS-5.7.2): the decision page shows
the facts of the decision (what was paid, what is asked, the amount the rules compute and why,
the vendor's statement, the buyer's evidence), its amount is the one the service approves, and
the record's page offers the actions as buttons to who may run them, and to nobody else."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import ProductKind
from marketplace import roles
from marketplace.money import format_cny
from orders.models import Refund, RefundBasis
from orders.services import (
    refund_approve,
    refund_mark_refunded,
    refund_request,
    refund_vendor_agree,
    refund_vendor_dispute,
    vendor_terms_approve,
    vendor_terms_submit,
)
from tests.factories import UserFactory, VendorStaffFactory
from tests.orders.factories import PAID_AT, make_order

pytestmark = pytest.mark.django_db

INSIDE = PAID_AT + dt.timedelta(days=2)
OUTSIDE = PAID_AT + dt.timedelta(days=10)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(roles.group_for(role))
    return user


def ask(order, amount: str, *, at=INSIDE, ext="R-1", evidence=None, description="it fails"):
    refund, _ = refund_request(
        order=order,
        external_id=ext,
        reason_code="not_as_expected",
        amount_requested=amount,
        description=description,
        evidence=evidence if evidence is not None else ["https://example.com/shot.png"],
        requested_at=at,
        received_at=at,  # seeded history: received when it was asked
    )
    return refund


def disputed(order, amount: str, *, at=INSIDE, ext="R-1", **kw) -> Refund:
    refund = ask(order, amount, at=at, ext=ext, **kw)
    return refund_vendor_dispute(refund=refund, actor=None, note="Delivered on time;\nlogs kept")


def do_url(refund: Refund, name: str) -> str:
    return reverse("admin:orders_refund_do", args=[refund.pk, name])


def change_url(refund: Refund) -> str:
    return reverse("admin:orders_refund_change", args=[refund.pk])


@pytest.fixture
def arbitrator(client):
    client.force_login(staff(roles.REFUND_ARBITRATOR))
    return client


# --- the amount shown is the amount approved ------------------------------------------------


def _inside_the_review_period():
    return disputed(make_order(amount="1999.00"), "1999.00"), {}


def _pro_rata_on_a_platform_ground_before_the_vendor_answered():
    order = make_order(billing_period="month", amount="310.00")
    return ask(order, "310.00", at=OUTSIDE), {"platform_ground": "1_vendor_late"}


def _vendor_terms_after_the_review_period():
    order = make_order(billing_period="month", amount="310.00")
    terms = vendor_terms_submit(
        vendor=order.vendor,
        text="half of the unused part",
        refund_percent="50",
        effective_from=PAID_AT - dt.timedelta(days=30),
        actor=None,
    )
    vendor_terms_approve(terms=terms, actor=None, reason="written approval")
    return disputed(order, "310.00", at=OUTSIDE), {}


def _after_an_earlier_refund_of_the_same_order():
    order = make_order(amount="500.00")
    first = ask(order, "120.00", ext="R-0")
    refund_vendor_agree(refund=first, actor=None)
    return disputed(order, "380.00", ext="R-1"), {}


def _arbitrators_inputs_change_the_amount():
    order = make_order(billing_period="month", amount="310.00")
    inputs = {"consumed_percent": "50", "full_refund_case": "", "platform_ground": ""}
    return disputed(order, "310.00", at=OUTSIDE), inputs


def _ops_before_confirmation_less_compensation():
    order = make_order(kind=ProductKind.OPS, amount="1000.00")
    return disputed(order, "1000.00", at=OUTSIDE), {"compensation": "200.00"}


@pytest.mark.parametrize(
    "scenario, basis, expected",
    [
        (_inside_the_review_period, RefundBasis.REVIEW_PERIOD, "1999.00"),
        (
            _pro_rata_on_a_platform_ground_before_the_vendor_answered,
            RefundBasis.PLATFORM_GROUND,
            "209.99",
        ),
        (_vendor_terms_after_the_review_period, RefundBasis.VENDOR_TERMS, "104.99"),
        (_after_an_earlier_refund_of_the_same_order, RefundBasis.REVIEW_PERIOD, "380.00"),
        (_arbitrators_inputs_change_the_amount, RefundBasis.PRO_RATA, "155.00"),
        (_ops_before_confirmation_less_compensation, RefundBasis.BEFORE_CONFIRMATION, "800.00"),
    ],
)
def test_ms_5_1_to_5_7_2_decision_page_amount_is_the_amount_the_service_approves(
    arbitrator, scenario, basis, expected
):
    """MS-5.1/5.2/5.3/5.4.1/5.7.2: the amount on the approve page (for the arbitrator's inputs,
    previewed without writing) is exactly what `refund_approve` then records."""
    refund, inputs = scenario()
    before = Refund.objects.get(pk=refund.pk)
    page = arbitrator.post(do_url(refund, "approve"), {**inputs, "_preview": "1"}, **EN)
    assert page.status_code == 200
    shown = page.context["decision"]["amount"]
    assert page.context["decision"]["facts"].quote.basis == basis
    assert shown == Decimal(expected)
    assert format_cny(shown) in page.content.decode()
    assert Refund.objects.get(pk=refund.pk).status == before.status  # a preview writes nothing
    done = arbitrator.post(do_url(refund, "approve"), {**inputs, "reason": "decided"}, **EN)
    assert done.status_code == 302 and done.url == change_url(refund)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.APPROVED
    assert refund.approved_amount == shown and refund.basis == basis


def test_ms_5_1_decision_page_on_get_shows_the_recorded_inputs_amount(arbitrator):
    refund = disputed(make_order(billing_period="month", amount="310.00"), "310.00", at=OUTSIDE)
    page = arbitrator.get(do_url(refund, "approve"), **EN)
    assert page.context["decision"]["amount"] == refund.computed_amount == Decimal("209.99")
    refund_approve(refund=refund, actor=None, reason="same inputs")
    refund.refresh_from_db()
    assert refund.approved_amount == Decimal("209.99")


# --- the facts, in Chinese and in English ----------------------------------------------------


def _facts_refund() -> Refund:
    order = make_order(billing_period="month", amount="3100.00", external_id="SF-FACTS")
    return disputed(
        order,
        "3100.00",
        at=OUTSIDE,
        evidence=["https://example.com/a.png", "javascript:alert(1)", "screenshot by mail"],
        description="Service <b>down</b> for days",
    )


def test_ms_5_2_decision_page_shows_the_facts_in_english(arbitrator):
    refund = _facts_refund()
    page = arbitrator.get(do_url(refund, "approve"), **EN).content.decode()
    text = re.sub(r"\s+", " ", page)
    # What was paid: the order (a link), the amount as money, the paid time in China time.
    assert f'href="{reverse("admin:orders_order_change", args=[refund.order_id])}"' in page
    assert "¥3,100.00" in page and "2026-07-01 10:00" in page
    # What is asked, when (China time).
    assert "Amount asked" in page and "2026-07-11 10:00" in page
    # What the rules compute and why: basis, consumed share as a percentage, the arithmetic.
    assert "¥2,099.94" in page  # 3100 × (1 − 32.26%), rounded down
    assert "Unconsumed part, pro rata (MS-5.2)" in page
    assert "32.26%" in page and "0.3226" not in page
    assert "Asked after the review period" in text
    # The vendor's refund terms (none approved), the vendor's statement in paragraphs.
    assert "No approved terms were in force when the buyer asked" in text
    assert "<p>Delivered on time;<br>logs kept</p>" in page
    # The buyer's words escaped, the evidence as a list: web links only, the rest as text.
    assert "Service &lt;b&gt;down&lt;/b&gt; for days" in page
    assert '<a href="https://example.com/a.png" target="_blank"' in page
    assert 'href="javascript:' not in page and "<li>javascript:alert(1)</li>" in page
    assert "<li>screenshot by mail</li>" in page
    assert '["https://' not in page and "[&quot;https://" not in page
    assert "Times are China time" in page


def test_ms_5_2_decision_page_shows_the_facts_in_chinese(arbitrator):
    refund = _facts_refund()
    page = arbitrator.get(do_url(refund, "approve"), **ZH).content.decode()
    for words in [
        "支付情况",
        "买家申请",
        "按规则计算",
        "服务商说明",
        "买家凭证",
        "已消耗比例",
        "32.26%",
        "¥3,100.00",
        "¥2,099.94",
        "复议期后申请",
        "2026-07-01 10:00",
        "时间均为北京时间",
        "按以上输入重新计算金额",
    ]:
        assert words in page, words
    for english in ["What was paid", "Amount asked", "Asked after the review period", "Why"]:
        assert english not in page, english


def test_ms_5_7_2_decision_page_names_the_vendor_terms_applied(arbitrator):
    refund, _inputs = _vendor_terms_after_the_review_period()
    page = arbitrator.get(do_url(refund, "approve"), **EN).content.decode()
    terms_url = reverse("admin:orders_vendorrefundterms_change", args=[refund.vendor_terms_id])
    assert f'href="{terms_url}"' in page
    assert "50% of the unconsumed part" in page and "half of the unused part" in page
    assert "Vendor&#x27;s approved refund terms (MS-5.7.2)" in page


def test_ms_5_1_request_above_the_rules_is_flagged_and_a_larger_amount_refused(arbitrator):
    order = make_order(billing_period="month", amount="310.00")
    refund = disputed(order, "310.00", at=OUTSIDE)
    page = arbitrator.get(do_url(refund, "approve"), **EN).content.decode()
    assert "The buyer asked ¥310.00, more than the rules allow: at most ¥209.99." in page
    refused = arbitrator.post(
        do_url(refund, "approve"), {"reason": "more", "amount": "300.00"}, **EN
    )
    assert refused.status_code == 200
    assert "The amount exceeds what the rules allow (209.99)." in refused.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED and refund.approved_amount is None


@pytest.mark.parametrize("junk", ["abc", "101", "-1", "1e2", "１０"])
def test_ms_5_2_bad_consumed_share_is_a_clear_error_and_writes_nothing(arbitrator, junk):
    refund = disputed(make_order(amount="100.00"), "100.00")
    for button in ("_preview", "_confirm"):
        response = arbitrator.post(
            do_url(refund, "approve"), {"reason": "x", "consumed_percent": junk, button: "1"}, **EN
        )
        assert response.status_code == 200
        assert response.context["form"].errors.get("consumed_percent")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED


def test_ms_5_1_approving_needs_a_reason_and_the_ground_before_the_vendor_answers(arbitrator):
    refund = ask(make_order(amount="100.00"), "100.00")
    page = arbitrator.get(do_url(refund, "approve"), **EN).content.decode()
    assert "The vendor has not answered yet: approving now needs a MS-5.2 ground" in page
    no_reason = arbitrator.post(do_url(refund, "approve"), {"reason": ""}, **EN)
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"]
    no_ground = arbitrator.post(do_url(refund, "approve"), {"reason": "vendor silent"}, **EN)
    assert no_ground.status_code == 200
    assert "needs a MS-5.2 ground" in no_ground.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REQUESTED


def test_ms_5_1_reject_page_shows_the_facts_and_rejects_with_the_reason(arbitrator):
    refund = disputed(make_order(amount="1999.00"), "1999.00")
    page = arbitrator.get(do_url(refund, "reject"), **EN)
    assert "¥1,999.00" in page.content.decode() and "Delivered on time" in page.content.decode()
    assert not page.context["decision"]["previewable"]
    done = arbitrator.post(do_url(refund, "reject"), {"reason": "used it fully"}, follow=True, **EN)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REJECTED and refund.decision_reason == "used it fully"
    assert "Reject the refund: done for" in done.content.decode()


# --- buttons and doors ------------------------------------------------------------------------


def _buttons(client, refund: Refund) -> set[str]:
    page = client.get(change_url(refund), **EN).content.decode()
    return set(re.findall(rf'href="/admin/orders/refund/{refund.pk}/do/([a-z_]+)/"', page))


def test_ms_5_1_arbitrator_sees_the_actions_the_state_allows_as_buttons(arbitrator):
    refund = disputed(make_order(amount="100.00"), "100.00")
    assert _buttons(arbitrator, refund) == {"open_arbitration", "approve", "reject"}
    refund = refund_approve(refund=refund, actor=None, reason="ok")
    assert _buttons(arbitrator, refund) == set()  # paying back is finance's


def test_ms_5_1_finance_sees_only_the_payment_button(client):
    client.force_login(staff(roles.FINANCE))
    refund = disputed(make_order(amount="100.00"), "100.00")
    assert _buttons(client, refund) == set()
    refund = refund_approve(refund=refund, actor=None, reason="ok")
    assert _buttons(client, refund) == {"mark_refunded"}
    response = client.get(do_url(refund, "mark_refunded"), **EN)
    page = response.content.decode()
    assert "What to pay back" in page and "¥100.00" in page
    facts = response.context["decision"]["facts"]
    # This approved refund is not among "other refunds" of the order.
    assert facts.inputs.already_refunded == 0 and facts.remaining == Decimal("100.00")
    client.post(do_url(refund, "mark_refunded"), {"reason": "paid, ref 42"}, **EN)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED


@pytest.mark.parametrize(
    "role", [roles.FINANCE, roles.COMPLIANCE_REVIEWER, roles.SECURITY_REVIEWER]
)
@pytest.mark.parametrize("name", ["approve", "reject", "open_arbitration"])
def test_ms_5_1_other_roles_get_no_arbitration_door_over_http(client, role, name):
    """Finance and other reviewers: 403 on GET and POST, nothing written."""
    client.force_login(staff(role))
    refund = disputed(make_order(amount="100.00"), "100.00")
    assert client.get(do_url(refund, name), **EN).status_code == 403
    response = client.post(do_url(refund, name), {"reason": "x", "_confirm": "1"}, **EN)
    assert response.status_code == 403
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED and refund.decided_by is None


def test_ms_5_1_vendor_user_gets_no_approve_door(client):
    refund = disputed(make_order(amount="100.00"), "100.00")
    vendor_user = VendorStaffFactory(vendor=refund.vendor, is_owner=True).user
    client.force_login(vendor_user)
    for method in (client.get, client.post):
        response = method(do_url(refund, "approve"), {"reason": "mine"})
        assert response.status_code == 302 and "/admin/login/" in response.url
    assert client.post(do_url(refund, "approve"), {"reason": "x"}).status_code == 302
    refund.refresh_from_db()
    assert refund.status == Refund.Status.VENDOR_DISPUTED


def test_ms_5_1_arbitrator_cannot_pay_and_decided_refund_is_not_decided_again(arbitrator):
    refund = refund_approve(
        refund=disputed(make_order(amount="100.00"), "100.00"), actor=None, reason="ok"
    )
    assert arbitrator.post(do_url(refund, "mark_refunded"), {"reason": "x"}).status_code == 403
    again = arbitrator.post(do_url(refund, "approve"), {"reason": "again"}, follow=True, **EN)
    assert "not allowed in its current state" in again.content.decode()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.APPROVED and refund.decision_reason == "ok"


def test_unknown_action_or_record_is_404_not_500(arbitrator):
    refund = disputed(make_order(amount="100.00"), "100.00")
    assert arbitrator.get(do_url(refund, "evict")).status_code == 404
    assert arbitrator.get("/admin/orders/refund/999999/do/approve/").status_code == 404
    assert arbitrator.get("/admin/orders/refund/abc/do/approve/").status_code == 404


def test_ms_5_1_bulk_approve_page_shows_the_facts_too(arbitrator):
    refund = disputed(make_order(amount="1999.00"), "1999.00")
    page = arbitrator.post(
        "/admin/orders/refund/",
        {"action": "approve", "_selected_action": [refund.pk]},
        **EN,
    )
    assert page.status_code == 200
    assert "What the rules compute" in page.content.decode()
    assert "¥1,999.00" in page.content.decode()


def test_ms_5_1_paid_refund_page_has_no_buttons_for_anyone(client):
    refund = refund_approve(
        refund=disputed(make_order(amount="100.00"), "100.00"), actor=None, reason="ok"
    )
    refund = refund_mark_refunded(refund=refund, actor=None, reason="paid")
    for role in (roles.REFUND_ARBITRATOR, roles.FINANCE):
        client.force_login(staff(role))
        assert _buttons(client, refund) == set()
