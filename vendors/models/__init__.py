"""Vendor models, one module per concern; imported here so Django and other apps find them."""

from vendors.models.core import Category, Store, Vendor, VendorStaff
from vendors.models.deposit import (
    DeductionCause,
    DepositEntry,
    DepositRefund,
    DepositTier,
    EntryKind,
    TopUpObligation,
)
from vendors.models.duties import (
    AgreementSignature,
    AgreementVersion,
    ServiceCommitment,
)
from vendors.models.exit import VendorExit
from vendors.models.onboarding import (
    BannedIdentity,
    CheckResult,
    DocumentKind,
    ExtraCondition,
    ExtraConditionResult,
    OnboardingApplication,
    VendorDocument,
)

__all__ = [
    "AgreementSignature",
    "AgreementVersion",
    "BannedIdentity",
    "Category",
    "CheckResult",
    "DeductionCause",
    "DepositEntry",
    "DepositRefund",
    "DepositTier",
    "DocumentKind",
    "EntryKind",
    "ExtraCondition",
    "ExtraConditionResult",
    "OnboardingApplication",
    "ServiceCommitment",
    "Store",
    "TopUpObligation",
    "Vendor",
    "VendorDocument",
    "VendorExit",
    "VendorStaff",
]
