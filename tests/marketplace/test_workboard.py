"""The reviewers' work board on the admin home: each role sees the queues it can act on, with
counts that agree with the lists they link to (MS-3.1, MS-4.1.1, MS-5.1, MS-7, MS-8.3)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import CaseStatus
from marketplace import roles
from marketplace.workboard import board, queues
from tests.compliance.factories import reported_case
from tests.vendors.factories import role_user
from vendors.models import OnboardingApplication

pytestmark = pytest.mark.django_db


def shown_keys(client, user) -> list[str]:
    client.force_login(user)
    html = client.get(reverse("admin:index")).content.decode()
    return re.findall(r'data-queue="([a-z_]+)"', html)


def needed(queue) -> tuple[str, ...]:
    return (queue.permission,) if isinstance(queue.permission, str) else queue.permission


@pytest.mark.parametrize("role", list(roles.ROLE_NAMES))
def test_each_role_sees_exactly_the_queues_it_can_act_on(client, role):
    """A queue the viewer cannot act on is not shown; every queue it can act on is."""
    user = role_user(role)
    expected = sorted(q.key for q in queues() if any(user.has_perm(p) for p in needed(q)))
    assert expected, f"{role} has no queue"
    assert sorted(shown_keys(client, user)) == expected


def test_queues_of_the_main_jobs_belong_to_their_roles():
    by_role = {
        role: {q.key for q in queues() if any(role_user(role).has_perm(p) for p in needed(q))}
        for role in roles.ROLE_NAMES
    }
    assert "onboarding_applications" in by_role[roles.ONBOARDING_REVIEWER]
    assert {"products_to_review", "revisions_to_review"} <= by_role[roles.SECURITY_REVIEWER]
    assert "refunds_to_arbitrate" in by_role[roles.REFUND_ARBITRATOR]
    assert "cases_to_confirm" in by_role[roles.COMPLIANCE_REVIEWER]
    assert "cases_to_approve" in by_role[roles.COMPLIANCE_LEAD]
    assert "cases_to_approve" not in by_role[roles.COMPLIANCE_REVIEWER]
    assert {"overdue_topups", "deposit_refunds_due"} <= by_role[roles.FINANCE]
    assert "cases_to_confirm" not in by_role[roles.SECURITY_REVIEWER]


def result_count(html: str) -> int:
    """The changelist's own count of the rows it lists."""
    match = re.search(r"(\d+) (?:result|results|个结果)", html) or re.search(
        r'class="paginator">\s*(\d+)', html
    )
    assert match, html[:2000]
    return int(match.group(1))


def test_ms_3_1_the_count_agrees_with_the_list_it_links_to(client):
    """MS-3.1: two submitted applications wait; the queue says 2 and its list shows those 2."""
    from tests.vendors.factories import complete_application, filled_application
    from vendors.services import application_submit

    application_submit(application=filled_application(), actor=None)  # submitted
    complete_application()  # under review
    filled_application()  # a draft does not wait for a reviewer
    user = role_user(roles.ONBOARDING_REVIEWER)
    (row,) = [r for r in board(user, timezone.now()) if r.queue.key == "onboarding_applications"]
    assert row.count == 2
    assert row.oldest is not None
    client.force_login(user)
    listing = client.get(row.url)
    assert listing.status_code == 200
    assert result_count(listing.content.decode()) == 2
    assert OnboardingApplication.objects.count() == 3


def test_ms_8_3_a_second_approval_never_waits_for_its_proposer(client):
    """MS-8.3, MS-7: the proposal waits for the other lead only, on the board and its list."""
    proposer = role_user(roles.COMPLIANCE_LEAD, "lead-a")
    other = role_user(roles.COMPLIANCE_LEAD, "lead-b")
    from compliance.services.penalties import penalty_apply
    from tests.compliance.factories import confirmed_case

    # FRAUD: evict, ban and a deduction, all waiting for a second lead.
    case = penalty_apply(case=confirmed_case(code="FRAUD"), actor=proposer, reason="serious")
    assert case.status == CaseStatus.PENDING_APPROVAL
    now = timezone.now()
    counts = {
        u.username: next(r for r in board(u, now) if r.queue.key == "cases_to_approve")
        for u in (proposer, other)
    }
    assert counts["lead-a"].count == 0
    assert counts["lead-b"].count == 1
    for user, expected in ((proposer, 0), (other, 1)):
        client.force_login(user)
        html = client.get(counts[user.username].url).content.decode()
        assert result_count(html) == expected


