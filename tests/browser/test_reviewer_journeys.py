"""Browser journeys of the reviewer roles (issue 12 §5): each starts on the admin home, the
"what needs you now" work board, opens the queue of its main job, goes to the decision and
checks what the person sees (Chinese texts) and what the database then holds. Each final
page is saved as a screenshot (tests/browser/conftest.py `save_artifact`).

Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.
Transactional tests flush the tables; the suite puts the reference data back before each one
(conftest.py `_reference_data`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from marketplace import roles

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=30_000)  # a loaded 2-core machine: wait long, never sleep

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


# --- steps every journey takes ----------------------------------------------------------------


# Navigations are awaited to the new document, not its "load" (see follow()).
DOM = "domcontentloaded"


def follow(page: Any, locator: Any) -> None:
    """Click a link or a submit button and wait until the next page's document is there:
    reading the page before the navigation ends reads the old page. Not its "load": that
    also waits for every frame, and the onboarding page's PDF viewers can take a minute on a
    loaded machine (the assertions that follow wait for what they read)."""
    with page.expect_navigation(wait_until=DOM):
        locator.click()


def open_queue(page: Any, key: str, label: str, count: int) -> None:
    """On the work board: the queue shows its Chinese name and how many wait; open its list."""
    expect(page.locator("#workboard h2")).to_have_text("待您处理")
    row = page.locator(f'#workboard tr[data-queue="{key}"]')
    expect(row.locator("th a")).to_have_text(label)
    expect(row.locator("td.num").first).to_have_text(str(count))
    follow(page, row.locator("th a"))
    expect(page.locator("#result_list")).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_have_count(count)


def board_count(page: Any, key: str) -> str:
    return page.locator(f'#workboard tr[data-queue="{key}"] td.num').first.inner_text().strip()


def success_message(page: Any) -> str:
    message = page.locator(".messagelist .success")
    expect(message).to_have_count(1)
    return message.inner_text()


# --- 1. onboarding ------------------------------------------------------------------------------


def test_ms_3_1_onboarding_reviewer_approves_from_the_board_with_documents_inline(
    live_server, page, media_root, staff_user, sign_in, save_artifact
):
    """MS-3.1, MS-3.1.3: the application waits in the onboarding queue; its page shows every
    document inline through the authenticated file view and the complete checklist once; the
    reviewer approves with a reason."""
    from tests.vendors.factories import complete_application
    from vendors.models import DocumentKind, OnboardingApplication

    reviewer = staff_user(roles.ONBOARDING_REVIEWER, "onboarding-a")
    application = complete_application(company_name="杭州云栈科技有限公司")

    sign_in(page, "onboarding-a")
    open_queue(page, "onboarding_applications", "待审核的入驻申请", 1)
    follow(page, page.locator("#result_list a", has_text="杭州云栈科技有限公司"))

    # The checklist is complete (listed once), the documents are on the page, each in a frame
    # served by the authenticated file view (never /media/).
    expect(page.locator(".checklist-ok")).to_have_count(1)
    cards = page.locator(".document-card")
    expect(cards).to_have_count(len(DocumentKind.values))
    expect(page.locator(".document-cards h2")).to_have_text("资质文件（MS-3.1.3）")
    frames = page.locator(".document-view iframe, .document-view object")
    expect(frames).to_have_count(len(DocumentKind.values))
    src = frames.first.get_attribute("src") or frames.first.get_attribute("data") or ""
    assert src.startswith("/files/vendor-document/"), src
    assert page.request.get(f"{live_server.url}{src}").status == 200

    follow(page, page.locator("a.transition-button[href$='/do/approve/']"))
    page.fill("#id_reason", "营业执照、法人身份证、开户证明均已核验")
    follow(page, page.locator("#transition-form input[name=confirm]"))
    page.wait_for_url(
        f"**/onboardingapplication/{application.pk}/change/", wait_until="domcontentloaded"
    )

    success_message(page)
    expect(page.locator(".field-status .readonly")).to_have_text("已批准")
    save_artifact(page, "onboarding-approved")
    application.refresh_from_db()
    assert application.status == OnboardingApplication.Status.APPROVED
    assert application.decided_by == reviewer
    assert application.history.first().history_change_reason == (
        "营业执照、法人身份证、开户证明均已核验"
    )


# --- 2. security review of an update ------------------------------------------------------------


def test_ms_6_1_2_ms_4_1_1_security_reviewer_approves_an_update_seeing_its_diff(
    live_server, page, staff_user, sign_in, save_artifact
):
    """MS-6.1.2, MS-4.1.1: an update of a listed product waits in the revisions queue; its
    page shows what it changes against the listed version (title, description, price); the
    reviewer starts the review, records every item as passed and approves: the new version is
    listed."""
    from catalog.models import Product, ProductRevision, SecurityReview
    from catalog.services import SpecInput, revision_create, revision_submit
    from tests.catalog.factories import listed_product

    reviewer = staff_user(roles.SECURITY_REVIEWER, "security-a")
    product = listed_product(
        reviewer, title="云端备份套件", description="每日全量备份。", price="1999.00"
    )
    revision = revision_create(
        product=product,
        actor=None,
        title="云端备份套件 2.0",
        description="每小时增量备份。",
        deployment=product.deployment,
        specifications=[SpecInput(name="Standard", price="2399.00")],
    )
    revision_submit(revision=revision, actor=None)

    sign_in(page, "security-a")
    open_queue(page, "revisions_to_review", "待安全审核的产品更新", 1)
    follow(page, page.locator("#result_list tbody tr").first.locator("a").first)

    # The update's page: the diff against the listed version, not the raw new values.
    diff = page.locator(".revision-diff")
    expect(diff).to_be_visible()
    expect(page.locator("fieldset h2", has_text="与在售版本的差异")).to_be_visible()
    expect(diff.locator("del", has_text="云端备份套件")).to_be_visible()
    expect(diff.locator("ins", has_text="云端备份套件 2.0")).to_be_visible()
    expect(diff).to_contain_text("每日全量备份。")
    expect(diff).to_contain_text("每小时增量备份。")
    expect(diff).to_contain_text("¥1,999.00")
    expect(diff).to_contain_text("¥2,399.00")

    follow(page, page.get_by_role("button", name="开始审核此更新"))
    success_message(page)
    review = SecurityReview.objects.get(revision=revision)
    page.wait_for_url(f"**/securityreview/{review.pk}/change/", wait_until=DOM)
    expect(page.locator(".revision-diff ins", has_text="云端备份套件 2.0")).to_be_visible()
    results = page.locator("select[name$='-result']")
    expect(results).to_have_count(review.items.count())
    for index in range(results.count()):
        results.nth(index).select_option("pass")
    follow(page, page.locator("input[name=_continue]"))
    expect(page.locator(".errornote")).to_have_count(0)

    follow(page, page.locator("#content a", has_text="审核通过").first)
    page.fill("#id_reason", "六项均已核对，价格调整有据")
    follow(page, page.locator("#content form input[type=submit]"))
    page.wait_for_url(f"**/securityreview/{review.pk}/change/", wait_until=DOM)
    assert "云端备份套件 2.0" in success_message(page)
    save_artifact(page, "security-update-approved")

    revision.refresh_from_db()
    product.refresh_from_db()
    assert revision.status == ProductRevision.Status.PUBLISHED
    assert product.status == Product.Status.LISTED
    assert product.title == "云端备份套件 2.0"
    assert product.specifications.get(active=True).price == Decimal("2399.00")
    review.refresh_from_db()
    assert review.outcome == SecurityReview.Outcome.APPROVED and review.reviewer == reviewer


# --- 3. refund arbitration ----------------------------------------------------------------------


def test_ms_5_1_ms_5_2_refund_arbitrator_decides_a_disputed_refund_with_its_facts(
    live_server, page, staff_user, sign_in, save_artifact
):
    """MS-5.1, MS-5.2: a refund the vendor disputed waits for arbitration; the decision page
    shows what was paid, what is asked, the amount the rules compute with the consumed share
    as a percentage, the vendor's statement and the buyer's evidence; the arbitrator approves
    the computed amount with a reason."""
    from orders.models import Refund
    from orders.services import refund_request, refund_vendor_dispute
    from tests.orders.factories import PAID_AT, make_order

    arbitrator = staff_user(roles.REFUND_ARBITRATOR, "arbitrator-a")
    order = make_order(billing_period="month", amount="3100.00", external_id="SF-ARB-1")
    asked_at = PAID_AT + dt.timedelta(days=10)  # after the review period: pro rata
    refund, _created = refund_request(
        order=order,
        external_id="R-ARB-1",
        reason_code="not_as_expected",
        amount_requested="3100.00",
        description="服务连续三天无法登录",
        evidence=["https://example.com/screenshot.png", "邮件截图已发客服"],
        requested_at=asked_at,
        received_at=asked_at,
    )
    refund_vendor_dispute(refund=refund, actor=None, note="已按时交付；\n日志已保留")

    sign_in(page, "arbitrator-a")
    open_queue(page, "refunds_to_arbitrate", "待平台仲裁的退款", 1)
    follow(page, page.locator("#result_list tbody tr").first.locator("a").first)
    follow(page, page.locator("a.transition-button[href$='/do/approve/']"))

    facts = page.locator(".decision-facts")
    for words in [
        "支付情况",
        "¥3,100.00",  # paid and asked
        "2026-07-01 10:00",  # paid, China time
        "买家申请",
        "按规则计算",
        "已消耗比例",
        "32.26%",
        "¥2,099.94",  # 3,100 × (1 − 32.26%), rounded down
        "复议期后申请",
        "服务商说明",
        "买家凭证",
        "服务连续三天无法登录",
        "邮件截图已发客服",
    ]:
        expect(facts).to_contain_text(words)
    expect(facts).not_to_contain_text("0.3226")
    expect(facts.locator('a[href="https://example.com/screenshot.png"]')).to_be_visible()
    expect(facts.locator("p", has_text="已按时交付")).to_contain_text("日志已保留")
    expect(page.locator(".decision-page")).to_contain_text("时间均为北京时间")

    page.fill("#id_reason", "服务已部分使用，按未消耗部分比例退款")
    follow(page, page.locator("#transition-form input[name=_confirm]"))
    page.wait_for_url(f"**/orders/refund/{refund.pk}/change/", wait_until=DOM)
    success_message(page)
    save_artifact(page, "refund-arbitrated")

    refund.refresh_from_db()
    assert refund.status == Refund.Status.APPROVED
    assert refund.approved_amount == Decimal("2099.94")
    assert refund.decision_reason == "服务已部分使用，按未消耗部分比例退款"
    assert refund.history.first().history_user == arbitrator


# --- 4. a severe penalty and its second approval ------------------------------------------------


def test_ms_7_ms_8_3_severe_penalty_waits_for_a_second_lead_who_approves_from_the_board(
    live_server, page, staff_user, sign_in, save_artifact
):
    """MS-7, MS-8.3: a lead applies a penalty that includes eviction, a ban and a deposit
    deduction; the preview says nothing takes effect now and lists what waits for a second
    approver; the proposer is offered no approval, on the case or on the board; another lead
    finds it under "awaiting your second approval" and approves."""
    from compliance.models import CaseStatus, PenaltyCase
    from tests.compliance.factories import confirmed_case, paid_vendor

    proposer = staff_user(roles.COMPLIANCE_LEAD, "lead-a")
    approver = staff_user(roles.COMPLIANCE_LEAD, "lead-b")
    vendor = paid_vendor(name="线下交易示例有限公司")
    case = confirmed_case(code="OFFLINE_TRADE", vendor=vendor, reference="CASE-OFF-1")

    sign_in(page, "lead-a")
    open_queue(page, "cases_to_apply", "已确认、待处罚的案例", 1)
    follow(page, page.locator("#result_list a", has_text="CASE-OFF-1").first)
    follow(page, page.locator("a.case-action", has_text="执行处罚"))

    plan = page.locator("#plan-summary")
    expect(plan.locator(".plan-waits")).to_contain_text("现在不会生效任何措施。")
    expect(plan.locator("#plan-immediate li")).to_have_text(["无"])
    waiting = plan.locator("#plan-waiting li")
    expect(waiting).to_have_count(3)  # evict, ban, deduct: all wait
    expect(plan.locator("#plan-waiting")).to_contain_text("¥5,000.00")
    page.fill("#id_reason", "线下交易证据确凿，依表清退")
    follow(page, page.locator("input[name=confirm]"))
    page.wait_for_url(f"**/penaltycase/{case.pk}/change/", wait_until=DOM)
    success_message(page)
    # The proposer is offered no approval, and the board does not ask them for it.
    expect(page.locator("a.case-action")).not_to_contain_text(["复核批准"])
    expect(page.locator("a.case-action", has_text="复核批准")).to_have_count(0)
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_APPROVAL
    page.goto(f"{live_server.url}/admin/")
    assert board_count(page, "cases_to_approve") == "0"

    sign_in(page, "lead-b")
    open_queue(page, "cases_to_approve", "待您复核批准的处罚", 1)
    follow(page, page.locator("#result_list a", has_text="CASE-OFF-1").first)
    follow(page, page.locator("a.case-action", has_text="复核批准"))
    expect(page.locator("#content-main")).to_contain_text("lead-a")  # who proposed
    page.fill("#id_reason", "复核证据无误，同意清退")
    follow(page, page.locator("input[name=confirm]"))
    page.wait_for_url(f"**/penaltycase/{case.pk}/change/", wait_until=DOM)
    success_message(page)
    save_artifact(page, "penalty-second-approval")

    case = PenaltyCase.objects.get(pk=case.pk)
    assert case.status == CaseStatus.APPLIED
    measures = list(case.measures.all())
    assert len(measures) == 3
    assert all(not m.awaiting_approval and m.approved_by == approver for m in measures)
    assert all(m.created_by == proposer for m in measures)


# --- 5. an appeal -------------------------------------------------------------------------------


def test_ms_7_appeal_waits_in_the_appeals_queue_and_is_decided_with_a_reason(
    live_server, page, staff_user, sign_in, save_artifact
):
    """MS-7: the vendor appealed an applied penalty; the lead opens it from "appeals to
    decide", reads the vendor's statement and upholds the penalty with a reason."""
    from compliance.models import CaseEvent, CaseStatus, PenaltyCase
    from compliance.services.penalties import penalty_appeal, penalty_apply
    from tests.compliance.factories import confirmed_case, vendor_user

    lead = staff_user(roles.COMPLIANCE_LEAD, "lead-appeals")
    case = confirmed_case(code="SPAM_AD", reference="CASE-APPEAL-1")
    penalty_apply(case=case, actor=lead, reason="依表处理")
    penalty_appeal(case=case, statement="广告为合作方误发，已删除", actor=vendor_user(case.vendor))

    sign_in(page, "lead-appeals")
    open_queue(page, "appeals_to_decide", "待裁决的申诉", 1)
    follow(page, page.locator("#result_list a", has_text="CASE-APPEAL-1").first)
    follow(page, page.locator("a.case-action", has_text="维持处罚（驳回申诉）"))
    expect(page.locator("#content-main")).to_contain_text("广告为合作方误发，已删除")
    page.fill("#id_reason", "删除不改变已发生的违规事实")
    follow(page, page.locator("input[name=confirm]"))
    page.wait_for_url(f"**/penaltycase/{case.pk}/change/", wait_until=DOM)
    success_message(page)
    # The case log reads in Chinese, the default report reason included.
    log = page.locator(".inline-group", has_text="操作记录")
    expect(log).to_contain_text("删除不改变已发生的违规事实")
    expect(log).not_to_contain_text("Case reported")
    save_artifact(page, "appeal-decided")

    case = PenaltyCase.objects.get(pk=case.pk)
    assert case.status == CaseStatus.UPHELD
    event = CaseEvent.objects.filter(case=case).order_by("pk").last()
    assert event.reason == "删除不改变已发生的违规事实" and event.actor == lead
    page.goto(f"{live_server.url}/admin/")
    assert board_count(page, "appeals_to_decide") == "0"


