"""Issue 12 §2: history pages a person can read, for every model with history.

Changes are made through the services, with reasons, by users with names; the history list
(`/admin/<app>/<model>/<id>/history/`) and the read-only version page are then read as a role
that may view the record, in Chinese (the default) and English. They show field and choice
labels, the related object's name (a link only where the viewer may open it), money as CNY,
shares as percentages, China time, the actor (a deleted user as such, the sweep as "system")
and the reason, and what changed in each version; raw codes, IDs and UTC times do not appear.
The list's query count does not grow with the number of versions.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from compliance.models import AppliedMeasure, CaseStatus, MeasureKind
from compliance.services.penalties import ExtraMeasure, penalty_apply, penalty_approve
from marketplace import roles
from marketplace.audit import save_audited
from marketplace.history_display import format_json, format_value
from orders.models import PlatformRefundGround, Refund, ServiceAccount
from orders.services import (
    refund_approve,
    refund_open_arbitration,
    refund_request,
    refund_vendor_dispute,
)
from tests.compliance.factories import confirmed_case, paid_vendor
from tests.factories import UserFactory, VendorStaffFactory
from tests.orders.factories import PAID_AT, make_order
from tests.vendors.factories import active_vendor, category
from vendors.models import DepositEntry, Vendor
from vendors.services import vendor_suspend

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# A history time (after the other versions) whose China date is the next day.
MOMENT = dt.datetime(2030, 7, 3, 17, 30, 5, tzinfo=UTC)
MOMENT_CHINA = "2030-07-04 01:30:05"
MOMENT_UTC_SHOWN = ("2030-07-03 17:30", "2030-07-03T17:30", "+00:00")


def staff(role: str | None, name: str = "", username: str | None = None):
    user = UserFactory(
        is_staff=True, first_name=name, **({"username": username} if username else {})
    )
    if role:
        user.groups.add(roles.group_for(role))
    return user


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def en(text) -> str:
    with translation.override("en"):
        return str(text)


def _table(html: str) -> str:
    """The history table (the page's navigation and messages are not the history)."""
    start = html.index('id="change-history"')
    return html[start : html.index("</table>", start)]


def history_list(client: Client, obj, lang: str) -> str:
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    return _table(response.content.decode())


def version_page(client: Client, record, lang: str) -> str:
    opts = record.instance._meta
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[record.instance.pk, record.pk],
    )
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    html = response.content.decode()
    return html[html.index('id="content-main"') :]


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def assert_none_of(text: str, raws) -> None:
    shown = [raw for raw in raws if raw in text]
    assert not shown, f"raw values shown: {shown}"


# --- a refund through its services (MS-5) --------------------------------------------------


@pytest.fixture
def refund_world():
    order = make_order(amount="100.00")
    vendor_user = VendorStaffFactory(vendor=order.vendor, user__first_name="李雷").user
    arbitrator = staff(roles.REFUND_ARBITRATOR, "王芳")
    at = PAID_AT + dt.timedelta(days=10)  # outside the review period: the platform decides
    refund, _created = refund_request(
        order=order,
        external_id="R-1",
        reason_code="not_as_expected",
        amount_requested="100.00",
        description="does not start",
        evidence=["https://example.com/screen.png"],
        requested_at=at,
        received_at=at,
    )
    refund_vendor_dispute(refund=refund, actor=vendor_user, note="买家已使用")
    refund_open_arbitration(refund=refund, actor=arbitrator, reason="双方未达成一致，平台介入")
    refund_approve(
        refund=refund,
        actor=arbitrator,
        reason="服务商迟迟未交付",
        platform_ground=PlatformRefundGround.VENDOR_LATE,
        consumed="0.0028",
    )
    refund.refresh_from_db()
    latest = refund.history.order_by("-history_id").first()
    refund.history.filter(pk=latest.pk).update(history_date=MOMENT)
    return {"refund": refund, "arbitrator": arbitrator, "vendor_user": vendor_user}


