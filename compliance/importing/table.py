"""The header row of an import file: which column is which (English or Chinese headers,
compared case-, space- and underscore-insensitively) and the file's rows as a `Table`.
The bytes are read and decoded by `compliance.importing.reading`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from compliance.importing.reading import FileRejected, Limits, read_rows

# Canonical column → accepted header spellings (compared lower-case, spaces/_/- removed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("case reference", "reference", "case ref", "案例编号", "案件编号", "编号"),
    "vendor": (
        "vendor",
        "vendor id",
        "credit code",
        "unified social credit code",
        "服务商",
        "服务商id",
        "统一社会信用代码",
    ),
    "violation": ("violation code", "violation", "code", "违规代码", "违规编码", "违规类型代码"),
    "occurred_at": ("occurred at", "occurred", "date", "发生时间", "违规时间", "发生日期"),
    "product": ("product", "product id", "产品", "产品id"),
    "description": ("description", "描述", "违规描述", "情况说明"),
    "evidence_url": ("evidence url", "evidence", "evidence link", "证据链接", "证据"),
    "reporter": ("reporter", "reported by", "举报人", "报告人"),
}
REQUIRED = ("reference", "vendor", "violation", "occurred_at", "description", "reporter")
COLUMN_LABELS = {
    "reference": "case reference",
    "vendor": "vendor",
    "violation": "violation code",
    "occurred_at": "occurred at",
    "product": "product",
    "description": "description",
    "evidence_url": "evidence URL",
    "reporter": "reporter",
}


def _norm(header: Any) -> str:
    return re.sub(r"[\s_\-]+", "", str(header or "")).lower()


_ALIASES = {_norm(alias): key for key, aliases in COLUMNS.items() for alias in aliases}
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
# The first Chinese spelling of each column, used when the file's headers are Chinese.
ZH_COLUMN_LABELS = {
    key: next(a for a in aliases if _CJK_RE.search(a)) for key, aliases in COLUMNS.items()
}


@dataclass
class Table:
    headers: list[str]  # as written in the file
    columns: dict[str, int]  # canonical column → index
    rows: list[list[Any]]


def read_table(
    data: bytes, filename: str = "", limits: Limits | None = None, *, stop_after: int = 0
) -> Table:
    """Read a CSV or XLSX file into rows; raise `FileRejected` with a clear message.
    `stop_after` > 0: only the header and the first `stop_after` cases (the preview)."""
    raw_rows = read_rows(data, filename, limits, stop_after=stop_after + 1 if stop_after else 0)
    if not raw_rows:
        raise FileRejected(_("The file is empty."))
    headers = [str(h).strip() if h is not None else "" for h in raw_rows[0]]
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = _ALIASES.get(_norm(header))
        if key and key not in columns:
            columns[key] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        labels = _header_labels(headers)
        raise FileRejected(
            _("Row 1: missing column(s): %(columns)s. Expected headers: %(expected)s.")
            % {
                "columns": ", ".join(f"“{labels[m]}”" for m in missing),
                "expected": ", ".join(labels[c] for c in COLUMNS),
            }
        )
    if len(raw_rows) == 1:
        raise FileRejected(_("The file has a header row but no cases."))
    return Table(headers=headers, columns=columns, rows=raw_rows[1:])


def _header_labels(headers: list[str]) -> dict[str, str]:
    """Column names in the language the file's headers are written in; if the headers say
    nothing (no letters), in the user's language."""
    text = "".join(headers)
    if _CJK_RE.search(text):
        chinese = True
    elif re.search(r"[A-Za-z]", text):
        chinese = False
    else:
        chinese = (translation.get_language() or "").startswith("zh")
    return ZH_COLUMN_LABELS if chinese else COLUMN_LABELS


def template_headers(language: str | None = None) -> list[str]:
    """The template's header row in the user's language; the import reads both."""
    lang = language or translation.get_language() or "zh-hans"
    labels = ZH_COLUMN_LABELS if lang.startswith("zh") else COLUMN_LABELS
    return [labels[key] for key in COLUMNS]
