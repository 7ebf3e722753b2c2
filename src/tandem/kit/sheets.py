"""Tables people upload (CSV or XLSX) as rows of text: each row with its sheet, its line number as the
person sees it in their spreadsheet, and its cells by the header's column names.

Cells become text as typed: numbers without a float's noise (an XLSX stores ``0.15`` as a double; it is
read back as ``"0.15"``, never as a float), dates as ``YYYY-MM-DD``. Nothing here judges the values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tandem.kit.i18n import N_

NOT_UTF8 = N_("The file is not UTF-8 text.")
NOT_XLSX = N_("The file is not an Excel workbook (.xlsx).")
NOT_CSV = N_("The file cannot be read as CSV.")
NO_HEADER = N_("The first row must name the columns.")
CONTROL = N_("The file contains a NUL character; save it again as plain text or a workbook.")
MAX_ROWS = 20_000  # rows read per sheet (or file), the header's included
MAX_COLUMNS = 100


class SheetError(ValueError):
    """The file as a whole cannot be read (the message is a msgid)."""


@dataclass(frozen=True)
class Row:
    sheet: str  # the sheet's name; "" for a CSV file
    line: int  # 1-based, the header being line 1
    cells: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _header(values: list[Any]) -> list[str]:
    return [_text(v).lower().replace(" ", "_") for v in values]


def _rows(sheet: str, lines: list[tuple[int, list[Any]]]) -> list[Row]:
    if not lines:
        return []
    header = _header(lines[0][1])
    if not any(header):
        raise SheetError(NO_HEADER)
    found = []
    for line, values in lines[1 : MAX_ROWS + 1]:
        cells = {h: _text(v) for h, v in zip(header, values, strict=False) if h}
        if any("\x00" in v for v in cells.values()):
            raise SheetError(CONTROL)
        if any(cells.values()):
            found.append(Row(sheet, line, cells))
    return found


def read_csv(data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(NOT_UTF8) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    lines: list[tuple[int, list[Any]]] = []
    start = 1
    try:
        for values in reader:
            lines.append((start, list(values)))
            start = reader.line_num + 1
    except csv.Error:  # a field over the csv module's limit, a quote left open at the end
        raise SheetError(NOT_CSV) from None
    return _rows("", lines)


def read_xlsx(data: bytes) -> list[Row]:
    """Every sheet's rows, each sheet headed by its own first row."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # not a zip, or a zip without a workbook's parts, or a part that is not XML
        raise SheetError(NOT_XLSX) from None
    try:
        found = []
        for ws in book.worksheets:
            rows = itertools.islice(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), MAX_ROWS + 1)
            lines = [(i, list(values)) for i, values in enumerate(rows, start=1)]
            found.extend(_rows(str(ws.title), lines))
        return found
    except SheetError:
        raise
    except Exception:  # a damaged part of the zip (broken XML, a bad style): not a workbook we can read
        raise SheetError(NOT_XLSX) from None
    finally:
        book.close()


def read_table(data: bytes, filename: str) -> list[Row]:
    """A CSV or XLSX file's rows (by its name's ending, or the XLSX zip signature)."""
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    return read_csv(data)