# --- 6. finance records a top-up ---------------------------------------------------------------


def test_ms_3_1_5_finance_records_an_overdue_top_up_from_the_board(
    live_server, page, staff_user, sign_in, save_artifact
):
    """MS-3.1.5 ③: a deduction left the deposit short and the 7 working days ran out; finance
    opens the overdue top-ups, goes to the record form (it shows the vendor's balance,
    required and owed amounts) and records the top-up: the obligation is settled."""
    from tests.compliance.factories import paid_vendor
    from tests.factories import violation_deduction
    from vendors.models import DepositEntry, TopUpObligation

    finance = staff_user(roles.FINANCE, "finance-a")
    vendor = paid_vendor(name="补缴示例有限公司")
    violation_deduction(vendor, "1000.00")
    obligation = TopUpObligation.objects.get(vendor=vendor, closed_at=None)
    # The 7 working days ran out two days ago.
    TopUpObligation.objects.filter(pk=obligation.pk).update(
        due_at=timezone.now() - dt.timedelta(days=2)
    )

    sign_in(page, "finance-a")
    open_queue(page, "overdue_topups", "逾期未补缴的保证金", 1)
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("补缴示例有限公司")
    expect(row).to_contain_text("¥1,000.00")
    follow(page, row.locator("a", has_text="登记补缴"))

    position = page.locator("#deposit-position")
    expect(position.locator("h2")).to_contain_text("补缴示例有限公司")
    facts = {
        (dt_el.inner_text().strip()): dd.inner_text().strip()
        for dt_el, dd in zip(
            position.locator("dt").all(), position.locator("dd").all(), strict=True
        )
    }
    assert facts["余额"] == "¥4,000.00"
    assert facts["应缴（档位）"].startswith("¥5,000.00")
    assert facts["保证金外欠缴"] == "¥0.00"
    assert page.locator("#id_vendor").input_value() == str(vendor.pk)
    assert page.locator("#id_kind").input_value() == "top_up"
    page.fill("#id_amount", "1000.00")
    page.fill("#id_reason", "银行回单 2026-11-28 已到账")
    follow(page, page.locator("#admin-form-page input[type=submit]"))
    page.wait_for_url(
        f"**/depositentry/?vendor__id__exact={vendor.pk}", wait_until="domcontentloaded"
    )
    assert "补缴 ¥1,000.00 · 补缴示例有限公司" in success_message(page)
    save_artifact(page, "deposit-topup-recorded")

    obligation.refresh_from_db()
    assert obligation.closed_at is not None
    entry = DepositEntry.objects.filter(vendor=vendor, kind="top_up").get()
    assert entry.amount == Decimal("1000.00") and entry.actor == finance
    assert entry.reason == "银行回单 2026-11-28 已到账"
    assert obligation.closed_by == entry
    page.goto(f"{live_server.url}/admin/")
    assert board_count(page, "overdue_topups") == "0"