def test_ms_5_refund_history_shows_labels_actor_reason_and_china_time(client, refund_world):
    """Issue 12 §2: `1_vendor_late` and `arbitration → approved` are shown as their labels,
    with the actor's name, the reason and the time in China, in Chinese and in English."""
    refund = refund_world["refund"]
    client.force_login(refund_world["arbitrator"])
    status = Refund._meta.get_field("status")
    ground = Refund._meta.get_field("platform_ground")
    for lang, tr in (("zh-hans", zh), ("en", en)):
        text = history_list(client, refund, lang)
        for label in (
            status.verbose_name,
            Refund.Status.ARBITRATION.label,
            Refund.Status.APPROVED.label,
            Refund.Status.VENDOR_DISPUTED.label,
            ground.verbose_name,
            PlatformRefundGround.VENDOR_LATE.label,
            Refund._meta.get_field("consumed_fraction").verbose_name,
        ):
            assert capfirst(tr(label)) in text, (lang, label)
        assert "0.28%" in text  # the consumed share, not 0.0028
        assert "¥100.00" in text
        assert "王芳" in text and "李雷" in text  # full names, not usernames
        assert "双方未达成一致，平台介入" in text and "服务商迟迟未交付" in text
        assert MOMENT_CHINA in text
        assert_none_of(text, [*MOMENT_UTC_SHOWN, "1_vendor_late", "vendor_disputed", "0.0028"])
        assert_none_of(text, [">arbitration<", "not_as_expected", "Deleted", "pk="])
    zh_text = history_list(client, refund, "zh-hans")
    assert "已申请退款" in zh_text and "refund requested" not in zh_text
    assert "refund requested" in history_list(client, refund, "en")
    # Chinese headers on the Chinese page.
    for header in ("时间（北京时间）", "修改人", "修改原因", "变更内容"):
        assert header in zh_text


def test_refund_version_page_reads_like_the_list(client, refund_world):
    """The read-only version page: labels and values of that version, its changes, the decider
    as a name; a decider whose account was later deleted reads as a deleted user."""
    refund = refund_world["refund"]
    client.force_login(refund_world["arbitrator"])
    latest = refund.history.order_by("-history_id").first()
    text = version_page(client, latest, "zh-hans")
    assert zh(Refund.Status.APPROVED.label) in text
    assert zh(PlatformRefundGround.VENDOR_LATE.label) in text
    assert "王芳" in text and "服务商迟迟未交付" in text and MOMENT_CHINA in text
    assert "https://example.com/screen.png" in text and '["' not in text  # a list, not JSON
    assert "本版本的变更" in text and "→" in text
    # The account that decided is deleted later (the history keeps its ID, the row is gone).
    refund.history.filter(pk=latest.pk).update(decided_by_id=987654)
    for lang, word in (("zh-hans", "已删除的用户"), ("en", "deleted user")):
        text = version_page(client, latest, lang)
        assert word in text
        assert_none_of(text, ["Deleted 用户", "pk=None", "987654"])


def test_history_pages_cannot_write(client, refund_world):
    """Issue 8 §1 kept: the list and the version page answer POST with 405, no form."""
    refund = refund_world["refund"]
    client.force_login(refund_world["arbitrator"])
    latest = refund.history.order_by("-history_id").first()
    before = refund.history.count()
    list_url = reverse("admin:orders_refund_history", args=[refund.pk])
    view_url = reverse("admin:orders_refund_simple_history", args=[refund.pk, latest.pk])
    for url in (list_url, view_url):
        assert client.post(url, {"status": "requested"}).status_code == 405
        page = client.get(url).content.decode()
        assert "<form" not in page.split('id="content-main"', 1)[1]
    assert refund.history.count() == before


# --- a vendor: status, categories, system and API actors -----------------------------------


def test_vendor_history_status_categories_system_and_api_actors(client):
    """Status and categories as labels and names; the sweep as "system" with its reason in the
    user's language; an API caller named; read by the onboarding reviewer."""
    vendor = active_vendor(categories=("software",))
    lead = staff(roles.COMPLIANCE_LEAD, "赵敏")
    vendor_suspend(vendor=vendor, actor=lead, reason="资质过期未更新")
    vendor.categories.add(category("ops"))
    vendor.refresh_from_db()
    save_audited(vendor, actor=None, reason="MS-7: measure ended")
    save_audited(vendor, actor=None, reason="[api:storefront-cn] delivered")
    client.force_login(staff(roles.ONBOARDING_REVIEWER, "孙丽"))
    ops = category("ops")
    for lang, tr in (("zh-hans", zh), ("en", en)):
        text = history_list(client, vendor, lang)
        assert tr(Vendor.Status.ACTIVE.label) in text and tr(Vendor.Status.SUSPENDED.label) in text
        assert "赵敏" in text and "资质过期未更新" in text
        assert ops.name in text and f'href="{change_url(ops)}"' in text  # may view categories
        assert_none_of(text, [">suspended<", ">active<", "categories:", "None"])
    zh_text = history_list(client, vendor, "zh-hans")
    assert "系统" in zh_text and "MS-7：处罚措施已到期" in zh_text
    assert "接口调用方 storefront-cn" in zh_text and "已交付" in zh_text and "[api:" not in zh_text
    en_text = history_list(client, vendor, "en")
    assert "system" in en_text and "MS-7: measure ended" in en_text
    assert "API caller storefront-cn" in en_text
    # The lead's name links to the user only for who may view users: reviewers may not.
    assert "/admin/auth/user/" not in zh_text


