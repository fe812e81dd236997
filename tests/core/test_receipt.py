"""The receipt QR's URL and signature."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import receipt

KEY = "00112233445566778899aabbccddeeff"


def test_signature_is_the_documented_hmac():
    v2 = b"9:receipt/2,7:kiosk-1,3:d-1,3:500,3:EUR,6:proj-1,"
    expected = hmac.new(bytes.fromhex(KEY), v2, hashlib.sha256).hexdigest()
    assert receipt.signature(KEY, "kiosk-1", "d-1", 500, "EUR", "proj-1") == expected
    # Lengths are in UTF-8 bytes, not characters.
    assert receipt.message_v2("k", "d", 1, "EUR", "é") == \
        b"9:receipt/2,1:k,1:d,1:1,3:EUR,2:\xc3\xa9,"
    v1 = hmac.new(bytes.fromhex(KEY), b"kiosk-1|d-1|500|EUR|proj-1", hashlib.sha256)
    assert receipt.signature(KEY, "kiosk-1", "d-1", 500, "EUR", "proj-1", version=1) == \
        v1.hexdigest()


def test_v2_fields_cannot_be_recut_as_another_currency_and_project():
    """Under v1 "EUR" + "USD|p" and "EUR|USD" + "p" signed the same bytes; v2 does not."""
    assert receipt.message_v1("k", "d", 5, "EUR", "USD|p") == \
        receipt.message_v1("k", "d", 5, "EUR|USD", "p")
    assert receipt.message_v2("k", "d", 5, "EUR", "USD|p") != \
        receipt.message_v2("k", "d", 5, "EUR|USD", "p")
    assert receipt.message_v2("k", "d", 5, "EUR", "USD|p") != \
        receipt.message_v2("k", "d", 5, "USD", "p")
    url = receipt.receipt_url("https://a.example", KEY, "k", "d", 5, "EUR", "USD|p")
    assert receipt.verify(url, KEY).project_id == "USD|p"
    with pytest.raises(ValueError):  # not three capital letters: refused before any HMAC
        receipt.verify(url.replace("currency=EUR", "currency=EUR%7CUSD")
                       .replace("project=USD%7Cp", "project=p"), KEY)


def test_a_v1_url_from_a_kiosk_in_the_field_still_verifies():
    sig = receipt.signature(KEY, "kiosk-1", "d-1", 500, "EUR", "proj-1", version=1)
    url = f"https://a.example/r/kiosk-1/d-1?amount=500&currency=EUR&project=proj-1&sig={sig}"
    r = receipt.verify(url, KEY)
    assert (r.version, r.project_id, r.amount_cents) == (1, "proj-1", 500)
    with pytest.raises(ValueError, match="signature"):  # the same signature read as v2
        receipt.verify(url + "&v=2", KEY)
    with pytest.raises(ValueError):
        receipt.verify(url.replace("currency=EUR", "currency=eur"), KEY)


def test_url_shape_and_round_trip():
    url = receipt.receipt_url("https://api.example.org/", KEY, "kiosk-1", "d-1", 500, "EUR",
                              "proj-1")
    sig = receipt.signature(KEY, "kiosk-1", "d-1", 500, "EUR", "proj-1")
    assert url == (f"https://api.example.org/r/kiosk-1/d-1?v=2&amount=500&currency=EUR"
                   f"&project=proj-1&sig={sig}")
    r = receipt.verify(url, KEY)
    assert (r.device_id, r.donation_id, r.amount_cents, r.project_id) == \
        ("kiosk-1", "d-1", 500, "proj-1")


def test_tampered_amount_is_refused():
    url = receipt.receipt_url("https://a.example", KEY, "k", "d", 500, "EUR", "p")
    with pytest.raises(ValueError, match="signature"):
        receipt.verify(url.replace("amount=500", "amount=5000"), KEY)


@pytest.mark.parametrize("bad", ["", "zz", "abc"])
def test_bad_key_is_named(bad):
    with pytest.raises(receipt.BadReceiptKey):
        receipt.signature(bad, "k", "d", 1, "EUR", "p")


@given(st.text(max_size=200))
def test_parse_of_any_text_raises_only_value_error(text):
    try:
        receipt.parse(text)
    except ValueError:
        pass


@given(st.text(min_size=1, max_size=40), st.integers(1, 10**7),
       st.text(min_size=1, max_size=40))
def test_any_project_id_round_trips(project_id, amount, device_suffix):
    device = "k" + "".join(c for c in device_suffix if c.isalnum())[:20]
    url = receipt.receipt_url("https://a.example", KEY, device, "d-1", amount, "EUR",
                              project_id)
    r = receipt.verify(url, KEY)
    assert (r.project_id, r.amount_cents, r.device_id) == (project_id, amount, device)


def test_the_suites_hypothesis_profile_has_no_deadline():
    """tests/conftest.py loads it for every property test: a noisy CI machine must not fail a
    test for one slow example; CI keeps its fixed seed."""
    import os

    from hypothesis import settings

    assert settings().deadline is None
    assert settings().derandomize == bool(os.environ.get("CI"))
