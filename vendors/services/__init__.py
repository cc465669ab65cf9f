"""Every write of the vendors app. See the modules for onboarding, vendor status and deposit."""

from vendors.services.deposit import (
    deposit_deduct,
    deposit_pay,
    deposit_refund_complete,
    deposit_refund_receipt_received,
    deposit_refund_request,
    deposit_reverse,
    deposit_topup,
)
from vendors.services.duties import (
    agreement_in_force,
    agreement_sign,
    document_replace,
    document_review,
    service_commitment_save,
)
from vendors.services.onboarding import (
    application_accept_agreement,
    application_approve,
    application_create,
    application_document_add,
    application_reject,
    application_start,
    application_start_review,
    application_submit,
    application_update,
)
from vendors.services.status import (
    vendor_activate,
    vendor_evict,
    vendor_exit_begin,
    vendor_exit_complete,
    vendor_reinstate,
    vendor_suspend,
)

__all__ = [
    "agreement_in_force",
    "agreement_sign",
    "application_accept_agreement",
    "application_approve",
    "application_create",
    "application_document_add",
    "application_reject",
    "application_start",
    "application_start_review",
    "application_submit",
    "application_update",
    "deposit_deduct",
    "deposit_pay",
    "deposit_refund_complete",
    "deposit_refund_receipt_received",
    "deposit_refund_request",
    "deposit_reverse",
    "deposit_topup",
    "document_replace",
    "document_review",
    "service_commitment_save",
    "vendor_activate",
    "vendor_evict",
    "vendor_exit_begin",
    "vendor_exit_complete",
    "vendor_reinstate",
    "vendor_suspend",
]