# --- a penalty case, its deduction measure and the ledger entry (MS-7, MS-3.1.5 ②) ----------


@pytest.fixture
def penalty_world():
    vendor = paid_vendor()
    reviewer = staff(roles.COMPLIANCE_REVIEWER, "周审")
    proposer = staff(roles.COMPLIANCE_LEAD, "钱提")
    approver = staff(roles.COMPLIANCE_LEAD, "吴批")
    case = confirmed_case(code="SPAM_AD", vendor=vendor, actor=reviewer)
    penalty_apply(
        case=case,
        actor=proposer,
        reason="截图核实",
        extra=[ExtraMeasure(kind=MeasureKind.DEDUCT_DEPOSIT, amount=Decimal("800.00"))],
        extra_reason="屡教不改",
    )
    penalty_approve(case=case, actor=approver, reason="同意扣除")
    case.refresh_from_db()
    measure = case.measures.get(kind=MeasureKind.DEDUCT_DEPOSIT)
    entry = DepositEntry.objects.get(pk=int(measure.execution_ref.removeprefix("ledger:")))
    return {
        "case": case,
        "measure": measure,
        "entry": entry,
        "reviewer": reviewer,
        "proposer": proposer,
        "approver": approver,
    }


def test_ms_7_penalty_case_history_in_labels(client, penalty_world):
    """`confirm`, `pending_approval` are shown as their labels; the proposer by name; the
    violation by its code and name in the viewer's language, not `SPAM_AD` alone."""
    case = penalty_world["case"]
    client.force_login(penalty_world["reviewer"])
    version = case.violation.versions.order_by("-effective_from").first()
    for lang, tr in (("zh-hans", zh), ("en", en)):
        text = history_list(client, case, lang)
        for status in (CaseStatus.CONFIRMED, CaseStatus.PENDING_APPROVAL, CaseStatus.APPLIED):
            assert tr(status.label) in text, (lang, status)
        assert "钱提" in text and "吴批" in text and "截图核实" in text and "同意扣除" in text
        assert_none_of(text, ["pending_approval", ">confirmed<", ">applied<", "measure:"])
        first = case.history.order_by("history_id").first()
        page = version_page(client, first, lang)
        name = version.name_zh if lang == "zh-hans" else version.name_en
        assert f"SPAM_AD {name}" in page
        assert tr(CaseStatus.REPORTED.label) in page


def test_ms_7_deduction_measure_names_its_ledger_entry_not_ledger_id(client, penalty_world):
    """`ledger:10` is shown as the entry it names (a link for who may view the ledger)."""
    measure, entry = penalty_world["measure"], penalty_world["entry"]
    client.force_login(penalty_world["reviewer"])
    for lang, tr in (("zh-hans", zh), ("en", en)):
        text = history_list(client, measure, lang)
        assert f'href="{change_url(entry)}"' in text
        assert f"#{entry.pk} {tr(entry.get_kind_display())} ¥800.00" in text
        assert "ledger:" not in text
        assert capfirst(tr(AppliedMeasure._meta.get_field("execution_ref").verbose_name)) in text


def test_ms_3_1_5_ledger_entry_history_for_finance_and_compliance(client, penalty_world):
    """The deduction entry: kind and cause labels, CNY, the penalty case it pays for, linked
    only for a viewer who may open cases (compliance), plain for finance."""
    entry, case = penalty_world["entry"], penalty_world["case"]
    finance = staff(roles.FINANCE, "郑财")
    for user, linked in ((finance, False), (penalty_world["reviewer"], True)):
        client.force_login(user)
        text = history_list(client, entry, "zh-hans")
        page = version_page(client, entry.history.get(), "zh-hans")
        assert zh(entry.get_kind_display()) in page and zh(entry.get_cause_display()) in page
        assert "¥800.00" in page and "-¥800.00" in page and case.reference in page  # amount, delta
        assert (f'href="{change_url(case)}"' in page) is linked
        assert "吴批" in text  # the approver carried the deduction out
        assert_none_of(page, [">deduction<", ">violation<", "¥-800.00"])


# --- queries ----------------------------------------------------------------------------


