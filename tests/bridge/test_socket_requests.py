"""The bridge's request decoder: any line is a valid request or a BadRequest naming the fault."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from firmware_bridge import socket_requests
from firmware_bridge.protocol import CURRENCY_CODES

MAX = 15000

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)
# Documents shaped like requests, with every field possibly of the wrong type.
request_docs = st.fixed_dictionaries({}, optional={
    "op": st.sampled_from(socket_requests.OPS) | json_values,
    "reference": st.from_regex(socket_requests.REFERENCE, fullmatch=True) | json_values,
    "amount_cents": st.integers(-5, MAX + 5) | json_values,
    "currency": st.sampled_from(sorted(CURRENCY_CODES)) | json_values,
})


def decode(line: bytes) -> socket_requests.Request | socket_requests.BadRequest:
    try:
        return socket_requests.parse(line, max_amount_cents=MAX)
    except socket_requests.BadRequest as e:
        assert str(e)  # names what was wrong
        return e


def check_valid(req: socket_requests.Request) -> None:
    assert req.op in socket_requests.OPS
    if req.op != "status":
        assert isinstance(req.reference, str) and socket_requests.REFERENCE.fullmatch(req.reference)
    if req.op == "pay":
        assert type(req.amount_cents) is int and 0 < req.amount_cents <= MAX
        assert isinstance(req.currency, str) and req.currency in CURRENCY_CODES


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_bytes_decode_to_a_request_or_a_bad_request(line):
    result = decode(line)
    if isinstance(result, socket_requests.Request):
        check_valid(result)


@given(request_docs | json_values)
@example({"op": "pay", "reference": "a", "amount_cents": 5, "currency": ["EUR"]})  # unhashable
@settings(max_examples=400, deadline=None)
def test_any_json_document_decodes_to_a_request_or_a_bad_request(doc):
    result = decode(json.dumps(doc).encode())
    if isinstance(result, socket_requests.Request):
        check_valid(result)


@given(st.integers(5000, 60000), st.sampled_from(["[", '{"a":']))
@settings(max_examples=10, deadline=None)
def test_deeply_nested_json_is_a_bad_request(depth, opener):
    line = (opener * depth)[:socket_requests.MAX_LINE].encode()  # within the line limit
    result = decode(line)
    assert isinstance(result, socket_requests.BadRequest)
    assert str(result) == "not valid JSON: nested too deeply"
