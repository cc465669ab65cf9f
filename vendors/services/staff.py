"""Writes about vendor staff accounts: their own preferences (issue 13)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from marketplace.audit import save_audited
from marketplace.exceptions import DomainError
from vendors.models import VendorStaff


class UnknownLanguage(DomainError):
    code = "unknown_language"
    default_message = _("This language is not offered.")


def staff_language_set(*, user: Any, language: str, actor: Any) -> VendorStaff:
    """Store the staff member's preferred language (pages, e-mails; the owner's also the
    language of the vendor's notices). Only one's own account: `user` is the actor."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise UnknownLanguage()
    with transaction.atomic():
        staff = VendorStaff.objects.select_for_update().get(user=user)
        if staff.language != language:
            staff.language = language
            save_audited(
                staff, actor=actor, reason="preferred language", update_fields=["language"]
            )
    return staff
