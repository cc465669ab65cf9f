"""Validation of onboarding data (MS-3.1.1, MS-3.1.3): each bad value gets a clear message."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import VALID_CREDIT_CODES
from tests.vendors.factories import JPG, PDF, PNG
from vendors.validators import (
    validate_cloud_account_id,
    validate_contact_email,
    validate_credit_code,
    validate_document_file,
    validate_mainland_mobile,
    validate_qq,
)


def _message(validator, value) -> str:
    with pytest.raises(ValidationError) as info:
        validator(value)
    return " ".join(info.value.messages)


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_ms_3_1_valid_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91110000802100433", "18"),  # too short
        ("91110000802100433I", "18"),  # I is not in the alphabet
        ("91110000802100433C", "check character"),  # wrong check character
        ("", "18"),
    ],
)
def test_ms_3_1_invalid_credit_codes_are_refused(code, fragment):
    assert fragment in _message(validate_credit_code, code)


@pytest.mark.parametrize("phone", ["13800138000", "+8613800138000", "199 1234 5678"])
def test_ms_3_1_3_mainland_mobile_accepted(phone):
    validate_mainland_mobile(phone)


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "010-12345678", "abc"])
def test_ms_3_1_3_bad_phone_refused(phone):
    assert "mainland China mobile" in _message(validate_mainland_mobile, phone)


@pytest.mark.parametrize("qq", ["10001", "123456789012"])
def test_ms_3_1_3_qq_accepted(qq):
    validate_qq(qq)


@pytest.mark.parametrize("qq", ["1234", "0123456", "1234567890123", "12a45"])
def test_ms_3_1_3_bad_qq_refused(qq):
    assert "QQ" in _message(validate_qq, qq)


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "x@@example.com"])
def test_ms_3_1_3_bad_email_refused(email):
    assert "e-mail" in _message(validate_contact_email, email)


@pytest.mark.parametrize("uin", ["0123456", "1234", "12345a"])
def test_ms_3_1_1_bad_cloud_account_refused(uin):
    assert "cloud account" in _message(validate_cloud_account_id, uin)


@pytest.mark.parametrize(
    ("name", "content"), [("a.pdf", PDF), ("b.PNG", PNG), ("c.jpg", JPG), ("d.jpeg", JPG)]
)
def test_ms_3_1_3_documents_recognised_by_content(name, content):
    validate_document_file(SimpleUploadedFile(name, content))


def test_ms_3_1_3_document_with_wrong_extension_refused():
    assert "PDF, JPG or PNG" in _message(
        validate_document_file, SimpleUploadedFile("licence.docx", PDF)
    )


def test_ms_3_1_3_document_whose_content_lies_about_its_type_refused():
    fake = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 this is an executable")
    assert "not a real PDF" in _message(validate_document_file, fake)


def test_ms_3_1_3_document_too_large_refused(settings):
    settings.VENDOR_DOCUMENT_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("scan.png", PNG + b"\x00" * (1024 * 1024))
    assert "too large" in _message(validate_document_file, big)


def test_ms_3_1_3_empty_document_refused():
    assert "empty" in _message(validate_document_file, SimpleUploadedFile("x.pdf", b""))
