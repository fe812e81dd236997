"""Property tests for every decoder of outside input on both sides of the API: whatever bytes
arrive, a decoder either returns a checked value or raises its one documented error."""

from __future__ import annotations

import email.utils
import json
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from central_api import validate
from central_api.faults import Fault
from kiosk.sync.backoff import MAX_RETRY_AFTER_S, Backoff, parse_retry_after
from kiosk.sync.catalog_parse import CatalogRefused, parse_catalog
from kiosk.sync.client import Answer, Transient
from kiosk.sync.enroll import EnrollFailed, parse_enrollment
from kiosk.sync.outbox import parse_results

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=20)

ids = st.uuids(version=4).map(str)


@given(json_values, st.lists(ids, max_size=5))
def test_parse_results_never_crashes(doc: Any, sent: list[str]) -> None:
    try:
        results = parse_results(doc, sent)
    except Transient:
        return
    assert set(results) == set(sent)


result_entries = st.fixed_dictionaries({
    "status": st.sampled_from(["created", "duplicate", "conflict", "rejected", "weird"]),
    "error": st.none() | st.fixed_dictionaries({"code": st.text(max_size=5),
                                                "retryable": st.booleans() | st.none()}),
})


@given(st.lists(ids, min_size=1, max_size=8, unique=True), st.data())
def test_parse_results_accepts_exactly_one_well_formed_result_per_id(
        sent: list[str], data: st.DataObject) -> None:
    entries = [{"id": i, **data.draw(result_entries)} for i in sent]
    drop = data.draw(st.booleans())
    if drop:
        entries = entries[1:]
    try:
        results = parse_results({"results": entries, "server_time": "x"}, sent)
    except Transient:
        bad = drop or any(e["status"] == "weird" or (e["status"] == "rejected" and (
            not e["error"] or not isinstance(e["error"]["retryable"], bool))) for e in entries)
        assert bad
        return
    assert not drop
    for e in entries:
        r = results[e["id"]]
        assert r.status == e["status"]
        assert r.retryable == (e["status"] == "rejected" and e["error"]["retryable"])


@given(json_values)
def test_parse_catalog_never_crashes(doc: Any) -> None:
    try:
        parse_catalog(doc, 1 << 20)
    except CatalogRefused:
        pass


project_values = st.fixed_dictionaries({
    "id": st.text(max_size=4), "association": st.text(max_size=4), "title": st.text(max_size=4),
    "summary": st.text(max_size=4),
    "image": st.none() | st.fixed_dictionaries({
        "url": st.text(max_size=4), "sha256": st.sampled_from(["a" * 64, "A" * 64, "a"]),
        "bytes": st.integers(-2, 3 << 20)}),
    "goal_cents": st.integers(-5, 5) | st.floats(), "raised_cents": st.integers(-5, 5),
    "currency": st.sampled_from(["EUR", "eur", "EURO"]), "url": st.none() | st.text(max_size=3),
    "starts_on": st.none() | st.sampled_from(["2026-01-01", "2026-13-01", "tomorrow"]),
    "ends_on": st.none(), "active": st.booleans() | st.integers(0, 1),
})


@given(st.lists(project_values, max_size=4), st.text(max_size=5) | st.integers())
def test_parse_catalog_near_valid_shapes(projects: list[Any], version: Any) -> None:
    try:
        doc = parse_catalog({"version": version, "projects": projects}, 1 << 20)
    except CatalogRefused as e:
        assert str(e)  # names what was wrong
        return
    for p in doc.projects:
        assert p.id.strip() and p.goal_cents >= 0 and p.currency.isupper()
        assert p.image is None or (len(p.image.sha256) == 64 and 0 < p.image.bytes <= 1 << 20)


@given(st.text(max_size=40) | st.none(), st.text(max_size=40) | st.none())
def test_parse_retry_after_never_crashes(value: str | None, date: str | None) -> None:
    wait = parse_retry_after(value, date)
    assert wait is None or 0 <= wait <= MAX_RETRY_AFTER_S


@given(st.integers(0, 10**9))
def test_retry_after_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == min(seconds, MAX_RETRY_AFTER_S)


