"""The client's parsers of the bridge's answer lines (docs/internal-apis.md §3): every answer
becomes a typed value, a refusal (:class:`BridgeError`) or a :class:`BridgeProtocolError`,
never anything else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.payment.client import (
    FINAL_STATUSES,
    RESULT_STATUSES,
    BridgeError,
    BridgeFull,
    BridgeOutcome,
    BridgeProtocolError,
    BridgeStatus,
    parse_answer,
    parse_outcome,
    parse_status,
)


def status_of(line: bytes) -> BridgeStatus:
    return parse_status(parse_answer(line))


def test_bridge_status_line_is_checked() -> None:
    good = status_of(b'{"ok": true, "connected": true, "busy": false, "protocol": '
                     b'"concert-v2", "device": "/dev/payment-terminal", '
                     b'"last_answer_at": null, "last_error": null}')
    assert good == BridgeStatus(True, False, "concert-v2", "/dev/payment-terminal", None, None)
    for bad, words in [(b"not json", "not JSON"), (b"[1]", "not a JSON object"),
                       (b'{"ok": true}', "'connected'"),
                       (b'{"connected": true}', "not a bridge status answer"),
                       (b'{"ok": true, "connected": true, "device": 5}', "'device'"),
                       (b'{"ok": true, "connected": true, "busy": "no"}', "'busy'")]:
        with pytest.raises(BridgeProtocolError, match=words):
            status_of(bad)
    with pytest.raises(BridgeError, match="busy now") as refused:
        status_of(b'{"ok": false, "error": {"code": "busy", "message": "busy now"}}')
    assert refused.value.code == "busy" and refused.value.message == "busy now"
    with pytest.raises(BridgeFull):
        status_of(b'{"ok": false, "error": {"code": "too_many_clients", "message": "full"}}')


def test_outcome_line_is_checked() -> None:
    line = {"event": "outcome", "reference": "r-1", "status": "approved", "amount_cents": 500,
            "currency": "EUR", "auth_code": "A1", "card_suffix": "4242", "reason": None}
    assert parse_outcome(line) == BridgeOutcome("approved", "r-1", 500, "EUR", "A1", "4242")
    assert parse_outcome(line).final
    assert not parse_outcome({**line, "status": "in_progress"}).final
    for bad, words in [({**line, "event": "progress"}, "not a bridge outcome"),
                       ({**line, "status": "paid"}, "not a bridge outcome"),
                       ({**line, "status": ["approved"]}, "not a bridge outcome"),
                       ({**line, "amount_cents": True}, "amount_cents"),
                       ({**line, "amount_cents": -1}, "amount_cents"),
                       ({**line, "amount_cents": 5.0}, "amount_cents"),
                       ({**line, "card_suffix": 4242}, "'card_suffix'")]:
        with pytest.raises(BridgeProtocolError, match=words):
            parse_outcome(bad)
    # A pay answers only a final status.
    with pytest.raises(BridgeProtocolError, match="not a bridge outcome"):
        parse_outcome({**line, "status": "not_found"}, FINAL_STATUSES)


KEYS = ["ok", "event", "status", "connected", "busy", "protocol", "device", "last_error",
        "last_answer_at", "error", "reference", "amount_cents", "currency", "auth_code",
        "card_suffix", "reason"]
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.sampled_from(sorted(RESULT_STATUSES) + ["outcome", "EUR", "busy"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=6)
answers = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), values, max_size=10)
# The documented shapes, so that the parsers' accepting paths are reached as often as not.
well_formed = st.one_of(
    st.fixed_dictionaries({"ok": st.just(True), "connected": st.booleans()},
                          optional={k: values for k in ("busy", "protocol", "device",
                                                        "last_error", "last_answer_at")}),
    st.fixed_dictionaries({"event": st.just("outcome"),
                           "status": st.sampled_from(sorted(RESULT_STATUSES))},
                          optional={"amount_cents": st.none() | st.integers(),
                                    **{k: st.none() | st.text(max_size=8) | values
                                       for k in ("reference", "currency", "auth_code",
                                                 "card_suffix", "reason")}}))


def check_typed(doc: dict[str, Any]) -> None:
    try:
        status = parse_status(doc)
    except BridgeProtocolError as e:
        assert str(e)
    else:
        assert doc["ok"] is True and type(status.connected) is bool
        assert type(status.busy) is bool
        assert all(v is None or type(v) is str for v in (status.protocol, status.device,
                                                         status.last_answer_at,
                                                         status.last_error))
    for statuses in (RESULT_STATUSES, FINAL_STATUSES):
        try:
            outcome = parse_outcome(doc, statuses)
        except BridgeProtocolError as e:
            assert str(e)
        else:
            assert doc["event"] == "outcome" and outcome.status in statuses
            assert outcome.amount_cents is None or (type(outcome.amount_cents) is int
                                                    and outcome.amount_cents >= 0)
            assert all(v is None or type(v) is str for v in (
                outcome.reference, outcome.currency, outcome.auth_code, outcome.card_suffix,
                outcome.reason))


@settings(max_examples=500, deadline=None)
@given(answers | well_formed)
def test_any_answer_object_is_typed_or_a_protocol_error(doc: dict[str, Any]) -> None:
    check_typed(doc)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda d: json.dumps(d).encode(),
                                           answers | well_formed | values))
def test_any_answer_line_is_typed_a_refusal_or_a_protocol_error(line: bytes) -> None:
    try:
        doc = parse_answer(line)
    except BridgeProtocolError as e:
        assert str(e)
        return
    except BridgeError as e:
        # A refusal is the protocol too, and only ever from an "ok": false object.
        assert json.loads(line)["ok"] is False and e.code
        return
    except BridgeFull:
        assert json.loads(line)["error"]["code"] == "too_many_clients"
        return
    assert isinstance(doc, dict) and doc.get("ok") is not False
    check_typed(doc)
