"""Issue 12 §3: the penalty apply preview tells exactly which measures take effect at once and
which wait for a second approver (MS-7, MS-7.2, MS-8.3), and the proposer is never offered the
second approval."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import AppliedMeasure, CaseStatus
from compliance.services.penalties import ExtraMeasure, penalty_apply, penalty_measure_add
from tests.compliance.factories import confirmed_case, lead, reviewer

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def action_url(case, name):
    return reverse("admin:compliance_penaltycase_action", args=[case.pk, name])


def change_url(case):
    return reverse("admin:compliance_penaltycase_change", args=[case.pk])


# code, extra measure fields (posted as m0-*), whether everything waits
CASES = [
    ("SPAM_AD", {}, False),  # shield content + delist product: both at once
    ("FAKE_TRANSACTION", {}, False),  # shield store + restrict publishing, 15 days
    ("OFFLINE_TRADE", {}, True),  # evict, ban, 5,000 deduction: all wait
    # The table's measures need no approval, the extra deduction does: the whole penalty
    # waits (the case is one decision). The old page promised the shielding at once.
    ("SPAM_AD", {"m0-kind": "deduct_deposit", "m0-amount": "800"}, True),
    ("FAKE_TRANSACTION", {"m0-kind": "ban"}, True),
]


@pytest.mark.parametrize(("code", "extra", "all_wait"), CASES)
def test_ms_7_2_ms_8_3_preview_says_what_apply_does(client, code, extra, all_wait):
    """The preview's "at once" / "waits" per measure is what applying then creates."""
    case = confirmed_case(code=code)
    client.force_login(lead())
    data = {"reason": "per table", **extra}
    if extra:
        data["extra_reason"] = "repeat offence"
    preview = client.post(action_url(case, "apply"), {**data, "preview": "1"}, **EN)
    assert preview.status_code == 200
    rows = [r for r in preview.context["plan_rows"] if not r["skipped"]]
    promised = sorted((r["label"], r["waits"]) for r in rows)
    assert preview.context["plan_waits"] is all_wait
    body = preview.content.decode()
    if all_wait:
        assert "Nothing takes effect now." in body
        assert preview.context["plan_immediate"] == []
    else:
        assert "take effect at once" in body or "takes effect at once" in body
        assert preview.context["plan_waiting"] == []

    done = client.post(action_url(case, "apply"), {**data, "confirm": "1"}, **EN)
    assert done.status_code == 302
    case.refresh_from_db()
    created = sorted(
        (m.get_kind_display(), m.awaiting_approval) for m in case.measures.order_by("pk")
    )
    assert created == promised
    now = timezone.now()
    in_force = {m.pk for m in AppliedMeasure.objects.in_force(now).filter(penalty_case=case)}
    for measure in case.measures.all():
        # "at once" means in force now (one-shot acts included); "waits" means not yet.
        assert (measure.pk in in_force) is (not measure.awaiting_approval)
    assert case.status == (CaseStatus.PENDING_APPROVAL if all_wait else CaseStatus.APPLIED)


def test_ms_8_3_preview_in_chinese_names_the_waiting_measures(client):
    case = confirmed_case(code="SPAM_AD")
    client.force_login(lead())
    data = {
        "reason": "r",
        "extra_reason": "屡犯",
        "m0-kind": "deduct_deposit",
        "m0-amount": "1200",
        "preview": "1",
    }
    body = client.post(action_url(case, "apply"), data, **ZH).content.decode()
    assert "现在不会生效" in body
    assert "等待第二审批人" in body
    assert "¥1,200.00" in body


def test_ms_8_3_add_measure_preview_matches_what_is_created(client):
    """Adding a measure to an applied case: only a deduction / evict / ban waits."""
    user = lead()
    case = penalty_apply(case=confirmed_case(code="FAKE_TRANSACTION"), actor=user, reason="r")
    client.force_login(user)
    for kind, waits in (("restrict_publishing", False), ("deduct_deposit", True)):
        data = {"reason": "severity", "m0-kind": kind, "m0-days": "10", "m0-amount": "300"}
        preview = client.post(action_url(case, "add_measure"), {**data, "preview": "1"}, **EN)
        (row,) = preview.context["plan_rows"]
        assert row["waits"] is waits
        assert client.post(action_url(case, "add_measure"), {**data, "confirm": "1"}).status_code
        added = case.measures.filter(kind=kind).latest("pk")
        assert added.awaiting_approval is waits


def _has_approve_button(client, case) -> bool:
    page = client.get(change_url(case), **EN).content.decode()
    return action_url(case, "approve") in page


def _approve_page_offers_confirm(client, case) -> bool:
    page = client.get(action_url(case, "approve"), **EN)
    assert page.status_code == 200
    return 'name="confirm"' in page.content.decode()


def test_ms_8_3_proposer_sees_no_approve_button_anywhere(client):
    proposer, other = lead(), lead()
    case = penalty_apply(case=confirmed_case(code="OFFLINE_TRADE"), actor=proposer, reason="r")
    assert case.status == CaseStatus.PENDING_APPROVAL
    client.force_login(proposer)
    assert not _has_approve_button(client, case)
    assert not _approve_page_offers_confirm(client, case)
    page = client.get(action_url(case, "approve"), **EN).content.decode()
    assert "another compliance lead" in page
    # The "waiting for my second approval" list leaves out my own proposals.
    mine = client.get(reverse("admin:compliance_penaltycase_changelist") + "?approval=for_me", **EN)
    assert mine.status_code == 200 and case.reference not in mine.content.decode()
    # Typed by hand, the POST is refused and nothing changes.
    client.post(action_url(case, "approve"), {"reason": "me", "confirm": "1"})
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL

    client.force_login(other)
    assert _has_approve_button(client, case)
    assert _approve_page_offers_confirm(client, case)
    mine = client.get(
        reverse("admin:compliance_penaltycase_changelist") + "?approval=for_me", **EN
    ).content.decode()
    assert case.reference in mine


def test_ms_8_3_whoever_proposed_an_added_deduction_is_not_offered_its_approval(client):
    """A deduction added to an applied case waits; the lead who added it is the proposer."""
    first, adder, other = lead(), lead(), lead()
    case = penalty_apply(case=confirmed_case(code="FAKE_TRANSACTION"), actor=first, reason="r")
    penalty_measure_add(
        case=case,
        extra=ExtraMeasure(kind="deduct_deposit", amount=500),
        actor=adder,
        reason="severity",
    )
    client.force_login(adder)
    assert not _has_approve_button(client, case)
    assert not _approve_page_offers_confirm(client, case)
    client.force_login(other)
    assert _has_approve_button(client, case)


def test_ms_8_3_reviewer_gets_no_approve_button_and_a_403(client):
    case = penalty_apply(case=confirmed_case(code="FRAUD"), actor=lead(), reason="r")
    client.force_login(reviewer())
    assert not _has_approve_button(client, case)
    assert client.get(action_url(case, "approve")).status_code == 403
    assert (
        client.post(action_url(case, "approve"), {"reason": "x", "confirm": "1"}).status_code == 403
    )
