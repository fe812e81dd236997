"""Exact bytes of Concert V2 and V3 messages, and property tests of every decoder."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge import concert_v2 as v2
from firmware_bridge import concert_v3 as v3
from firmware_bridge import socket_requests as bridge_requests
from firmware_bridge.protocol import ENQ, EOT, ProtocolError, frame, lrc, unframe
from firmware_bridge.script import ScriptError, format_step, parse_step

# -- exact bytes ---------------------------------------------------------------------------


def test_v2_request_for_12_50_eur_full_answer_blank_private_data():
    body = v2.encode_request(v2.Request(1250, "978", "", full_answer=True))
    assert body == b"0100001250110978          A010B010"
    assert frame(body) == b"\x02" + body + b"\x03\x01"


def test_v2_request_whose_lrc_equals_enq():
    body = v2.encode_request(v2.Request(500, "978", "0000000042", full_answer=False))
    assert body == b"01000005000109780000000042A010B010"
    assert frame(body)[-1] == ENQ
    assert unframe(frame(body)) == body


def test_v2_request_whose_lrc_equals_eot():
    body = v2.encode_request(v2.Request(4, "978", "0000000042", full_answer=False))
    assert frame(body) == b"\x0201000000040109780000000042A010B010\x03\x04"
    assert frame(body)[-1] == EOT


def test_v2_short_answer_accepted_5_eur():
    data = b"\x020100000050019780000000042\x03\x36"
    answer = v2.decode_answer(unframe(data))
    assert answer == v2.Answer(pos="01", status="0", amount_cents=500, mode="1",
                               currency_code="978", private="0000000042")
    assert len(data) == 28
    assert frame(v2.encode_answer(answer)) == data


def test_v2_full_answer_is_83_bytes_framed_and_carries_the_card():
    answer = v2.Answer("01", "0", 1250, "1", "978", "abcdef0123", repeat="497010XXXXXX4242")
    data = frame(v2.encode_answer(answer))
    assert len(data) == 83
    decoded = v2.decode_answer(unframe(data))
    assert decoded.card == "497010XXXXXX4242" and decoded.private == "abcdef0123"


def test_v2_short_reference_is_the_uuid_prefix():
    assert v2.short_reference("0b6820d2-5577-4f15-b45a-768261f133d4") == "0b6820d255"
    assert len(v2.short_reference("not-a-uuid")) == 10
    assert v2.short_reference("not-a-uuid") == v2.short_reference("not-a-uuid")


def test_v3_request_exact_bytes():
    body = v3.encode_request(v3.Request(1250, "978", "0b6820d2-5577-4f15-b45a-768261f133d4"))
    assert body == (b"CZ0040300CJ012000000000001CA00201CB0041250CD0010CE003978BA0010"
                    b"CF0360b6820d2-5577-4f15-b45a-768261f133d4")


def test_v3_answer_decodes_its_fields():
    body = (b"CZ0040300CA00201CB0041250CD0010CE003978AE00210AC006A12345"
            b"AA016497010XXXXXX4242CI0012")
    a = v3.decode_answer(body)
    assert a.performed and a.amount_cents == 1250 and a.auth_code == "A12345"
    assert a.card == "497010XXXXXX4242" and a.read_mode == "2" and a.reason is None
    refused = v3.decode_answer(b"CZ0040300CA00201CB0041250CD0010CE003978AE00201AF00204")
    assert not refused.performed and refused.reason == "refused"
    assert v3.decode_answer(b"CZ0040300CA00201CB0011CD0010CE003978AE00201AF0041301"
                            ).reason == "currency not supported"


def test_v3_framed_answer_whose_lrc_is_a_control_byte_round_trips():
    # Vary the amount and the authorisation code's last letter until the LRC equals ENQ, then
    # EOT: the frame is still read by position.
    def answer(amount: int, letter: str) -> bytes:
        return v3.encode_answer(v3.Answer(True, "01", amount, "0", "978",
                                          auth_code="A1234" + letter))

    for target in (ENQ, EOT):
        amount, letter = next((n, c) for n in range(1, 300) for c in string.ascii_uppercase
                              if lrc(answer(n, c) + b"\x03") == target)
        assert frame(answer(amount, letter))[-1] == target
        decoded = v3.decode_answer(unframe(frame(answer(amount, letter))))
        assert (decoded.amount_cents, decoded.auth_code) == (amount, "A1234" + letter)


@pytest.mark.parametrize("body, why", [
    (b"CZ0040300CA002", "cut short"), (b"CZ0040301", "CZ 0300"), (b"CA00201CZ0040300", "CZ"),
    (b"CZ0040300cb0041250", "header"), (b"CZ0040300CB00x", "header"),
])
def test_v3_bad_tlv_names_the_problem(body, why):
    with pytest.raises(ProtocolError, match=why):
        v3.decode_tlv(body)


def test_unframe_rejects_a_bad_lrc():
    data = frame(b"0100000050019780000000042")
    with pytest.raises(ProtocolError, match="bad LRC"):
        unframe(data[:-1] + b"\x00")


# -- properties ----------------------------------------------------------------------------

printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E))
digits = st.text("0123456789", min_size=1)


def only_protocol_errors(decode, data):
    try:
        decode(data)
    except ProtocolError:
        pass


@given(st.binary(max_size=200))
def test_decoders_raise_only_protocol_errors_on_any_bytes(data):
    for decode in (v2.decode_request, v2.decode_answer, v3.decode_tlv, v3.decode_request,
                   v3.decode_answer, unframe):
        only_protocol_errors(decode, data)


@given(st.lists(st.tuples(st.sampled_from(["CZ", "CA", "CB", "CD", "CE", "AE", "AF", "CF"]),
                          st.one_of(digits, printable)), max_size=8))
def test_v3_decoders_on_near_valid_tlv(fields):
    body = v3.encode_tlv([("CZ", "0300"), *fields])
    assert v3.decode_tlv(body)[1:] == fields
    only_protocol_errors(v3.decode_answer, body)
    only_protocol_errors(v3.decode_request, body)


@given(st.binary(max_size=80), st.integers(0, 79))
def test_v2_decoders_on_near_valid_frames(noise, cut):
    good = v2.encode_answer(v2.Answer("01", "0", 500, "1", "978", "abc", "4970"))
    only_protocol_errors(v2.decode_answer, good[:cut] + noise)
    only_protocol_errors(v2.decode_request, good[:cut] + noise)


v2_requests = st.builds(
    v2.Request, amount_cents=st.integers(1, v2.MAX_AMOUNT_CENTS),
    currency_code=st.sampled_from(["978", "756", "826", "840"]),
    private=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=10),
    pos=st.from_regex(r"\A[0-9]{2}\Z"), full_answer=st.booleans())


@given(v2_requests)
def test_v2_request_round_trip(request):
    body = v2.encode_request(request)
    assert len(body) == v2.REQUEST_LENGTH
    assert v2.decode_request(unframe(frame(body))) == request


@given(st.builds(v2.Answer, pos=st.from_regex(r"\A[0-9]{2}\Z"), status=st.sampled_from("079"),
                 amount_cents=st.integers(0, v2.MAX_AMOUNT_CENTS), mode=st.sampled_from("12"),
                 currency_code=st.sampled_from(["978", "756"]),
                 private=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E),
                                 max_size=10),
                 repeat=st.one_of(st.none(), st.text(
                     st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=55))))
def test_v2_answer_round_trip(answer):
    decoded = v2.decode_answer(unframe(frame(v2.encode_answer(answer))))
    assert decoded.repeat == (None if answer.repeat is None else f"{answer.repeat:<55}")
    assert decoded == v2.Answer(**{**answer.__dict__, "repeat": decoded.repeat})


reference = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")


@given(st.builds(v3.Request, amount_cents=st.integers(1, v3.MAX_AMOUNT_CENTS),
                 currency_code=st.sampled_from(["978", "826"]), reference=reference,
                 pos=st.from_regex(r"\A[0-9]{2}\Z"), register_id=st.from_regex(r"\A[0-9]{12}\Z")))
def test_v3_request_round_trip(request):
    assert v3.decode_request(unframe(frame(v3.encode_request(request)))) == request


@given(st.builds(v3.Answer, performed=st.booleans(), pos=st.from_regex(r"\A[0-9]{2}\Z"),
                 amount_cents=st.integers(0, v3.MAX_AMOUNT_CENTS), action=st.just("0"),
                 currency_code=st.just("978"),
                 reason_code=st.one_of(st.none(), st.sampled_from(["04", "0601", "13"])),
                 auth_code=st.one_of(st.none(), printable.filter(lambda s: len(s) < 20)),
                 card=st.one_of(st.none(), st.from_regex(r"\A[0-9X]{12,19}\Z")),
                 read_mode=st.one_of(st.none(), st.sampled_from("12")),
                 reference=st.one_of(st.none(), reference)))
def test_v3_answer_round_trip(answer):
    assert v3.decode_answer(v3.encode_answer(answer)) == answer


@given(st.binary(max_size=300))
@settings(max_examples=200)
def test_socket_request_parser_raises_only_bad_request(line):
    try:
        bridge_requests.parse(line, max_amount_cents=15000)
    except bridge_requests.BadRequest:
        pass


@given(st.dictionaries(st.sampled_from(["op", "reference", "amount_cents", "currency"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                                 st.text(max_size=70), st.sampled_from(["pay", "EUR"]))))
def test_socket_request_parser_on_json_objects(doc):
    try:
        req = bridge_requests.parse(json.dumps(doc).encode(), max_amount_cents=15000)
    except bridge_requests.BadRequest:
        return
    if req.op == "pay":
        assert type(req.amount_cents) is int and 0 < req.amount_cents <= 15000
        assert req.currency == "EUR"


@given(st.text(max_size=60))
def test_script_parser_raises_only_script_errors(text):
    try:
        step = parse_step(text)
    except ScriptError:
        return
    assert parse_step(format_step(step)) == step
