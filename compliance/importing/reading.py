"""Reading an uploaded penalty-case file (CSV, Excel "Unicode text" or XLSX) with hard caps.

Files come from outside and may lie (issue 9 §3): an XLSX may declare `A1:XFD1048576`, a zip
may inflate to gigabytes, its XML may define entity bombs, a CSV may hold a million rows, a
200,000-character field or a NUL byte. Every file is read as a stream and refused with one
clear, translated message (`FileRejected`) as soon as it passes a cap (settings
`PENALTY_IMPORT_MAX_*`), and every parser error becomes such a message: never a traceback.

- XLSX: the zip's declared member sizes are checked before openpyxl opens it (`zipfile` stops
  at the declared size and fails the CRC if a member lies), openpyxl runs in read-only mode,
  ignores the sheet's declared dimension and reads at most one column past the cap; its XML
  goes through `defusedxml` (installed, so openpyxl uses it), which refuses DTDs and entities.
- CSV: the encoding is validated incrementally (UTF-8 / UTF-16 by BOM, else UTF-8, else
  GB18030), then decoded while the csv module reads it; a tab-separated first line (Excel's
  "Unicode text" save) is read as TSV.
- Control characters (NUL, vertical tab, …) are refused: PostgreSQL cannot store NUL and an
  XLSX cannot hold the others, so such a value would break the import or every later export.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

EXCEL_MAX_ROWS = 1_048_576  # beyond Excel's last row a sheet is not a sheet
MAX_ZIP_MEMBERS = 1000
SHARED_STRINGS_SHARE = 0.25  # of the uncompressed cap: 25 MB of text by default
_CHUNK = 1 << 20

# C0 controls and DEL except tab, line feed and carriage return (which text may hold).
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Formula injection (OWASP "CSV injection"): the export prefixes an apostrophe to a text cell
# a spreadsheet would run as a formula, and to one already starting with an apostrophe, so
# that the import can take exactly one apostrophe off and a re-imported export is unchanged.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    if isinstance(value, str) and value.startswith((*FORMULA_PREFIXES, "'")):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1] in ("'", *FORMULA_PREFIXES):
        return value[1:]
    return value


class FileRejected(Exception):
    """The file as a whole cannot be read (empty, binary, missing column…): nothing written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_uncompressed_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_rows=settings.PENALTY_IMPORT_MAX_ROWS,
            max_columns=settings.PENALTY_IMPORT_MAX_COLUMNS,
            max_cell_chars=settings.PENALTY_IMPORT_MAX_CELL_CHARS,
            max_uncompressed_bytes=settings.PENALTY_IMPORT_MAX_UNCOMPRESSED_BYTES,
        )


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx")


def read_rows(
    data: bytes, filename: str = "", limits: Limits | None = None, *, stop_after: int = 0
) -> list[list[Any]]:
    """The file's non-blank rows (header first), each without trailing empty cells.

    `stop_after` > 0 reads only that many rows (header included) and stops: the import page's
    preview of the first rows does not read a large file to its end."""
    limits = limits or Limits.from_settings()
    if not data or not data.strip():
        raise FileRejected(_("The file is empty."))
    if is_xlsx(data, filename):
        return _read_xlsx(data, limits, stop_after)
    if _looks_binary(data):
        raise FileRejected(_("This is not a CSV or XLSX file (it contains binary data)."))
    return _read_csv(data, limits, stop_after)


# --- the caps, shared by both formats ---------------------------------------------------------


def _collect(
    raw_rows: Iterable[Iterable[Any]], limits: Limits, stop_after: int = 0
) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for raw in raw_rows:
        if stop_after and len(rows) >= stop_after:
            break
        row = list(raw)
        while row and (row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())):
            row.pop()
        if not row:
            continue  # blank rows are skipped, as before
        number = len(rows) + 1  # 1 = the header
        if len(row) > limits.max_columns:
            raise FileRejected(
                _("Row %(row)s has more than %(max)s columns; the file is refused.")
                % {"row": number, "max": limits.max_columns}
            )
        for index, value in enumerate(row):
            if not isinstance(value, str):
                continue
            if len(value) > limits.max_cell_chars:
                raise FileRejected(
                    _(
                        "Row %(row)s, column %(column)s holds more than %(max)s characters; "
                        "the file is refused."
                    )
                    % {"row": number, "column": index + 1, "max": limits.max_cell_chars}
                )
            bad = CONTROL_CHARS_RE.search(value)
            if bad:
                raise FileRejected(
                    _(
                        "Row %(row)s, column %(column)s contains a control character "
                        "(U+%(code)04X); remove it and try again."
                    )
                    % {"row": number, "column": index + 1, "code": ord(bad.group())}
                )
        if number > limits.max_rows + 1:
            raise FileRejected(
                _("The file has more than %(max)s cases; split it into smaller files.")
                % {"max": limits.max_rows}
            )
        rows.append(row)
    return rows