def _vendor_with_versions(n: int) -> Vendor:
    vendor = active_vendor(categories=("software",))
    users = [staff(roles.COMPLIANCE_LEAD, f"Lead {i}") for i in range(3)]
    ops = category("ops")
    for i in range(n):
        if i % 2:
            vendor.categories.remove(ops)
        else:
            vendor.categories.add(ops)
        step = vendor_suspend if vendor.status == Vendor.Status.ACTIVE else _reinstate
        vendor = step(vendor=vendor, actor=users[i % 3], reason=f"step {i}")
    return vendor


def _reinstate(**kwargs):
    from vendors.services import vendor_reinstate

    return vendor_reinstate(**kwargs)


def _list_queries(client, vendor) -> int:
    url = reverse("admin:vendors_vendor_history", args=[vendor.pk])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_history_list_queries_do_not_grow_with_versions(client, django_assert_max_num_queries):
    """A fixed number of queries for 4 or 80 versions (users, categories and many-to-many
    rows of the whole page fetched at once, not per version or per field)."""
    client.force_login(staff(roles.ONBOARDING_REVIEWER))
    few = _list_queries(client, _vendor_with_versions(2))
    many = _vendor_with_versions(40)
    assert Vendor.history.filter(id=many.pk).count() >= 80
    with django_assert_max_num_queries(few):
        client.get(reverse("admin:vendors_vendor_history", args=[many.pk]))


# --- values -------------------------------------------------------------------------------


def test_values_are_formatted_for_people():
    """Shares and percents, money, yes/no, China time, JSON lists and rows with labels."""
    from catalog.models import ProductRevision

    refund_field = Refund._meta.get_field
    assert format_value(refund_field("consumed_fraction"), Decimal("0.0028")) == "0.28%"
    key = "orders.Refund.vendor_terms_percent"
    assert format_value(refund_field("vendor_terms_percent"), Decimal("50.00"), key=key) == "50%"
    assert format_value(refund_field("paid_amount"), Decimal("1234.5")) == "¥1,234.50"
    assert format_value(refund_field("in_review_period"), True) == "Yes"
    assert format_value(refund_field("requested_at"), MOMENT) == "2030-07-04 01:30"
    assert format_value(refund_field("status"), "vendor_disputed") == str(
        Refund.Status.VENDOR_DISPUTED.label
    )
    specs = [{"name": "标准版", "price": "1999.00", "billing_period": "year", "is_trial": False}]
    shown = format_json(specs, key="catalog.ProductRevision.specifications")
    assert "¥1,999.00" in shown and "billing_period" not in shown and "[{" not in shown
    assert ProductRevision._meta.get_field("specifications")  # the registry names a real field
    operations = format_json(
        ["orders.create", "refunds.read"], key="orders.ServiceAccount.operations"
    )
    assert "orders.create" not in operations and "Create orders" in operations
    assert ServiceAccount._meta.get_field("operations")
    assert format_json([]) == "-"


# --- every model with history -------------------------------------------------------------

RAW = [
    re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d"),  # ISO times
    re.compile(r"\+00:00"),
    re.compile(r"pk=|Deleted "),
    re.compile(r"\[\{|\[&#x27;|\[&quot;|\[\""),  # JSON or Python lists
    re.compile(r"\b(ledger|product|products):\d"),
]


def test_every_history_admin_shows_readable_pages_in_both_languages(client):
    """Issue 12 §2: for every registered admin with history, on the demo world (plus a row for
    each model the demo leaves empty), the list and the newest version open (200) in Chinese
    and English with no ISO/UTC times, no "Deleted … (pk=…)", no JSON and no `ledger:`."""
    from tests.marketplace.test_history_readonly import _create_missing_rows, history_admins

    call_command("seed_demo", stdout=StringIO())
    _create_missing_rows()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    problems = []
    admins = history_admins()
    for model, _model_admin in admins:
        history = getattr(model, model._meta.simple_history_manager_attribute)
        record = history.order_by("-history_id").first()
        if record is None:  # rows loaded by data migrations carry no history row
            obj = model._default_manager.order_by("pk").first()
            history.bulk_history_create(
                [obj], default_change_reason="MS-7 annex loaded by data migration"
            )
            record = history.order_by("-history_id").first()
        for lang in ("zh-hans", "en"):
            pages = (
                history_list(client, record.instance, lang),
                version_page(client, record, lang),
            )
            for page in pages:
                problems += [
                    f"{model._meta.label} {lang}: {p.pattern}" for p in RAW if p.search(page)
                ]
    assert len(admins) > 30
    assert not problems, "\n".join(problems)
