"""Validators for onboarding data (MS-3.1.3)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the unified social credit code (统一社会信用代码) alphabet omits I, O, S, V, Z.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(body: str) -> str:
    """The check character of the first 17 characters of a credit code."""
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != 18 or any(c not in CREDIT_CODE_CHARS for c in code):
        raise ValidationError(
            _("A unified social credit code has 18 digits or capital letters (no I, O, S, V, Z)."),
            code="credit_code_format",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("This unified social credit code's check character is wrong; please re-check it."),
            code="credit_code_check",
        )


# Validators see values in their canonical form (vendors.identity, MS-8.3): ASCII digits
# only (re.ASCII: `\d` would take full-width and other Unicode digits) and whole-string
# matches (`$` alone accepts a trailing newline).
# MS-3.1.1: a cloud account ID (UIN) is a number of 5 to 20 digits.
CLOUD_ACCOUNT_RE = re.compile(r"[1-9]\d{4,19}", re.ASCII)
# MS-3.1.3 ③: a mainland China mobile number (11 digits, 13x-19x), optionally with +86.
MAINLAND_MOBILE_RE = re.compile(r"(?:\+?86)?1[3-9]\d{9}", re.ASCII)
# MS-3.1.3 ③: QQ numbers are 5 to 12 digits and never start with 0.
QQ_RE = re.compile(r"[1-9]\d{4,11}", re.ASCII)


def validate_cloud_account_id(value: str) -> None:
    if not CLOUD_ACCOUNT_RE.fullmatch((value or "").strip()):
        raise ValidationError(
            _("A cloud account ID is a number of 5 to 20 digits."), code="cloud_account_format"
        )


def validate_mainland_mobile(value: str) -> None:
    if not MAINLAND_MOBILE_RE.fullmatch((value or "").replace(" ", "").replace("-", "")):
        raise ValidationError(
            _("Enter a mainland China mobile number: 11 digits starting with 13 to 19."),
            code="phone_format",
        )


def validate_qq(value: str) -> None:
    if not QQ_RE.fullmatch((value or "").strip()):
        raise ValidationError(
            _("A QQ number has 5 to 12 digits and does not start with 0."), code="qq_format"
        )


def validate_contact_email(value: str) -> None:
    try:
        EmailValidator()(value or "")
    except ValidationError as exc:
        raise ValidationError(
            _("Enter a valid e-mail address, such as name@example.com."), code="email_format"
        ) from exc


# MS-3.1.3: documents are PDF, JPG or PNG, recognised by their content, not only their name.
DOCUMENT_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def document_max_bytes() -> int:
    """The size limit of one onboarding document (setting VENDOR_DOCUMENT_MAX_BYTES)."""
    return int(getattr(settings, "VENDOR_DOCUMENT_MAX_BYTES", DEFAULT_DOCUMENT_MAX_BYTES))


def validate_document_file(file: Any) -> None:
    """Refuse anything that is not a PDF/JPG/PNG by extension *and* content, or is too big."""
    name = getattr(file, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in DOCUMENT_SIGNATURES:
        raise ValidationError(_("Upload a PDF, JPG or PNG file."), code="document_type")
    size = getattr(file, "size", None)
    limit = document_max_bytes()
    if size is None or size <= 0:
        raise ValidationError(_("The file is empty."), code="document_empty")
    if size > limit:
        raise ValidationError(
            _("The file is too large: at most %(limit)s MB."),
            code="document_size",
            params={"limit": limit // (1024 * 1024)},
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    if not any(head.startswith(sig) for sig in DOCUMENT_SIGNATURES[extension]):
        raise ValidationError(
            _("The file's content is not a real %(type)s file."),
            code="document_content",
            params={"type": extension.upper()},
        )