# --- CSV / TSV ----------------------------------------------------------------------------------


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


def _valid_as(data: bytes, encoding: str) -> UnicodeDecodeError | None:
    """Validate the whole file chunk by chunk (no full decoded copy in memory)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start : start + _CHUNK], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return exc
    return None


def _encoding(data: bytes) -> tuple[str, int]:
    """(codec, bytes to skip)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text": UTF-16 with BOM; the codec reads the BOM itself.
        if len(data) % 2:
            raise FileRejected(
                _("The file is UTF-16 text that ends in the middle of a character (cut short?).")
            )
        return "utf-16", 0
    if _valid_as(data, "utf-8") is None:
        return "utf-8", 0
    error = _valid_as(data, "gb18030")
    if error is None:
        return "gb18030", 0
    raise FileRejected(
        _("The file is neither UTF-8 nor GB18030 text (unreadable byte at %(pos)s).")
        % {"pos": error.start}
    )


def _dialect(first_line: str) -> str:
    return "excel-tab" if first_line.count("\t") > first_line.count(",") else "excel"


def _read_csv(data: bytes, limits: Limits, stop_after: int = 0) -> list[list[Any]]:
    encoding, skip = _encoding(data)
    stream = io.TextIOWrapper(io.BytesIO(data[skip:] if skip else data), encoding, newline="")
    try:
        first = stream.readline(limits.max_cell_chars * limits.max_columns)
        stream.seek(0)
        reader = csv.reader(stream, dialect=_dialect(first))
        return _collect(_csv_records(reader, limits), limits, stop_after)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _("The file's text is damaged or cut short (%(encoding)s, byte %(pos)s).")
            % {"encoding": encoding.upper(), "pos": exc.start}
        ) from exc


def _csv_records(reader: Any, limits: Limits) -> Iterator[list[str]]:
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FileRejected(
                    _(
                        "Line %(line)s holds a value of more than %(max)s characters; "
                        "the file is refused."
                    )
                    % {"line": reader.line_num, "max": limits.max_cell_chars}
                ) from exc
            raise FileRejected(
                _("Line %(line)s cannot be read as CSV (%(error)s).")
                % {"line": reader.line_num, "error": exc}
            ) from exc
        yield record


# --- XLSX ---------------------------------------------------------------------------------------


def _damaged() -> FileRejected:
    return FileRejected(_("This XLSX file cannot be opened (damaged or not XLSX)."))


def _check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged() from exc
    declared = sum(m.file_size for m in members)
    # openpyxl holds the whole shared-string table in memory (the sheet it streams): a table
    # of millions of tiny strings under the total cap would still take hundreds of MB.
    strings = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.max_uncompressed_bytes * SHARED_STRINGS_SHARE:
        raise FileRejected(
            _("This XLSX file holds more than %(max)s MB of text; the file is refused.")
            % {"max": int(limits.max_uncompressed_bytes * SHARED_STRINGS_SHARE) >> 20}
        )
    if len(members) > MAX_ZIP_MEMBERS or declared > limits.max_uncompressed_bytes:
        raise FileRejected(
            _(
                "This XLSX file would take more than %(max)s MB once uncompressed; "
                "the file is refused."
            )
            % {"max": limits.max_uncompressed_bytes >> 20}
        )


def _read_xlsx(data: bytes, limits: Limits, stop_after: int = 0) -> list[list[Any]]:
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    _check_zip(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                raise _damaged()
            sheet = workbook.worksheets[0]
            # The declared dimension is a claim, not a fact: without this, A1:XFD1048576 pads
            # every row to 16,384 cells and the sheet to a million rows.
            sheet.reset_dimensions()
            return _collect(
                sheet.iter_rows(
                    max_row=EXCEL_MAX_ROWS, max_col=limits.max_columns + 1, values_only=True
                ),
                limits,
                stop_after,
            )
        finally:
            workbook.close()
    except FileRejected:
        raise
    except Exception as exc:  # any parser error of a damaged file (KeyError, zlib, XML…)
        logger.debug("XLSX refused: %r", exc)
        if any(_unsafe_xml(e, DefusedXmlException) for e in _chain(exc)):
            raise FileRejected(
                _("This XLSX file contains XML entity definitions, which are not allowed.")
            ) from exc
        raise _damaged() from exc


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and its causes (openpyxl wraps parser errors in a ValueError)."""
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc = exc.__cause__ or exc.__context__
        seen += 1


def _unsafe_xml(exc: BaseException, defused: type[Exception]) -> bool:
    # defusedxml refuses entity declarations; expat's own guard reports "amplification".
    return isinstance(exc, defused) or (isinstance(exc, ParseError) and "amplification" in str(exc))
