"""A receipt is valid only with the exact signature of the exact fields it was signed with.

Each signed field and the signature itself is tampered with in turn, on both sides that check
a receipt: the central service (``central.receipts.signing.verify`` and the HTTP receipt page)
and the screen's own ``kiosk.core.receipt.verify``. A check that accepted a prefix, an empty or an
extended signature, or ignored a field, must fail here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from central.receipts import signing as server_receipt
from central.testing.process import Running, start
from kiosk.core import receipt

KEY = "00112233445566778899aabbccddeeff"
FIELDS = {"device_id": "cafe-01", "donation_id": "3f2b8c1e-5d4a-4c3b-9a8f-0e1d2c3b4a59",
          "amount": "500", "currency": "EUR", "project_id": "jardin-capucins"}
# One changed value per signed field (same length where it can be: a length check alone
# must not be what refuses it).
CHANGED = {"device_id": "cafe-02", "donation_id": "3f2b8c1e-5d4a-4c3b-9a8f-0e1d2c3b4a5a",
           "amount": "501", "currency": "CHF", "project_id": "jardin-capucinz"}


def good_sig(fields: dict[str, str] = FIELDS, key: str = KEY) -> str:
    return receipt.signature(key, fields["device_id"], fields["donation_id"],
                             int(fields["amount"]), fields["currency"], fields["project_id"])


def server_verify(fields: dict[str, str], sig: str, key: str | None = KEY,
                  version: int = receipt.VERSION) -> bool:
    found = server_receipt.verify([key] if key is not None else [], fields["device_id"],
                                  fields["donation_id"], fields["amount"], fields["currency"],
                                  fields["project_id"], sig, str(version))
    return found is not None


def one_char_changed(sig: str, at: int) -> str:
    return sig[:at] + ("0" if sig[at] != "0" else "1") + sig[at + 1:]


SIG = good_sig()
BAD_SIGS = {
    "empty": "",
    "first char only": SIG[:1],
    "half": SIG[:32],
    "one char short": SIG[:-1],
    "extended by one char": SIG + "0",
    "doubled": SIG + SIG,
    "first char changed": one_char_changed(SIG, 0),
    "last char changed": one_char_changed(SIG, 63),
    "middle char changed": one_char_changed(SIG, 31),
    "another key's": good_sig(key="ff" * 16),
    "whitespace around": f" {SIG} ",
    "non-ascii": SIG[:-1] + "é",
}


def test_the_untampered_receipt_verifies_on_both_sides() -> None:
    assert server_verify(FIELDS, SIG) is True
    # Version 1, as kiosks in the field still sign it, verifies as version 1 only.
    v1 = receipt.signature(KEY, FIELDS["device_id"], FIELDS["donation_id"], 500, "EUR",
                           FIELDS["project_id"], version=1)
    assert server_verify(FIELDS, v1, version=1) is True
    assert server_verify(FIELDS, v1, version=2) is False
    assert server_verify(FIELDS, SIG, version=1) is False
    url = receipt.receipt_url("https://a.example", KEY, FIELDS["device_id"],
                              FIELDS["donation_id"], 500, "EUR", FIELDS["project_id"])
    assert receipt.verify(url, KEY).sig == SIG


@pytest.mark.parametrize("name", BAD_SIGS)
def test_server_refuses_a_tampered_signature(name: str) -> None:
    assert server_verify(FIELDS, BAD_SIGS[name]) is False


@pytest.mark.parametrize("field", CHANGED)
def test_server_refuses_each_changed_field(field: str) -> None:
    assert server_verify({**FIELDS, field: CHANGED[field]}, SIG) is False


def test_server_refuses_without_a_key_or_with_a_bad_amount() -> None:
    assert server_verify(FIELDS, SIG, key=None) is False
    assert server_verify(FIELDS, SIG, key="") is False
    for amount in ("+500", "500.0", "5e2", "", " 500", "-500"):
        assert server_verify({**FIELDS, "amount": amount}, SIG) is False, amount


def _url(fields: dict[str, str], sig: str) -> str:
    good = receipt.receipt_url("https://a.example", KEY, fields["device_id"],
                               fields["donation_id"], int(fields["amount"]),
                               fields["currency"], fields["project_id"])
    return good.replace(f"sig={good_sig(fields)}", f"sig={requests.utils.quote(sig)}")


@pytest.mark.parametrize("name", BAD_SIGS)
def test_screen_side_refuses_a_tampered_signature(name: str) -> None:
    # ValueError, not TypeError: compare_digest refuses a non-ASCII str.
    with pytest.raises(ValueError):
        receipt.verify(_url(FIELDS, BAD_SIGS[name]), KEY)


@pytest.mark.parametrize("field", CHANGED)
def test_screen_side_refuses_each_changed_field(field: str) -> None:
    # The URL carries the changed field with the original signature.
    changed = {**FIELDS, field: CHANGED[field]}
    url = _url(changed, SIG)
    assert receipt.parse(url).sig == SIG
    with pytest.raises(ValueError, match="signature"):
        receipt.verify(url, KEY)


# -- the receipt page over real HTTP ------------------------------------------------------

ENROLL_CODE = "CODE-RECEIPT-1"


def _enroll(server: Running, code: str, device_id: str) -> str:
    """Enroll over the device API, as a kiosk does; returns the device's receipt key."""
    answer = requests.post(f"{server.url}/v1/enroll", json={"code": code, "device_id": device_id},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["receipt_key"]


@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[Running, str]]:
    server = start(tmp_path / "central.db", enroll_codes=(ENROLL_CODE,),
                   device_id=FIELDS["device_id"])
    try:
        yield server, _enroll(server, ENROLL_CODE, FIELDS["device_id"])
    finally:
        server.stop()


