"""Settlement statements over HTTP: vendor pages see only their own statements (another
vendor's IDs → 404, nothing written), bad input → 400 with a message, and every finance
action refused to the wrong role (MS-4.5, MS-5.6)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from catalog.models import SalesMode
from marketplace import roles
from orders.models import Statement
from orders.services.settlement import parse_period, settlement_run, statement_issue
from tests.factories import UserFactory, VendorStaffFactory
from tests.orders.settlement_helpers import at, order, refund_paid

pytestmark = pytest.mark.django_db

JULY = parse_period("2026-07")


def staff(role: str | None = None):
    user = UserFactory(is_staff=True)
    if role:
        user.groups.add(roles.group_for(role))
    return user


def issued(mode: str = SalesMode.PLATFORM, vendor=None) -> Statement:
    first = order(vendor=vendor, amount="100.00", mode=mode)
    refund_paid(first, "10.00", at(7, 20))
    settlement_run(period=JULY)
    st = Statement.objects.get(vendor=first.vendor, sales_mode=mode)
    return statement_issue(statement=st, actor=staff(roles.FINANCE), reason="issue")


def vendor_login(client, vendor):
    client.force_login(VendorStaffFactory(vendor=vendor).user)


VENDOR_POSTS = ["confirm", "dispute", "vat-invoice", "fee-invoice"]


def test_vendor_sees_own_statement_with_linked_lines_and_downloads_it(client):
    st = issued()
    vendor_login(client, st.vendor)
    listing = client.get("/vendor/orders/statements/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200 and b"2026-07" in listing.content
    page = client.get(f"/vendor/orders/statements/{st.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    line = st.lines.get(kind="order")
    # Lines link to the order (by its reference), never show a bare database id.
    assert f"?q={line.order.external_id}".encode() in page.content
    download = client.get(f"/vendor/orders/statements/{st.pk}/xlsx/")
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(download.content), read_only=True)
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(rows) == 1 + st.line_count


def test_another_vendors_statement_is_404_and_nothing_is_written(client):
    mine = issued()
    theirs = issued(vendor=None)
    vendor_login(client, mine.vendor)
    for suffix in ["", "xlsx/"]:
        assert client.get(f"/vendor/orders/statements/{theirs.pk}/{suffix}").status_code == 404
    for action in VENDOR_POSTS:
        response = client.post(
            f"/vendor/orders/statements/{theirs.pk}/{action}/",
            {"reason": "x", "number": "12345678", "date": "2026-08-01", "amount": "1"},
        )
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Statement.Status.ISSUED and not theirs.fee_invoice_requested_at


def test_drafts_are_not_shown_to_the_vendor(client):
    first = order()
    settlement_run(period=JULY)
    st = Statement.objects.get()
    vendor_login(client, first.vendor)
    assert client.get(f"/vendor/orders/statements/{st.pk}/").status_code == 404


def test_dispute_needs_a_reason_and_writes_nothing_without_one(client):
    st = issued()
    vendor_login(client, st.vendor)
    response = client.post(
        f"/vendor/orders/statements/{st.pk}/dispute/", {"reason": ""}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    st.refresh_from_db()
    assert st.status == Statement.Status.ISSUED
    ok = client.post(f"/vendor/orders/statements/{st.pk}/dispute/", {"reason": "order missing"})
    assert ok.status_code == 302
    st.refresh_from_db()
    assert st.status == Statement.Status.DISPUTED and st.dispute_reason == "order missing"


def test_ms_4_5_vat_invoice_bad_amount_is_a_clear_400_and_nothing_written(client):
    st = issued(mode=SalesMode.CONSIGNMENT)
    vendor_login(client, st.vendor)
    url = f"/vendor/orders/statements/{st.pk}/vat-invoice/"
    for amount in ["1e3", "１００", "999.00", "abc"]:
        response = client.post(
            url,
            {"number": "44031234", "date": "2026-08-02", "amount": amount},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400, amount
    st.refresh_from_db()
    assert not st.vat_invoice_number
    good = client.post(
        url, {"number": "44031234", "date": "2026-08-02", "amount": str(st.net_amount)}
    )
    assert good.status_code == 302
    st.refresh_from_db()
    assert st.vat_invoice_number == "44031234"


def test_ms_4_5_vendor_asks_for_the_service_fee_invoice(client):
    st = issued()
    vendor_login(client, st.vendor)
    assert client.post(f"/vendor/orders/statements/{st.pk}/fee-invoice/").status_code == 302
    st.refresh_from_db()
    assert st.fee_invoice_requested_at is not None


def _action(client, action: str, pk: int, **data):
    return client.post(
        "/admin/orders/statement/",
        {"action": action, "_selected_action": [pk], **data},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_finance_actions_refused_to_the_wrong_role_over_http(client):
    first = order()
    settlement_run(period=JULY)
    st = Statement.objects.get()
    arbitrator = staff(roles.REFUND_ARBITRATOR)
    client.force_login(arbitrator)
    for name in ["issue", "approve", "mark_paid", "resolve_dispute", "issue_fee_invoice"]:
        response = client.post(
            f"/admin/orders/statement/{st.pk}/do/{name}/",
            {"reason": "x", "reference": "TX", "number": "FEE12345", "issued_on": "2026-08-01"},
        )
        assert response.status_code == 403, name
    assert client.get(f"/admin/orders/statement/{st.pk}/xlsx/").status_code == 403
    # A vendor user is no staff: the admin sends it to sign in.
    vendor_login(client, first.vendor)
    response = client.post(f"/admin/orders/statement/{st.pk}/do/issue/", {"reason": "x"})
    assert response.status_code == 302 and "login" in response["Location"]
    st.refresh_from_db()
    assert st.status == Statement.Status.DRAFT


def test_finance_issues_on_a_reason_page_and_exports_xlsx(client):
    order()
    settlement_run(period=JULY)
    st = Statement.objects.get()
    client.force_login(staff(roles.FINANCE))
    page = _action(client, "issue", st.pk)
    assert page.status_code == 200 and b'name="reason"' in page.content
    st.refresh_from_db()
    assert st.status == Statement.Status.DRAFT  # nothing written before the reason
    _action(client, "issue", st.pk, apply="1", reason="month closed")
    st.refresh_from_db()
    assert st.status == Statement.Status.ISSUED
    assert st.history.filter(history_change_reason="month closed").exists()
    change = client.get(f"/admin/orders/statement/{st.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert change.status_code == 200
    assert f"/admin/orders/order/{st.lines.get().order_id}/change/".encode() in change.content
    month = client.get("/admin/orders/statement/month/2026-07/xlsx/")
    assert month.status_code == 200
    rows = list(load_workbook(io.BytesIO(month.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2
    assert client.get("/admin/orders/statement/month/2026-99/xlsx/").status_code == 404
    for queue in ["to_issue", "to_approve", "waiting_vat", "disputed", "to_pay", "fee_invoice"]:
        assert client.get(f"/admin/orders/statement/?queue={queue}").status_code == 200
    assert client.get("/admin/orders/statement/?period=bad").status_code == 200
