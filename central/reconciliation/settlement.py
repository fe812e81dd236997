"""The acquirer's settlement file, as the back office accepts it: a small CSV that an
operator makes from the acquirer's report (docs/backoffice.md says how). Outside input:
decoded strictly, every error naming its line and column, the file capped in size.

    date,terminal_reference,amount,currency,auth_code
    2026-11-20,3f2a9c01d4,12.50,EUR,A1B2C3

``terminal_reference`` is the reference the kiosk gave the terminal for the payment: the
donation's uuid (Concert V3 carries it whole in field CF) or its first 10 hex digits
(Concert V2's private-data field, see firmware_bridge.concert_v2.short_reference).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

COLUMNS = ("date", "terminal_reference", "amount", "currency", "auth_code")
MAX_BYTES = 2 << 20
MAX_LINES = 20_000
MAX_CENTS = 2**53 - 1

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHORT = re.compile(r"[0-9a-f]{10}")
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,14})(\.[0-9]{2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_AUTH = re.compile(r"[A-Za-z0-9]{1,64}")


# Each problem's words; the back office's form shows the same in the visitor's language,
# from ``kind`` and ``params`` (central.backoffice.forms.SETTLEMENT_PROBLEMS).
PROBLEMS = {
    "too_large": "the file is larger than {mib} MiB; split it by date",
    "not_utf8": "not UTF-8 text (save the file as CSV UTF-8)",
    "nul": "the file holds a NUL character: it is not a CSV text file",
    "empty": "the file is empty",
    "header": "the first line must be the header {header}",
    "too_many": "more than {most} lines; split the file by date",
    "duplicate": "reference {value} is already on line {earlier}",
    "csv": "not a well-formed CSV line ({detail})",
    "no_lines": "the file has a header but no payment line",
    "columns": "expected {expected} columns, found {found}",
    "date": "'{value}' is not a date as YYYY-MM-DD",
    "reference": "'{value}' is neither a donation id (36 characters) nor its 10-digit "
                 "Concert V2 form",
    "amount": "'{value}' is not an amount such as 12.50 (a point, two decimals, no "
              "currency sign)",
    "amount_zero": "the amount must be more than zero",
    "currency": "'{value}' is not a currency code such as EUR",
    "auth_code": "'{value}' is not an authorisation code (1 to 64 letters or digits)",
}


class SettlementError(ValueError):
    """What is wrong with the file, in plain words, naming the line and column."""

    def __init__(self, kind: str, line: int | None = None, column: str | None = None,
                 **params: object):
        self.kind, self.line, self.column = kind, line, column
        # A cell is shown as given, but never more than 40 characters of it.
        self.params = {k: (v[:40] + "…" if isinstance(v, str) and len(v) > 40 else v)
                       for k, v in params.items()}
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column else "") + ": "
        self.problem = PROBLEMS[kind].format(**self.params)
        super().__init__(where + self.problem)


@dataclass(frozen=True)
class SettlementLine:
    line: int
    date: dt.date
    terminal_reference: str  # lower case: a uuid, or 10 hex digits
    amount_cents: int
    currency: str
    auth_code: str


def decode(data: bytes) -> list[SettlementLine]:
    """Every line of the file, or SettlementError for the first problem met."""
    if len(data) > MAX_BYTES:
        raise SettlementError("too_large", mib=MAX_BYTES >> 20)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise SettlementError("not_utf8", line) from None
    if "\x00" in text:
        raise SettlementError("nul")
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines: list[SettlementLine] = []
    seen: dict[str, int] = {}
    try:
        header = next(rows, None)
        if header is None:
            raise SettlementError("empty")
        if [h.strip().lower() for h in header] != list(COLUMNS):
            raise SettlementError("header", 1, header=",".join(COLUMNS))
        for row in rows:
            number = rows.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line (often the last one)
            if len(lines) >= MAX_LINES:
                raise SettlementError("too_many", number, most=MAX_LINES)
            item = _line(number, row)
            if item.terminal_reference in seen:
                raise SettlementError("duplicate", number, "terminal_reference",
                                      value=item.terminal_reference,
                                      earlier=seen[item.terminal_reference])
            seen[item.terminal_reference] = number
            lines.append(item)
    except csv.Error as e:
        raise SettlementError("csv", rows.line_num, detail=str(e)) from None
    if not lines:
        raise SettlementError("no_lines")
    return lines


def _line(number: int, row: list[str]) -> SettlementLine:
    if len(row) != len(COLUMNS):
        raise SettlementError("columns", number, expected=len(COLUMNS), found=len(row))
    cells = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=True))
    try:
        date = dt.date.fromisoformat(cells["date"]) if len(cells["date"]) == 10 else None
    except ValueError:
        date = None
    if date is None:
        raise SettlementError("date", number, "date", value=cells["date"])
    reference = cells["terminal_reference"].lower()
    if not (_UUID.fullmatch(reference) or _SHORT.fullmatch(reference)):
        raise SettlementError("reference", number, "terminal_reference",
                              value=cells["terminal_reference"])
    amount = _AMOUNT.fullmatch(cells["amount"])
    if amount is None:
        raise SettlementError("amount", number, "amount", value=cells["amount"])
    cents = int(amount.group(1)) * 100 + int((amount.group(2) or ".00")[1:])
    if not 0 < cents <= MAX_CENTS:
        raise SettlementError("amount_zero", number, "amount")
    if not _CURRENCY.fullmatch(cells["currency"]):
        raise SettlementError("currency", number, "currency", value=cells["currency"])
    if not _AUTH.fullmatch(cells["auth_code"]):
        raise SettlementError("auth_code", number, "auth_code", value=cells["auth_code"])
    return SettlementLine(number, date, reference, cents, cells["currency"],
                          cells["auth_code"])
