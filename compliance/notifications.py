"""Vendor notifications of the sweep: the inbox row and the e-mail to the vendor's staff.

A notification is rendered once, in the vendor's language, when it is recorded (the inbox
shows exactly what was sent), and e-mailed only after the transaction commits
(`transaction.on_commit`), so a rolled-back run never mails anyone.

Language: the vendor owner's preferred language when the vendors app keeps one
(`VendorStaff.language` or `preferred_language`), else Simplified Chinese, the marketplace's
default (docs/decisions/sweep.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from compliance.models import VendorNotification
from marketplace.timeutils import CHINA_TZ
from vendors.models import VendorStaff

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh-hans"
SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _language_field() -> str | None:
    names = {f.name for f in VendorStaff._meta.get_fields()}
    for candidate in ("language", "preferred_language"):
        if candidate in names:
            return candidate
    return None


def vendor_contacts(vendor_ids: Iterable[int]) -> dict[int, tuple[str, list[str]]]:
    """Per vendor: (language, staff e-mail addresses), in one query."""
    ids = set(vendor_ids)
    lang_field = _language_field()
    fields = ["vendor_id", "user__email", "is_owner"] + ([lang_field] if lang_field else [])
    contacts: dict[int, tuple[str, list[str]]] = {}
    emails: dict[int, list[str]] = defaultdict(list)
    languages: dict[int, str] = {}
    rows = VendorStaff.objects.filter(vendor_id__in=ids, user__is_active=True)
    for row in rows.values(*fields).order_by("vendor_id", "pk"):
        if row["user__email"]:
            emails[row["vendor_id"]].append(row["user__email"])
        if lang_field and row["is_owner"] and row.get(lang_field) in SUPPORTED:
            languages[row["vendor_id"]] = row[lang_field]
    for vendor_id in ids:
        contacts[vendor_id] = (languages.get(vendor_id, DEFAULT_LANGUAGE), emails[vendor_id])
    return contacts


def format_moment(moment: dt.datetime | None) -> str:
    """Deadlines are shown in China time, the time the rules count in."""
    if moment is None:
        return "-"
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def render(text: Any, params: dict[str, Any], language: str | None = None) -> str:
    """Render a lazy message with its parameters in `language` (None: the active language,
    for callers that render many messages and activate each language once)."""
    if language is not None:
        with translation.override(language):
            return render(text, params)
    shown = {
        key: format_moment(value) if isinstance(value, dt.datetime) else str(value)
        for key, value in params.items()
    }
    return str(text) % shown if shown else str(text)


def footer(
    rule_id: str, action_required_by: dt.datetime | None, language: str | None = None
) -> str:
    """The rule ID and, where something is due, the deadline in China time."""
    if language is not None:
        with translation.override(language):
            return footer(rule_id, action_required_by)
    lines = [_("Rule: %(rule_id)s") % {"rule_id": rule_id}]
    if action_required_by is not None:
        lines.append(
            _("Action required by: %(when)s (China time)")
            % {"when": format_moment(action_required_by)}
        )
    return "\n".join(lines)


def send_emails_on_commit(notifications: list[VendorNotification]) -> None:
    """Queue the e-mails of freshly created notifications for after the commit."""
    messages = [
        (n.subject, n.body, [a for a in n.emailed_to.split(",") if a])
        for n in notifications
        if n.emailed_to
    ]
    if messages:
        transaction.on_commit(lambda: _send(messages))


def _send(messages: list[tuple[str, str, list[str]]]) -> None:
    # After commit the inbox row exists whatever happens here; a mail failure is logged,
    # not raised (the run's work is already committed and correct).
    try:
        with get_connection() as connection:
            connection.send_messages(
                [EmailMessage(subject, body, to=to) for subject, body, to in messages]
            )
    except Exception:
        logger.exception("sweep: sending %d vendor e-mails failed", len(messages))