# --- 7. the working-calendar year ---------------------------------------------------------------


def test_ms_3_1_5_finance_confirms_next_years_calendar_from_the_banner(
    live_server, page, staff_user, sign_in, save_artifact
):
    """MS-3.1.5 ③ ④ (issue 12 §4): the admin warns that a coming year's working calendar is
    unconfirmed; finance follows the banner's link to that year's page, confirms with a
    reason, and the warning is gone."""
    from marketplace.models import CalendarYear
    from marketplace.timeutils import china_date
    from marketplace.workcalendar import unconfirmed_years

    years = unconfirmed_years(china_date(timezone.now()))
    if not years:
        pytest.skip("the calendar package covers this year and the next")
    year = years[-1]
    finance = staff_user(roles.FINANCE, "finance-cal")

    sign_in(page, "finance-cal")
    banner = page.locator(".messagelist li.warning", has_text="工作日历")
    expect(banner).to_contain_text(str(year))
    follow(page, banner.locator("a", has_text=f"核对并确认 {year} 年"))
    page.wait_for_url(f"**/calendaryear/confirm/{year}/", wait_until=DOM)
    expect(page.locator("#content h1")).to_contain_text(str(year))
    page.fill("#id_reason", "已按国务院办公厅放假通知核对")
    follow(page, page.locator("#content-main form input[type=submit]"))
    page.wait_for_url("**/marketplace/calendaryear/", wait_until=DOM)
    assert str(year) in success_message(page)
    remaining = [y for y in years if y != year]
    warnings = page.locator(".messagelist li.warning")
    if remaining:
        expect(warnings).not_to_contain_text([str(year)])
    else:
        expect(warnings).to_have_count(0)
    save_artifact(page, "calendar-year-confirmed")

    confirmed = CalendarYear.objects.get(year=year)
    assert confirmed.confirmed_at is not None and confirmed.confirmed_by == finance
    assert confirmed.history.first().history_change_reason == "已按国务院办公厅放假通知核对"
