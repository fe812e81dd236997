"""Property tests for every decoder of outside input on both sides of the API: whatever bytes
arrive, a decoder either returns a checked value or raises its one documented error."""

from __future__ import annotations

import email.utils
import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from central.catalog.validation import featured_body
from central.common.decode import Invalid
from central.donations import validation
from central.receipts import signing
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
        validation.donation_item(item)
    except Invalid as e:
        assert str(e)


@given(st.sampled_from(sorted(good_item())), json_values)
def test_server_item_validation_with_one_field_changed(key: str, value: Any) -> None:
    item = good_item()
    item[key] = value
    try:
        clean = validation.donation_item(item)
    except Invalid as e:
        assert str(e).split(":")[0].split(".")[0] in (key, "terminal", "id")
        return
    assert set(clean) == set(good_item())
    assert json.loads(json.dumps(clean)) == clean


def _uuid_round_trips(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


@given(st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()),
                 st.uuids().map(lambda u: u.hex), st.uuids().map(lambda u: f"{{{u}}}"),
                 st.uuids().map(lambda u: f"urn:uuid:{u}"),
                 st.uuids().map(lambda u: f"{u}\n"), st.text(max_size=40)))
def test_server_item_id_is_exactly_the_canonical_uuid_text(raw_id: str) -> None:
    """The id check (a pattern) accepts exactly the texts uuid.UUID gives back unchanged."""
    item = {**good_item(), "id": raw_id}
    try:
        accepted = validation.donation_item(item)["id"] == raw_id
    except Invalid as e:
        assert str(e).startswith("id:")
        accepted = False
    assert accepted == _uuid_round_trips(raw_id)


def test_server_item_validation_keeps_a_good_item() -> None:
    item = good_item()
    assert validation.donation_item(item) == item


def _django() -> None:
    """The enroll and heartbeat decoders and the fault model sit beside Django models: the
    apps must be loaded to import them (no database is opened). Settings are configured in
    this process only, never through the environment the tests' child processes inherit."""
    import django
    from django.conf import settings as django_settings

    from central.settings.base import INSTALLED_APPS

    if not django_settings.configured:
        django_settings.configure(INSTALLED_APPS=[*INSTALLED_APPS, "central.testing"],
                                  USE_TZ=True)
        django.setup()


@given(json_values)
def test_server_body_decoders_never_crash(body: Any) -> None:
    _django()
    from central.devices.validation import enroll_body, heartbeat_body

    for decoder in (validation.batch_body, enroll_body, featured_body, heartbeat_body):
        try:
            decoder(body)
        except Invalid as e:
            assert str(e)


@given(json_values)
def test_fault_descriptions_never_crash(doc: Any) -> None:
    _django()
    from central.testing.faults import parse_fault

    try:
        parse_fault(doc)
    except ValueError as e:
        assert str(e)


@given(st.data())
def test_fault_descriptions_keep_what_they_say(data: st.DataObject) -> None:
    _django()
    from central.testing.faults import KINDS, ROUTES, parse_fault

    doc = {"kind": data.draw(st.sampled_from(KINDS)), "route": data.draw(st.sampled_from(ROUTES)),
           "times": data.draw(st.none() | st.integers(1, 50)),
           "code": data.draw(st.integers(100, 599))}
    fault = parse_fault(doc)
    assert (fault.kind, fault.route, fault.times, fault.params) == (
        doc["kind"], doc["route"], doc["times"], {"code": doc["code"]})
    with pytest.raises(ValueError, match="times"):
        parse_fault({**doc, "times": data.draw(st.integers(max_value=0) | st.booleans())})


KEY, OLD_KEY = "ab" * 32, "cd" * 32
receipt_fields = st.fixed_dictionaries({
    "device_id": st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
    "donation_id": ids,
    "amount_cents": st.integers(1, 10**12 - 1),
    "currency": st.from_regex(r"[A-Z]{3}", fullmatch=True),
    "project_id": st.text(min_size=1, max_size=20),
})


@given(st.text(max_size=12), st.text(max_size=6), st.text(max_size=8), st.text(max_size=70),
       st.text(max_size=3))
def test_receipt_verification_never_crashes(amount: str, currency: str, project: str,
                                            sig: str, version: str) -> None:
    found = signing.verify([KEY], "dev-1", "d-1", amount, currency, project, sig, version)
    # A signature of 64 arbitrary characters is as good as a guess of a 256-bit HMAC: never.
    assert found is None or sig.lower() == signing.signature(
        KEY, "dev-1", "d-1", int(amount), currency, project, int(version))


@given(receipt_fields, st.sampled_from(signing.VERSIONS))
def test_a_receipt_the_device_signed_verifies_with_its_fields(
        fields: dict[str, Any], version: int) -> None:
    sig = signing.signature(KEY, **fields, version=version)
    args = (fields["device_id"], fields["donation_id"], str(fields["amount_cents"]),
            fields["currency"], fields["project_id"])
    assert signing.verify([KEY], *args, sig, str(version)) == signing.SignedReceipt(
        **fields, version=version)
    # Signed before the device was enrolled again: its old key is still among its keys.
    assert signing.verify([KEY, OLD_KEY], *args, sig, str(version)) is not None
    assert signing.verify([OLD_KEY, KEY], *args, sig.upper(), str(version)) is not None
    assert signing.verify([OLD_KEY], *args, sig, str(version)) is None
    assert signing.verify([], *args, sig, str(version)) is None


@given(receipt_fields, st.sampled_from(signing.VERSIONS), st.data())
def test_any_change_to_a_signed_receipt_is_refused(fields: dict[str, Any], version: int,
                                                   data: st.DataObject) -> None:
    sig = signing.signature(KEY, **fields, version=version)
    query = {"device_id": fields["device_id"], "donation_id": fields["donation_id"],
             "amount": str(fields["amount_cents"]), "currency": fields["currency"],
             "project_id": fields["project_id"], "sig": sig, "version": str(version)}
    name = data.draw(st.sampled_from(sorted(query)))
    changed = data.draw(st.text(max_size=70).filter(lambda v: v != query[name]))
    if name == "sig":
        # Another hex digit anywhere; case is not a change (the signature is compared lower).
        at = data.draw(st.integers(0, len(sig) - 1))
        changed = sig[:at] + data.draw(st.sampled_from(
            [c for c in "0123456789abcdef" if c != sig[at]])) + sig[at + 1:]
    elif name == "amount" and changed.isascii() and changed.isdigit() \
            and int(changed) == fields["amount_cents"]:
        changed += "1"  # "0500" is not a change of the amount: make it one
    elif name == "version" and changed in ("1", "2"):
        # The other version's signature of the same fields differs (other message bytes).
        assert signing.signature(KEY, **fields, version=int(changed)) != sig
    mutated = {**query, name: changed}
    assert signing.verify([KEY], mutated["device_id"], mutated["donation_id"], mutated["amount"],
                          mutated["currency"], mutated["project_id"], mutated["sig"],
                          mutated["version"]) is None