@given(st.integers(0, 7200), st.integers(0, 10**9))
def test_retry_after_date_is_measured_on_the_servers_clock(wait: int, epoch: int) -> None:
    """Whatever the device clock says, an HTTP-date is compared with the answer's Date."""
    date = email.utils.formatdate(epoch, usegmt=True)
    then = email.utils.formatdate(epoch + wait, usegmt=True)
    assert parse_retry_after(then, date) == wait
    assert parse_retry_after(then, None) is None


@given(st.floats(0.001, 10), st.floats(0.01, 1000), st.lists(st.none() | st.floats(0, 100),
                                                            max_size=40))
def test_backoff_full_jitter_stays_capped(base: float, cap: float,
                                          retry_afters: list[float | None]) -> None:
    backoff = Backoff(base, cap)
    for n, retry_after in enumerate(retry_afters):
        delay = backoff.next_delay(retry_after)
        ceiling = min(cap, base * 2 ** n)
        if retry_after is None:
            assert 0 <= delay <= ceiling
        else:
            assert retry_after <= delay <= max(ceiling, retry_after)
    backoff.reset()
    assert backoff.next_delay() <= min(cap, base)


def test_backoff_grows_then_caps() -> None:
    import random

    backoff = Backoff(1, 60, random.Random(4))
    delays = [backoff.next_delay() for _ in range(200)]
    assert max(delays[:3]) <= 4 and max(delays) <= 60 and max(delays[10:]) > 30


@given(st.binary(max_size=200), st.sampled_from(["application/json", "text/html", ""]))
def test_answer_json_never_crashes(body: bytes, ctype: str) -> None:
    try:
        Answer(200, {"content-type": ctype}, body).json()
    except Transient:
        pass


@given(json_values)
def test_parse_enrollment_never_crashes(doc: Any) -> None:
    try:
        parse_enrollment(doc, "dev-1")
    except EnrollFailed:
        pass


def test_parse_enrollment_accepts_a_good_answer() -> None:
    e = parse_enrollment({"device_id": "dev-1", "token": "t" * 43, "receipt_key": "ab" * 32},
                         "dev-1")
    assert e.token == "t" * 43


# -- the server's decoders ---------------------------------------------------------------------

def good_item() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "seq": 1, "boot_id": "b", "project_id": "p",
            "amount_cents": 500, "currency": "EUR", "state": "approved",
            "created_at": "2026-11-20T10:00:00.000Z", "finished_at": "2026-11-20T10:00:09Z",
            "terminal": {"auth_code": "A1", "card_suffix": "4242", "reason": None}}


@given(json_values)
@settings(max_examples=300)
def test_server_item_validation_never_crashes(item: Any) -> None:
    try:
        validate.donation_item(item)
    except validate.Invalid as e:
        assert str(e)


@given(st.sampled_from(sorted(good_item())), json_values)
def test_server_item_validation_with_one_field_changed(key: str, value: Any) -> None:
    item = good_item()
    item[key] = value
    try:
        clean = validate.donation_item(item)
    except validate.Invalid as e:
        assert str(e).split(":")[0].split(".")[0] in (key, "terminal", "id")
        return
    assert set(clean) == set(good_item())
    assert json.loads(json.dumps(clean)) == clean


@given(json_values)
def test_server_body_decoders_never_crash(body: Any) -> None:
    for decoder in (validate.batch_body, validate.enroll_body, validate.featured_body,
                    validate.heartbeat_body):
        try:
            decoder(body)
        except validate.Invalid:
            pass


@given(json_values)
def test_fault_descriptions_never_crash(doc: Any) -> None:
    try:
        Fault.from_json(doc)
    except ValueError:
        pass


@given(st.text(max_size=12), st.text(max_size=6), st.text(max_size=8), st.text(max_size=70))
def test_receipt_verification_never_crashes(amount: str, currency: str, project: str,
                                            sig: str) -> None:
    from central_api.receipt import sign, verify

    key = "ab" * 32
    assert verify(key, "dev-1", "d-1", amount, currency, project, sig) in (True, False)
    if amount.isascii() and amount.isdigit() and len(amount) <= 12:
        good = sign(key, "dev-1", "d-1", int(amount), currency, project)
        assert verify(key, "dev-1", "d-1", amount, currency, project, good)
