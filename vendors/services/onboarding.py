"""Onboarding writes (MS-3.1): start, fill in, submit, review, approve or reject."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.audit import create_audited, save_audited
from marketplace.exceptions import DomainError, StateConflict, ValidationFailed
from marketplace.service_helpers import require_reason
from marketplace.timeutils import china_date
from vendors.checklist import applicant_missing_items, application_missing_items
from vendors.identity import normalise_identity
from vendors.models import (
    Category,
    DocumentKind,
    ExtraCondition,
    ExtraConditionResult,
    OnboardingApplication,
    Store,
    Vendor,
    VendorDocument,
    VendorStaff,
)
from vendors.selectors import banned_identities, deposit_position
from vendors.services.common import lock_vendor, validation_failed
from vendors.services.status import activate_if_ready
from vendors.validators import (
    validate_cloud_account_id,
    validate_contact_email,
    validate_credit_code,
    validate_document_file,
    validate_mainland_mobile,
    validate_qq,
)

OPEN_STATUSES = (
    OnboardingApplication.Status.DRAFT,
    OnboardingApplication.Status.SUBMITTED,
    OnboardingApplication.Status.UNDER_REVIEW,
)


class IdentityBanned(DomainError):
    code = "identity_banned"
    http_status = 403
    default_message = _(
        "This company (unified social credit code) or cloud account belongs to a vendor that was "
        "evicted from the marketplace. It is banned for ever and cannot apply again (MS-8.3)."
    )


class ApplicationIncomplete(ValidationFailed):
    code = "application_incomplete"

    def __init__(self, items: list[str]) -> None:
        super().__init__(
            _("The application cannot go ahead; still missing or failed: %(items)s"),
            items="; ".join(items),
        )
        self.items = items


def _refuse_if_banned(*, credit_code: str, cloud_account_id: str) -> None:
    # MS-8.3: banned for ever, whichever of the two identities matches.
    if banned_identities(credit_code=credit_code, cloud_account_id=cloud_account_id):
        raise IdentityBanned()


def _lock_application(application: OnboardingApplication) -> OnboardingApplication:
    lock_vendor(application.vendor_id)  # vendor first, then the application: one lock order
    return (
        OnboardingApplication.objects.select_for_update(of=("self",))
        .select_related("vendor")
        .get(pk=application.pk)
    )


def application_start(
    *,
    company_name: str,
    credit_code: str,
    cloud_account_id: str,
    actor: Any,
    owner: Any = None,
) -> OnboardingApplication:
    """A new company applies: its vendor (status applying), store and a draft application.

    `owner`, when given, is the user who becomes the vendor's owner staff account.
    """
    company_name = (company_name or "").strip()
    # MS-8.3: canonical forms before validation, storage and the ban check (full-width digits).
    credit_code = normalise_identity("credit_code", credit_code)
    cloud_account_id = normalise_identity("cloud_account_id", cloud_account_id)
    errors: list[str] = []
    if not company_name:
        errors.append(str(_("The company name is required.")))
    for validator, value in (
        (validate_credit_code, credit_code),
        (validate_cloud_account_id, cloud_account_id),
    ):
        try:
            validator(value)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise validation_failed(ValidationError(errors))
    _refuse_if_banned(credit_code=credit_code, cloud_account_id=cloud_account_id)
    if (
        Vendor.objects.filter(credit_code=credit_code).exists()
        or Vendor.objects.filter(cloud_account_id=cloud_account_id).exists()
    ):
        raise StateConflict(
            _(
                "A vendor with this credit code or cloud account already exists; its staff can "
                "start a new application from the vendor pages."
            ),
            code="vendor_exists",
        )
    reason = "onboarding application started"
    try:
        with transaction.atomic():
            vendor = create_audited(
                Vendor,
                actor=actor,
                reason=reason,
                name=company_name,
                credit_code=credit_code,
                cloud_account_id=cloud_account_id,
            )
            create_audited(Store, actor=actor, reason=reason, vendor=vendor, name=company_name)
            if owner is not None:
                create_audited(
                    VendorStaff,
                    actor=actor,
                    reason=reason,
                    user=owner,
                    vendor=vendor,
                    is_owner=True,
                )
            return create_audited(OnboardingApplication, actor=actor, reason=reason, vendor=vendor)
    except IntegrityError as exc:  # a concurrent application for the same identity won
        raise StateConflict(
            _("A vendor with this credit code or cloud account already exists."),
            code="vendor_exists",
        ) from exc


def application_create(*, vendor: Vendor, actor: Any) -> OnboardingApplication:
    """A new draft for an applying vendor whose earlier application was rejected."""
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        _refuse_if_banned(credit_code=vendor.credit_code, cloud_account_id=vendor.cloud_account_id)
        if vendor.status != Vendor.Status.APPLYING:
            raise StateConflict(_("Only an applying vendor can start an application."))
        if vendor.applications.filter(status__in=OPEN_STATUSES).exists():
            raise StateConflict(
                _("This vendor already has an application in progress."), code="application_open"
            )
        return create_audited(
            OnboardingApplication, actor=actor, reason="new application", vendor=vendor
        )


_CONTACT_VALIDATORS = {
    "contact_name": None,
    "contact_phone": validate_mainland_mobile,
    "contact_qq": validate_qq,
    "contact_email": validate_contact_email,
}


def application_update(
    *,
    application: OnboardingApplication,
    actor: Any,
    categories: Iterable[Category] | None = None,
    declares_this_cloud_only: bool | None = None,
    **contact: str,
) -> OnboardingApplication:
    """The applicant fills in its draft (MS-3.1.3 ③ contact, MS-3.1.6, categories).

    Every field is validated first; on any error nothing is saved.
    """
    unknown = set(contact) - set(_CONTACT_VALIDATORS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: list[str] = []
    cleaned: dict[str, str] = {}
    for field, value in contact.items():
        value = (value or "").strip()
        if field != "contact_name":
            value = normalise_identity(field, value)  # MS-3.1.3 ③: as people type them
        validator = _CONTACT_VALIDATORS[field]
        if value and validator is not None:
            try:
                validator(value)
            except ValidationError as exc:
                errors.extend(exc.messages)
        cleaned[field] = value
    if errors:
        raise validation_failed(ValidationError(errors))
    with transaction.atomic():
        application = _lock_application(application)
        if application.status != OnboardingApplication.Status.DRAFT:
            raise StateConflict(
                _("Only a draft application can be changed."), code="application_not_draft"
            )
        for field, value in cleaned.items():
            setattr(application, field, value)
        fields = list(cleaned)
        if declares_this_cloud_only is not None:
            application.declares_this_cloud_only = declares_this_cloud_only
            fields.append("declares_this_cloud_only")
        if fields:
            save_audited(application, actor=actor, reason="applicant update", update_fields=fields)
        if categories is not None:
            application.vendor.categories.set(list(categories))
    return application


def application_accept_agreement(
    *, application: OnboardingApplication, actor: Any, version: str = ""
) -> OnboardingApplication:
    """MS-3.1.4: the applicant signs the vendor access agreement version in force.

    The signature (who, when) is recorded on the vendor (`AgreementSignature`); the
    application keeps the version and moment for its own record. `version` is accepted for
    older callers and ignored: only the version in force can be signed.
    """
    from vendors.services.duties import agreement_sign  # same package; avoids an import cycle

    with transaction.atomic():
        application = _lock_application(application)
        if application.status != OnboardingApplication.Status.DRAFT:
            raise StateConflict(
                _("Only a draft application can be changed."), code="application_not_draft"
            )
        signature = agreement_sign(vendor=application.vendor, actor=actor)
        application.agreement_version = signature.version.version
        application.agreement_accepted_at = signature.signed_at
        save_audited(
            application,
            actor=actor,
            reason=f"accepted agreement {signature.version.version}",
            update_fields=["agreement_version", "agreement_accepted_at"],
        )
    return application


def application_document_add(
    *,
    application: OnboardingApplication,
    kind: str,
    file: Any,
    valid_from: dt.date,
    valid_until: dt.date | None,
    actor: Any,
) -> VendorDocument:
    """MS-3.1.3 / MS-6.1.1: add a document; it replaces the vendor's current one of that kind."""
    errors: list[str] = []
    if kind not in DocumentKind.values:
        errors.append(str(_("Choose the kind of document.")))
    try:
        validate_document_file(file)
    except ValidationError as exc:
        errors.extend(exc.messages)
    today = china_date(timezone.now())
    if valid_from is None:
        errors.append(str(_("Enter the date the document is valid from.")))
    elif valid_until is not None and valid_until < valid_from:
        errors.append(str(_("The document cannot expire before it becomes valid.")))
    if valid_until is not None and valid_until < today:
        errors.append(str(_("This document has already expired; upload a current one.")))
    if errors:
        raise validation_failed(ValidationError(errors))
    with transaction.atomic():
        application = _lock_application(application)
        if application.status not in (
            OnboardingApplication.Status.DRAFT,
            OnboardingApplication.Status.APPROVED,
        ):
            raise StateConflict(
                _("Documents can be added to a draft, or after approval to report a change."),
                code="application_locked",
            )
        now = timezone.now()
        for old in VendorDocument.objects.select_for_update(of=("self",)).filter(
            vendor_id=application.vendor_id, kind=kind, replaced_at__isnull=True
        ):
            old.replaced_at = now
            save_audited(
                old, actor=actor, reason="replaced by a new upload", update_fields=["replaced_at"]
            )
        return create_audited(
            VendorDocument,
            actor=actor,
            reason="uploaded",
            vendor_id=application.vendor_id,
            application=application,
            kind=kind,
            file=file,
            valid_from=valid_from,
            valid_until=valid_until,
        )


