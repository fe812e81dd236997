"""Pledges on the kiosk side: the decoder keeps the catalog whatever the pledge holds
(Hypothesis) and refuses a malformed pledge with a reason naming the project, and a
confirmation made from a phone moves the count through the central service and a real
``kiosk-sync --once`` into the kiosk's ledger, until the kiosk shows the pledge reached."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import catalog as screen_catalog
from kiosk.sync.catalog_parse import parse_catalog
from tests.central.conftest import Api
from tests.central.helpers import project
from tests.central.test_engagement_contract import association_user, signed_in
from tests.central.test_pledge_contract import add_pledge, confirm
from tests.sync.conftest import Kiosk
from tests.sync.test_sync_engagement import json_values, sync_once


def good_pledge(**over: Any) -> dict[str, Any]:
    return {"id": "Qm7wT2xK9pLa", "commitment": "Je trie mes biodéchets", "threshold": 500,
            "count": 312, "deadline": "2031-06-30", "reached": False,
            "url": "https://dons.example.org/e/Qm7wT2xK9pLa", **over}


near_pledges = st.fixed_dictionaries({
    "id": st.text(max_size=70) | st.integers(), "commitment": st.text(max_size=5) | st.none(),
    "threshold": st.integers(-1, 5) | st.booleans() | st.floats(allow_nan=False),
    "count": st.integers(-1, 5) | st.none(),
    "deadline": st.sampled_from(["2031-06-30", "2031-02-30", "30/06/2031", "", "2031-06-30T00"]),
    "reached": st.booleans() | st.integers(0, 1) | st.none(),
    "url": st.sampled_from(["https://d.example.org/e/x", "/e/x", "javascript:alert(1)",
                            "http://[::1", "ftp://d.example.org/x"]),
})


@settings(deadline=None)
@given(near_pledges | json_values)
def test_whatever_the_pledge_holds_the_catalog_stays(pledge: Any) -> None:
    body = {"version": "v1", "projects": [
        project("p1", "Assoc", pledge=pledge), project("p2", "Assoc", pledge=good_pledge())]}
    doc = parse_catalog(body, 1 << 20)  # never refused for its pledge
    assert [p.id for p in doc.projects] == ["p1", "p2"]
    assert doc.projects[1].pledge is not None and doc.projects[1].pledge.count == 312
    kept = doc.projects[0].pledge
    if kept is not None:
        assert kept.id.strip() and kept.commitment.strip()
        assert kept.threshold >= 1 and kept.count >= 0 and isinstance(kept.reached, bool)
        assert kept.url.startswith(("https://", "http://"))
        dt.date.fromisoformat(kept.deadline)


def test_a_malformed_pledge_is_dropped_with_its_reason(
        caplog: pytest.LogCaptureFixture) -> None:
    body = {"version": "v1", "projects": [
        project("p1", "Assoc", pledge=good_pledge(threshold=0)),
        project("p2", "Assoc", pledge=good_pledge(url="/e/relative")),
        project("p3", "Assoc", pledge=good_pledge(reached="yes")),
        project("p4", "Assoc", pledge=good_pledge(deadline="30/06/2031")),
        project("p5", "Assoc", pledge=good_pledge())]}
    with caplog.at_level(logging.WARNING, logger="kiosk.sync.catalog"):
        doc = parse_catalog(body, 1 << 20)
    assert [p.pledge is not None for p in doc.projects] == [False] * 4 + [True]
    assert ("project 'p1'.pledge dropped: threshold: expected a whole number from 1"
            in caplog.text)
    assert "project 'p2'.pledge dropped: url: expected an absolute https URL" in caplog.text
    assert "project 'p3'.pledge dropped: reached: expected true or false" in caplog.text
    assert "project 'p4'.pledge dropped: deadline: expected a date YYYY-MM-DD" in caplog.text


def kiosk_pledge(kiosk: Kiosk) -> screen_catalog.Pledge | None:
    live = screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)
    assert live.source == "server"
    [found] = [p for p in live.projects if p.id == "compost"]
    return found.pledge


def pledged(api: Api, pledge_url: str, email: str) -> str:
    """A signature waiting for its confirmation, as the pledge page leaves it; returns the
    link its email carries (the page and the email are tested in tests/central)."""
    token = secrets.token_urlsafe(24)
    code = ("from central.devices.tokens import sha256_hex;"
            "from central.engagement.models import Pledge, PledgeSignature;"
            f"p = Pledge.objects.get(token={pledge_url.rsplit('/', 1)[1]!r});"
            f"PledgeSignature.objects.create(pledge=p, email={email!r},"
            f" token_sha256=sha256_hex({token!r}))")
    done = api.service.manage("shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return f"{api.url}/e/confirm/{token}"


def test_a_confirmation_reaches_the_kiosk_through_kiosk_sync(kiosk: Kiosk) -> None:
    central = kiosk.central
    central.store.set_catalog({"version": "x", "projects": [
        project("compost", "Quartier Zéro Déchet")]}, {})
    session = requests.Session()
    session.trust_env = False
    api = Api(central, session)
    sync_once(kiosk)
    assert kiosk_pledge(kiosk) is None
    add_pledge(api, signed_in(api, association_user(api, "Quartier Zéro Déchet")), "compost",
               threshold=2)
    sync_once(kiosk)
    pledge = kiosk_pledge(kiosk)
    assert pledge is not None
    assert (pledge.commitment, pledge.threshold, pledge.count, pledge.reached) == (
        "Je trie mes biodéchets", 2, 0, False)

    camille = pledged(api, pledge.url, "camille@example.org")
    sync_once(kiosk)
    assert kiosk_pledge(kiosk).count == 0, "an unconfirmed email does not count"
    assert confirm(camille).status_code == 200
    sync_once(kiosk)
    assert kiosk_pledge(kiosk).count == 1

    assert confirm(pledged(api, pledge.url, "sam@example.org")).status_code == 200
    sync_once(kiosk)
    reached = kiosk_pledge(kiosk)
    assert (reached.count, reached.reached) == (2, True), "the kiosk shows it reached"
    session.close()
