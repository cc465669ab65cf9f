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
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

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


_RULE_LINE = gettext_lazy("Rule: %(rule_id)s")
_DUE_LINE = gettext_lazy("Action required by: %(when)s (China time)")


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
    lines = [str(_RULE_LINE) % {"rule_id": rule_id}]
    if action_required_by is not None:
        lines.append(str(_DUE_LINE) % {"when": format_moment(action_required_by)})
    return "\n".join(lines)


class NoticeRenderer:
    """Render many notices in one language: each template is translated ONCE (not once per
    message), each moment formatted once; per message only the `%` substitution is left.

    Templates are keyed by identity (rules keep their lazy templates as module constants), so
    the cache holds a reference to each template it has seen.
    """

    def __init__(self, language: str) -> None:
        self.language = language
        self._texts: dict[int, tuple[Any, str]] = {}
        self._moments: dict[dt.datetime, str] = {}

    def text(self, template: Any) -> str:
        hit = self._texts.get(id(template))
        if hit is None:
            with translation.override(self.language):
                hit = (template, str(template))
            self._texts[id(template)] = hit
        return hit[1]

    def moment(self, value: dt.datetime | None) -> str:
        if value is None:
            return "-"
        shown = self._moments.get(value)
        if shown is None:
            shown = self._moments[value] = format_moment(value)
        return shown

    def render(self, template: Any, params: dict[str, Any]) -> str:
        text = self.text(template)
        if not params:
            return text
        return text % {key: self._param(value) for key, value in params.items()}

    def _param(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            return self.moment(value)
        if isinstance(value, Promise):  # a lazy label: in this language, translated once
            return self.text(value)
        return str(value)

    def footer(self, rule_id: str, action_required_by: dt.datetime | None) -> str:
        line = self.text(_RULE_LINE) % {"rule_id": rule_id}
        if action_required_by is None:
            return line
        due = self.text(_DUE_LINE) % {"when": self.moment(action_required_by)}
        return f"{line}\n{due}"


def send_emails_on_commit(messages: list[tuple[str, str, str]]) -> None:
    """Queue the e-mails of freshly created notifications for after the commit.

    `messages`: (subject, body, comma-separated addresses) per notification, as stored.
    """
    mails = [
        (subject, body, [a for a in emailed_to.split(",") if a])
        for subject, body, emailed_to in messages
        if emailed_to
    ]
    if mails:
        transaction.on_commit(lambda: _send(mails))


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
