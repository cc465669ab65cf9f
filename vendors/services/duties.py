"""Writes of the vendor's standing duties: the agreement (MS-3.1.4), document replacements
(MS-6.1.1) and service commitments (MS-4.3, MS-4.4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.audit import create_audited, save_audited
from marketplace.exceptions import StateConflict
from marketplace.service_helpers import lock_row, require_reason
from marketplace.timeutils import china_date
from vendors.identity import normalise_identity
from vendors.models import (
    AgreementSignature,
    CheckResult,
    DocumentKind,
    ServiceCommitment,
    Vendor,
    VendorDocument,
)
from vendors.models.duties import validate_service_hours
from vendors.selectors import agreement_in_force
from vendors.services.common import lock_vendor, validation_failed
from vendors.validators import validate_document_file, validate_mainland_mobile, validate_qq


class NoAgreementInForce(StateConflict):
    code = "agreement_missing"
    default_message = _("No version of the vendor access agreement is in force yet.")


def agreement_sign(*, vendor: Vendor, actor: Any) -> AgreementSignature:
    """MS-3.1.4: the vendor signs the version in force (who, when). Signing twice is a no-op:
    the first signature stands."""
    with transaction.atomic():
        vendor = lock_vendor(vendor)  # one signature per version even on a double click
        version = agreement_in_force()
        if version is None:
            raise NoAgreementInForce()
        existing = AgreementSignature.objects.filter(vendor=vendor, version=version).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                return create_audited(
                    AgreementSignature,
                    actor=actor,
                    reason=f"signed the vendor access agreement {version.version} (MS-3.1.4)",
                    vendor=vendor,
                    version=version,
                    signed_by=actor if getattr(actor, "pk", None) else None,
                    signed_at=timezone.now(),
                )
        except IntegrityError:  # pragma: no cover - the vendor lock serialises signers
            return AgreementSignature.objects.get(vendor=vendor, version=version)


def _document_errors(
    *, kind: str, file: Any, valid_from: dt.date | None, valid_until: dt.date | None
) -> list[str]:
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
    return errors


def document_replace(
    *,
    vendor: Vendor,
    kind: str,
    file: Any,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
    actor: Any,
) -> VendorDocument:
    """MS-6.1.1: an onboarded vendor reports a changed or renewed document.

    The new document becomes the current one, awaiting an onboarding reviewer's decision; the
    old one is kept, marked replaced (history). Same checks as at onboarding (type by content,
    size, validity dates).
    """
    errors = _document_errors(kind=kind, file=file, valid_from=valid_from, valid_until=valid_until)
    if errors:
        raise validation_failed(ValidationError(errors))
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        if vendor.status == Vendor.Status.APPLYING:
            raise StateConflict(
                _("While applying, upload documents on the onboarding page."),
                code="vendor_applying",
            )
        if vendor.status in (Vendor.Status.EXITED, Vendor.Status.EVICTED):
            raise StateConflict(
                _("A vendor that has left the marketplace cannot replace documents."),
                code="vendor_closed",
            )
        now = timezone.now()
        for old in VendorDocument.objects.select_for_update(of=("self",)).filter(
            vendor=vendor, kind=kind, replaced_at__isnull=True
        ):
            old.replaced_at = now
            save_audited(
                old,
                actor=actor,
                reason="replaced by the vendor (MS-6.1.1)",
                update_fields=["replaced_at"],
            )
        return create_audited(
            VendorDocument,
            actor=actor,
            reason="replacement uploaded by the vendor (MS-6.1.1)",
            vendor=vendor,
            kind=kind,
            file=file,
            valid_from=valid_from,
            valid_until=valid_until,
            is_replacement=True,
        )


def document_review(
    *, document: VendorDocument, accept: bool, actor: Any, reason: str = ""
) -> VendorDocument:
    """MS-6.1.1: an onboarding reviewer accepts or rejects a replacement; a rejection needs
    a reason, which the vendor reads. The permission is checked by the admin."""
    if not accept:
        reason = require_reason(reason)
    with transaction.atomic():
        document = lock_row(VendorDocument, document.pk)
        if not document.is_replacement or document.replaced_at is not None:
            raise StateConflict(
                _("Only a current replacement document can be accepted or rejected."),
                code="document_not_replacement",
            )
        if document.review_result != CheckResult.PENDING:
            raise StateConflict(
                _("This document was already decided."), code="document_already_reviewed"
            )
        document.review_result = CheckResult.PASSED if accept else CheckResult.FAILED
        document.review_note = reason.strip()
        document.reviewed_at = timezone.now()
        document.reviewed_by = actor if getattr(actor, "pk", None) else None
        save_audited(
            document,
            actor=actor,
            reason=reason.strip() or "replacement accepted (MS-6.1.1)",
            update_fields=["review_result", "review_note", "reviewed_at", "reviewed_by"],
        )
    return document


def service_commitment_save(
    *,
    vendor: Vendor,
    online_channel: str,
    phone: str,
    qq: str,
    hours_start: dt.time | None,
    hours_end: dt.time | None,
    actor: Any,
) -> ServiceCommitment:
    """MS-4.3 / MS-4.4: record how and when buyers reach the vendor; all checked first."""
    phone = normalise_identity("contact_phone", (phone or "").strip())
    qq = normalise_identity("contact_qq", (qq or "").strip())
    online_channel = (online_channel or "").strip()
    errors: list[str] = []
    if not online_channel.startswith(("https://", "http://")):
        errors.append(str(_("Give the link of your online customer service.")))
    for validator, value, label in (
        (validate_mainland_mobile, phone, _("after-sales phone")),
        (validate_qq, qq, _("after-sales QQ")),
    ):
        if not value:
            errors.append(str(_("Missing %(field)s.") % {"field": label}))
            continue
        try:
            validator(value)
        except ValidationError as exc:
            errors.extend(exc.messages)
    errors += validate_service_hours(hours_start, hours_end)
    if errors:
        raise validation_failed(ValidationError(errors))
    with transaction.atomic():
        vendor = lock_vendor(vendor)
        commitment = ServiceCommitment.objects.filter(vendor=vendor).first()
        fields = {
            "online_channel": online_channel,
            "phone": phone,
            "qq": qq,
            "hours_start": hours_start,
            "hours_end": hours_end,
        }
        if commitment is None:
            return create_audited(
                ServiceCommitment,
                actor=actor,
                reason="service commitments recorded (MS-4.3, MS-4.4)",
                vendor=vendor,
                **fields,
            )
        for name, value in fields.items():
            setattr(commitment, name, value)
        save_audited(
            commitment,
            actor=actor,
            reason="service commitments changed (MS-4.3, MS-4.4)",
            update_fields=[*fields, "updated_at"],
        )
        return commitment
