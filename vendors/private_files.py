"""Vendor files served by marketplace.files (issue 8 §4): onboarding documents (MS-3.1.3)."""

from marketplace import files
from vendors.models import VendorDocument
from vendors.selectors import documents_for_vendor

files.register(
    "vendor-document",
    model=VendorDocument,
    field="file",
    permission="vendors.view_vendordocument",
    vendor_queryset=documents_for_vendor,
)