def application_submit(*, application: OnboardingApplication, actor: Any) -> OnboardingApplication:
    """The applicant submits: refused while its own part of the checklist is incomplete."""
    with transaction.atomic():
        application = _lock_application(application)
        vendor = application.vendor
        _refuse_if_banned(credit_code=vendor.credit_code, cloud_account_id=vendor.cloud_account_id)
        if application.status != OnboardingApplication.Status.DRAFT:
            raise StateConflict(_("Only a draft application can be submitted."))
        missing = applicant_missing_items(application)
        if missing:
            raise ApplicationIncomplete(missing)
        application.submit()
        application.submitted_at = timezone.now()
        save_audited(
            application, actor=actor, reason="submitted", update_fields=["status", "submitted_at"]
        )
    return application


def application_start_review(
    *, application: OnboardingApplication, actor: Any, reason: str = ""
) -> OnboardingApplication:
    """A reviewer takes a submitted application; it gets one result row per extra condition."""
    with transaction.atomic():
        application = _lock_application(application)
        if application.status != OnboardingApplication.Status.SUBMITTED:
            raise StateConflict(_("Only a submitted application can be taken for review."))
        application.start_review()
        save_audited(
            application,
            actor=actor,
            reason=reason or "review started",
            update_fields=["status"],
        )
        # MS-3.1.7: the checklist of extra conditions in force now.
        existing = set(application.condition_results.values_list("condition_id", flat=True))
        for condition in ExtraCondition.objects.filter(active=True).exclude(pk__in=existing):
            create_audited(
                ExtraConditionResult,
                actor=actor,
                reason="review started",
                application=application,
                condition=condition,
            )
    return application