def _page(server: Running, fields: dict[str, str], sig: str) -> requests.Response:
    return requests.get(f"{server.url}/r/{fields['device_id']}/{fields['donation_id']}",
                        params={"v": str(receipt.VERSION), "amount": fields["amount"],
                                "currency": fields["currency"], "project": fields["project_id"],
                                "sig": sig}, timeout=10)


def test_receipt_page_refuses_every_tampering(central: tuple[Running, str]) -> None:
    server, key = central
    sig = good_sig(key=key)
    assert _page(server, FIELDS, sig).status_code == 200
    refused: dict[str, Any] = {}
    for name, bad in {"empty": "", "one char short": sig[:-1], "half": sig[:32],
                      "extended": sig + "a", "one char changed": one_char_changed(sig, 10)}.items():
        refused[f"sig {name}"] = _page(server, FIELDS, bad).status_code
    for field in CHANGED:
        changed = {**FIELDS, field: CHANGED[field]}
        if field == "device_id":
            # Another enrolled device's receipt with this one's signature.
            server.store.add_enroll_code("CODE-RECEIPT-2", CHANGED["device_id"])
            _enroll(server, "CODE-RECEIPT-2", CHANGED["device_id"])
        refused[field] = _page(server, changed, sig).status_code
    refused["no sig"] = requests.get(
        f"{server.url}/r/{FIELDS['device_id']}/{FIELDS['donation_id']}",
        params={"v": "2", "amount": "500", "currency": "EUR", "project": FIELDS["project_id"]},
        timeout=10).status_code
    assert refused == dict.fromkeys(refused, 400)


# -- the property: the signer's signature verifies, any mutation does not ------------------

ids = st.text(st.characters(codec="utf-8", exclude_characters="|"), min_size=1, max_size=30)
receipts = st.fixed_dictionaries({
    "device_id": ids, "donation_id": ids, "amount": st.integers(1, 10**9).map(str),
    "currency": st.sampled_from(["EUR", "CHF", "GBP", "USD"]), "project_id": ids})
keys = st.binary(min_size=1, max_size=64).map(bytes.hex)


@given(receipts, keys)
def test_property_a_signers_signature_verifies(fields: dict[str, str], key: str) -> None:
    assert server_verify(fields, good_sig(fields, key), key) is True
    # The server accepts the hex in either case (QR scanners may upper-case it).
    assert server_verify(fields, good_sig(fields, key).upper(), key) is True


@given(receipts, keys, st.sampled_from(sorted(FIELDS)), st.data())
def test_property_any_changed_field_is_refused(fields: dict[str, str], key: str, field: str,
                                               data: st.DataObject) -> None:
    sig = good_sig(fields, key)
    other = data.draw(receipts)[field]
    assume(other != fields[field])
    assert server_verify({**fields, field: other}, sig, key) is False


@given(receipts, keys, st.text(max_size=80))
def test_property_any_other_signature_is_refused(fields: dict[str, str], key: str,
                                                 sig: str) -> None:
    assume(sig.lower() != good_sig(fields, key))
    assert server_verify(fields, sig, key) is False


@given(receipts, keys, st.integers(0, 63), st.integers(0, 64))
def test_property_cut_or_changed_signatures_are_refused(fields: dict[str, str], key: str,
                                                        at: int, cut: int) -> None:
    sig = good_sig(fields, key)
    assert server_verify(fields, one_char_changed(sig, at), key) is False
    if cut < 64:
        assert server_verify(fields, sig[:cut], key) is False
    assert server_verify(fields, sig + "0" * (cut + 1), key) is False


@settings(deadline=None)
@given(st.text(), st.sampled_from(["sig", "amount", "currency", "project", "x"]))
def test_property_screen_verify_gives_a_receipt_or_a_value_error(query: str, name: str) -> None:
    # Whatever a scanned URL carries: a Receipt or ValueError, never another exception.
    base = _url(FIELDS, SIG)
    for url in (f"https://a.example/r/cafe-01/d?{query}", f"{base}&{name}={query}",
                base.replace(f"sig={SIG}", f"sig={query}"), query):
        try:
            assert isinstance(receipt.verify(url, KEY), receipt.Receipt)
        except ValueError:
            pass
