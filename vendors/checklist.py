"""The onboarding checklist (MS-3.1.1 to MS-3.1.7): what an application still lacks.

Two audiences: the applicant must provide its part before submitting; the reviewer cannot
approve while any item, the applicant's or the reviewer's, is missing or failed. Each item is
a translated sentence shown as is on the vendor's page and in the admin.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.timeutils import china_date
from vendors.models import (
    AgreementSignature,
    CheckResult,
    DocumentKind,
    ExtraCondition,
    OnboardingApplication,
    VendorDocument,
)
from vendors.selectors import agreement_in_force, banned_identities
from vendors.validators import (
    validate_cloud_account_id,
    validate_contact_email,
    validate_credit_code,
    validate_mainland_mobile,
    validate_qq,
)


def agreement_problem(vendor) -> str | None:
    """MS-3.1.4: why the vendor's signature is missing, or None when it signed the version
    in force."""
    version = agreement_in_force()
    if version is None:
        return _("No version of the vendor access agreement is in force yet (MS-3.1.4).")
    if not AgreementSignature.objects.filter(vendor=vendor, version=version).exists():
        return _(
            "The vendor access agreement version %(version)s in force has not been signed "
            "(MS-3.1.4)."
        ) % {"version": version.version}
    return None


def _invalid(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return True
    return False


def applicant_missing_items(application: OnboardingApplication) -> list[str]:
    """What the applicant must still provide (checked on submission)."""
    vendor = application.vendor
    today = china_date(timezone.now())
    missing: list[str] = []
    # MS-8.3: an evicted company or cloud account may never onboard again.
    if banned_identities(credit_code=vendor.credit_code, cloud_account_id=vendor.cloud_account_id):
        missing.append(_("This company or cloud account was evicted and is banned for ever."))
    if _invalid(validate_credit_code, vendor.credit_code):
        missing.append(_("The unified social credit code is not valid."))
    # MS-3.1.1
    if _invalid(validate_cloud_account_id, vendor.cloud_account_id):
        missing.append(_("The cloud account ID is not valid."))
    # MS-3.1.3 ① ②: every kind of document, current and not expired.
    current = {
        doc.kind: doc
        for doc in VendorDocument.objects.filter(vendor=vendor, replaced_at__isnull=True).order_by(
            "pk"
        )
    }
    for kind in DocumentKind:
        doc = current.get(kind.value)
        if doc is None:
            missing.append(_("Missing document: %(kind)s.") % {"kind": kind.label})
        elif doc.valid_until is not None and doc.valid_until < today:
            missing.append(_("%(kind)s has expired; upload a current one.") % {"kind": kind.label})
    # MS-3.1.3 ③: the contact person, each detail valid.
    contact = [
        (application.contact_name, None, _("contact name")),
        (application.contact_phone, validate_mainland_mobile, _("contact mobile phone")),
        (application.contact_qq, validate_qq, _("contact QQ number")),
        (application.contact_email, validate_contact_email, _("contact e-mail")),
    ]
    for value, validator, label in contact:
        if not (value or "").strip():
            missing.append(_("Missing %(field)s.") % {"field": label})
        elif validator is not None and _invalid(validator, value):
            missing.append(_("The %(field)s is not valid.") % {"field": label})
    # MS-3.1.4: a signature of the agreement version in force (a new version needs a new one).
    problem = agreement_problem(vendor)
    if problem:
        missing.append(problem)
    # MS-3.1.5 ①: the deposit tier follows the categories the vendor sells in.
    if not vendor.categories.exists():
        missing.append(_("No product category chosen: the deposit depends on it."))
    # MS-3.1.6: products run on this cloud's resources.
    if not application.declares_this_cloud_only:
        missing.append(
            _("The declaration that the products run on this cloud's resources is missing.")
        )
    return missing


def _result_problem(result: str, pending: str, failed: str) -> str | None:
    if result == CheckResult.PASSED:
        return None
    return failed if result == CheckResult.FAILED else pending


def reviewer_missing_items(application: OnboardingApplication) -> list[str]:
    """What the reviewer has not yet checked, or found failed."""
    vendor = application.vendor
    missing: list[str] = []
    checks = [
        # MS-3.1.1, MS-3.1.2
        (
            application.cloud_account_result,
            _("The cloud account has not been checked."),
            _("The cloud account check failed."),
        ),
        (
            application.bank_verification_result,
            _("The bank account's real-name verification has not been checked."),
            _("The bank account's real-name verification failed."),
        ),
    ]
    for result, pending, failed in checks:
        problem = _result_problem(result, pending, failed)
        if problem:
            missing.append(problem)
    # MS-3.1.3: each current document reviewed.
    for doc in VendorDocument.objects.filter(vendor=vendor, replaced_at__isnull=True).order_by(
        "kind", "pk"
    ):
        label = doc.get_kind_display()
        problem = _result_problem(
            doc.review_result,
            _("%(kind)s has not been reviewed.") % {"kind": label},
            _("%(kind)s failed review.") % {"kind": label},
        )
        if problem:
            missing.append(problem)
    # MS-3.1.7: every active extra condition checked and passed.
    results = {r.condition_id: r for r in application.condition_results.all()}
    for condition in ExtraCondition.objects.filter(active=True):
        result = results.get(condition.pk)
        problem = _result_problem(
            result.result if result else CheckResult.PENDING,
            _("Extra condition not checked: %(text)s") % {"text": condition.text},
            _("Extra condition failed: %(text)s") % {"text": condition.text},
        )
        if problem:
            missing.append(problem)
    return missing


def application_missing_items(application: OnboardingApplication) -> list[str]:
    """Everything that stops approval (MS-3.1.1-3.1.7), applicant's items first."""
    return applicant_missing_items(application) + reviewer_missing_items(application)
