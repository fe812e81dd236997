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


class SettlementError(ValueError):
    """What is wrong with the file, in plain words, naming the line and column."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None):
        self.line, self.column = line, column
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column else "") + ": "
        super().__init__(where + message)


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
        raise SettlementError(f"the file is larger than {MAX_BYTES >> 20} MiB; split it "
                              "by date")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise SettlementError("not UTF-8 text (save the file as CSV UTF-8)", line) from None
    if "\x00" in text:
        raise SettlementError("the file holds a NUL character: it is not a CSV text file")
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines: list[SettlementLine] = []
    seen: dict[str, int] = {}
    try:
        header = next(rows, None)
        if header is None:
            raise SettlementError("the file is empty")
        if [h.strip().lower() for h in header] != list(COLUMNS):
            raise SettlementError(f"the first line must be the header {','.join(COLUMNS)}",
                                  1)
        for row in rows:
            number = rows.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line (often the last one)
            if len(lines) >= MAX_LINES:
                raise SettlementError(f"more than {MAX_LINES} lines; split the file by date",
                                      number)
            item = _line(number, row)
            if item.terminal_reference in seen:
                raise SettlementError(
                    f"reference {item.terminal_reference} is already on line "
                    f"{seen[item.terminal_reference]}", number, "terminal_reference")
            seen[item.terminal_reference] = number
            lines.append(item)
    except csv.Error as e:
        raise SettlementError(f"not a well-formed CSV line ({e})", rows.line_num) from None
    if not lines:
        raise SettlementError("the file has a header but no payment line")
    return lines


def _line(number: int, row: list[str]) -> SettlementLine:
    if len(row) != len(COLUMNS):
        raise SettlementError(f"expected {len(COLUMNS)} columns, found {len(row)}", number)
    cells = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=True))
    try:
        date = dt.date.fromisoformat(cells["date"]) if len(cells["date"]) == 10 else None
    except ValueError:
        date = None
    if date is None:
        raise SettlementError(f"{cells['date']!r} is not a date as YYYY-MM-DD", number, "date")
    reference = cells["terminal_reference"].lower()
    if not (_UUID.fullmatch(reference) or _SHORT.fullmatch(reference)):
        raise SettlementError(
            f"{cells['terminal_reference']!r} is neither a donation id (36 characters) nor "
            "its 10-digit Concert V2 form", number, "terminal_reference")
    amount = _AMOUNT.fullmatch(cells["amount"])
    if amount is None:
        raise SettlementError(f"{cells['amount']!r} is not an amount such as 12.50 (a point, "
                              "two decimals, no currency sign)", number, "amount")
    cents = int(amount.group(1)) * 100 + int((amount.group(2) or ".00")[1:])
    if not 0 < cents <= MAX_CENTS:
        raise SettlementError("the amount must be more than zero", number, "amount")
    if not _CURRENCY.fullmatch(cells["currency"]):
        raise SettlementError(f"{cells['currency']!r} is not a currency code such as EUR",
                              number, "currency")
    if not _AUTH.fullmatch(cells["auth_code"]):
        raise SettlementError(f"{cells['auth_code']!r} is not an authorisation code (1 to 64 "
                              "letters or digits)", number, "auth_code")
    return SettlementLine(number, date, reference, cents, cells["currency"],
                          cells["auth_code"])