def test_the_board_costs_one_query_per_queue(django_assert_num_queries, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="x")
    for _ in range(3):
        reported_case()
    # +2: the working calendar (overrides, confirmed years) for "deposit refunds due".
    with django_assert_num_queries(len(queues()) + 2):
        rows = board(superuser, timezone.now())
    assert {r.queue.key for r in rows} == {q.key for q in queues()}


def test_overdue_work_comes_first(django_user_model):
    superuser = django_user_model.objects.create_superuser("root2", password="x")
    from tests.compliance.sweep.factories import obligation, vendor

    obligation(vendor(), due_at=timezone.now() - dt.timedelta(days=2))
    reported_case()
    rows = board(superuser, timezone.now())
    assert rows[0].queue.key == "overdue_topups"
    assert rows[0].overdue == 1
    assert [r.count for r in rows] == sorted((r.count for r in rows), key=lambda c: c == 0)


def test_ms_4_1_1_a_product_waits_since_its_submission_not_its_last_change():
    """MS-4.1.1: starting the review (a later change) does not reset the product's waiting age."""
    from catalog.models import Product
    from tests.catalog.factories import draft_product, open_review, reviewer

    security = reviewer("security-a")
    product = draft_product()
    open_review(product, security)  # submitted, then in review: updated_at is now
    submitted = timezone.now() - dt.timedelta(days=3)
    Product.history.filter(id=product.pk, status="submitted").update(history_date=submitted)
    user = role_user(roles.SECURITY_REVIEWER)
    (row,) = [r for r in board(user, timezone.now()) if r.queue.key == "products_to_review"]
    assert row.count == 1
    assert row.oldest == submitted
    assert row.waiting >= dt.timedelta(days=3)


def test_ms_7_a_deduction_added_to_an_applied_case_waits_for_the_other_lead(client):
    """MS-7.2, MS-8.3: a deduction added to an applied case waits for a second approver; it is
    on the other lead's board (and list), not on its proposer's."""
    from compliance.services.penalties import ExtraMeasure, penalty_apply, penalty_measure_add
    from tests.compliance.factories import confirmed_case, lead, paid_vendor

    proposer, other = lead("lead-p"), lead("lead-o")
    case = penalty_apply(
        case=confirmed_case(code="UNREACHABLE", vendor=paid_vendor()), actor=proposer, reason="r"
    )
    assert case.status == CaseStatus.APPLIED
    measure = penalty_measure_add(
        case=case,
        extra=ExtraMeasure(kind="deduct_deposit", amount="300.00"),
        actor=proposer,
        reason="severity",
    )
    assert measure.awaiting_approval
    now = timezone.now()
    rows = {
        u.username: next(r for r in board(u, now) if r.queue.key == "cases_to_approve")
        for u in (proposer, other)
    }
    assert rows["lead-p"].count == 0
    assert rows["lead-o"].count == 1
    assert rows["lead-o"].oldest == measure.created_at
    client.force_login(other)
    assert result_count(client.get(rows["lead-o"].url).content.decode()) == 1


def test_ms_8_2_a_vendors_request_to_leave_waits_for_an_onboarding_reviewer(client):
    """MS-8.2: the request shows on the reviewer's board, its list shows exactly it, and a role
    that cannot decide it does not see the queue."""
    from tests.vendors.factories import active_vendor
    from vendors.services import exit_request

    exit_request(vendor=active_vendor(), actor=None, reason="closing the business")
    now = timezone.now()
    reviewer = role_user(roles.ONBOARDING_REVIEWER)
    (row,) = [r for r in board(reviewer, now) if r.queue.key == "exit_requests"]
    assert row.count == 1 and row.oldest is not None
    client.force_login(reviewer)
    assert result_count(client.get(row.url).content.decode()) == 1
    finance = role_user(roles.FINANCE)
    assert "exit_requests" not in {r.queue.key for r in board(finance, now)}
