"""What the platform roles may do in the orders app (synced to groups after migrate)."""

from marketplace.roles import FINANCE, REFUND_ARBITRATOR

_READ = [
    "orders.view_order",
    "orders.view_refund",
    "orders.view_deliveryfailure",
    "orders.view_invoice",
    "orders.view_vendorrefundterms",
    "orders.view_clawback",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # MS-5.1/5.2: arbitration, vendor refund terms (MS-5.7.2), manual service confirmation.
    REFUND_ARBITRATOR: [
        *_READ,
        "orders.arbitrate_refund",
        "orders.add_vendorrefundterms",
        "orders.decide_vendorrefundterms",
        "orders.confirm_service_order",
        "orders.complete_order",
    ],
    # Money out and paper: refunds paid, settlement, clawbacks (MS-5.6), invoices (MS-5.5).
    FINANCE: [
        *_READ,
        "orders.pay_refund",
        "orders.settle_order",
        "orders.close_order",
        "orders.recover_clawback",
        "orders.process_invoice",
        # Settlement statements (MS-2.6, MS-4.5, MS-5.6).
        "orders.view_statement",
        "orders.view_statementadjustment",
        "orders.view_statementline",
        "orders.issue_statement",
        "orders.approve_statement",
        "orders.pay_statement",
        "orders.resolve_statement_dispute",
        "orders.issue_fee_invoice",
    ],
}
