"""The acquirer's settlement CSV (central.reconciliation.settlement), outside input: any bytes
give lines or a SettlementError naming where, never another exception; a well-formed file
reads back exactly; one bad cell is reported with its line and column."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from central.reconciliation.settlement import (
    COLUMNS,
    MAX_BYTES,
    SettlementError,
    SettlementLine,
    decode,
)

HEADER = ",".join(COLUMNS)


def csv_of(lines: list[SettlementLine], header: str = HEADER, eol: str = "\r\n") -> bytes:
    body = [header] + [f"{x.date.isoformat()},{x.terminal_reference},"
                       f"{x.amount_cents // 100}.{x.amount_cents % 100:02d},{x.currency},"
                       f"{x.auth_code}" for x in lines]
    return (eol.join(body) + eol).encode()


references = st.one_of(st.uuids(version=4).map(str),
                       st.uuids(version=4).map(lambda u: u.hex[:10]))
line_bodies = st.builds(
    lambda date, ref, cents, currency, auth: (date, ref, cents, currency, auth),
    st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)), references,
    st.integers(1, 10**12), st.sampled_from(["EUR", "CHF", "GBP", "USD"]),
    st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789abc", min_size=1, max_size=12))


@st.composite
def settlement_files(draw: st.DrawFn) -> list[SettlementLine]:
    bodies = draw(st.lists(line_bodies, min_size=1, max_size=30,
                           unique_by=lambda b: b[1]))
    return [SettlementLine(n + 2, *b) for n, b in enumerate(bodies)]


@given(st.binary(max_size=4000))
@settings(max_examples=400)
def test_any_bytes_give_lines_or_a_settlement_error(data: bytes) -> None:
    try:
        lines = decode(data)
    except SettlementError as e:
        assert str(e)
    else:
        assert lines


@given(st.text(max_size=600))
@settings(max_examples=400)
def test_any_text_after_the_header_gives_lines_or_a_settlement_error(text: str) -> None:
    try:
        decode(f"{HEADER}\n{text}".encode("utf-8", "surrogatepass"))
    except SettlementError as e:
        assert str(e)


@given(settlement_files(), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_a_well_formed_file_reads_back_exactly(lines: list[SettlementLine], eol: str,
                                               bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + csv_of(lines, eol=eol)
    assert decode(data) == lines


BAD_CELLS = [("date", "20/11/2026"), ("date", "2026-02-30"),
             ("terminal_reference", "ABC"), ("terminal_reference", "3f2a9c01d4zz"),
             ("amount", "\"12,50\""), ("amount", "12.5"), ("amount", "€12.50"), ("amount", "0"),
             ("amount", "-3.00"), ("currency", "eur"), ("currency", "EURO"),
             ("auth_code", ""), ("auth_code", "A1 B2")]


@given(settlement_files(), st.data())
def test_one_bad_cell_is_named_by_line_and_column(lines: list[SettlementLine],
                                                   data: st.DataObject) -> None:
    column, bad = data.draw(st.sampled_from(BAD_CELLS))
    victim = data.draw(st.integers(0, len(lines) - 1))
    rows = csv_of(lines).decode().split("\r\n")
    cells = rows[victim + 1].split(",")
    cells[COLUMNS.index(column)] = bad
    rows[victim + 1] = ",".join(cells)
    with pytest.raises(SettlementError) as raised:
        decode("\r\n".join(rows).encode())
    assert (raised.value.line, raised.value.column) == (victim + 2, column)
    assert str(raised.value).startswith(f"line {victim + 2}, column {column}: ")


def test_file_level_problems_are_plain_sentences() -> None:
    one = f"2026-11-20,{uuid.uuid4()},12.50,EUR,A1B2C3"
    cases = {
        b"": "the file is empty",
        HEADER.encode() + b"\n": "the file has a header but no payment line",
        b"date;reference;amount\n": "line 1: the first line must be the header",
        f"{HEADER}\n{one},extra\n".encode(): "line 2: expected 5 columns, found 6",
        f"{HEADER}\n{one}\n{one}\n".encode(): "line 3, column terminal_reference: reference",
        f"{HEADER}\n\xe9t\xe9\n".encode("latin-1"): "line 2: not UTF-8 text",
        b"x" * (MAX_BYTES + 1): "the file is larger than 2 MiB",
    }
    for data, start in cases.items():
        with pytest.raises(SettlementError) as raised:
            decode(data)
        assert str(raised.value).startswith(start), (data[:80], str(raised.value))


def test_a_reference_is_kept_in_lower_case_and_blank_lines_are_skipped() -> None:
    ref = uuid.uuid4()
    lines = decode(f"{HEADER}\n\n2026-11-20,{str(ref).upper()}, 7.00 ,EUR,Z9\n\n".encode())
    assert lines == [SettlementLine(3, dt.date(2026, 11, 20), str(ref), 700, "EUR", "Z9")]