def application_approve(
    *, application: OnboardingApplication, actor: Any, reason: str = ""
) -> OnboardingApplication:
    """Approve when nothing of MS-3.1.1-3.1.7 is missing or failed.

    The vendor becomes active at once if its deposit is already paid (MS-3.1.5 ①), else when
    the payment is recorded.
    """
    with transaction.atomic():
        application = _lock_application(application)
        vendor = application.vendor
        _refuse_if_banned(credit_code=vendor.credit_code, cloud_account_id=vendor.cloud_account_id)
        if application.status != OnboardingApplication.Status.UNDER_REVIEW:
            raise StateConflict(_("Only an application under review can be approved."))
        missing = application_missing_items(application)
        if missing:
            raise ApplicationIncomplete(missing)
        application.approve()
        application.decided_at = timezone.now()
        application.decided_by = actor if getattr(actor, "pk", None) else None
        save_audited(
            application,
            actor=actor,
            reason=reason or "approved",
            update_fields=["status", "decided_at", "decided_by"],
        )
        activate_if_ready(vendor, actor=actor, position=deposit_position(vendor))
    return application


def application_reject(
    *, application: OnboardingApplication, actor: Any, reason: str
) -> OnboardingApplication:
    """Reject with a reason the applicant reads; it may apply again with a new application."""
    reason = require_reason(reason)
    with transaction.atomic():
        application = _lock_application(application)
        if application.status not in (
            OnboardingApplication.Status.SUBMITTED,
            OnboardingApplication.Status.UNDER_REVIEW,
        ):
            raise StateConflict(
                _("Only a submitted application or one under review can be rejected.")
            )
        application.reject()
        application.rejection_reason = reason
        application.decided_at = timezone.now()
        application.decided_by = actor if getattr(actor, "pk", None) else None
        save_audited(
            application,
            actor=actor,
            reason=reason,
            update_fields=["status", "rejection_reason", "decided_at", "decided_by"],
        )
    return application
