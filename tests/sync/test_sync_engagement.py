"""Volunteer asks on the kiosk side: the decoder keeps the catalog whatever the asks hold
(Hypothesis), and a sign-up made on a phone reaches a kiosk's catalog through the central
service and a real ``kiosk-sync --once``, until the full ask is no longer shown."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import catalog as screen_catalog
from kiosk.sync.catalog_parse import parse_catalog
from tests.central.conftest import Api
from tests.central.helpers import project
from tests.central.test_engagement_contract import (
    add_ask,
    association_user,
    sign_up,
    signed_in,
)
from tests.sync.conftest import Kiosk

ROOT = Path(__file__).resolve().parents[2]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=15)


def good_ask(n: int = 1, **over: Any) -> dict[str, Any]:
    return {"id": f"ask-{n}", "what": "Planter les bulbes", "place": "Square des Capucins",
            "starts_at": "2031-03-15T10:00:00+01:00", "duration_minutes": 120, "needed": 3,
            "signed_up": 2, "url": f"https://dons.example.org/v/ask-{n}", **over}


near_asks = st.fixed_dictionaries({
    "id": st.text(max_size=70) | st.integers(), "what": st.text(max_size=5) | st.none(),
    "place": st.text(max_size=5), "starts_at": st.sampled_from([
        "2031-03-15T10:00:00+01:00", "2031-03-15T10:00:00", "2031-02-30T10:00:00Z", "soon"]),
    "duration_minutes": st.integers(-2, 50000) | st.floats(allow_nan=False),
    "needed": st.integers(-1, 5) | st.booleans(), "signed_up": st.integers(-1, 5),
    "url": st.sampled_from(["https://d.example.org/v/x", "/v/x", "javascript:alert(1)",
                            "http://[::1", "ftp://d.example.org/x"]),
})


@settings(deadline=None)
@given(st.lists(near_asks | json_values, max_size=25) | json_values)
def test_whatever_the_asks_hold_the_catalog_stays(asks: Any) -> None:
    body = {"version": "v1", "projects": [
        project("p1", "Assoc", asks=asks), project("p2", "Assoc", asks=[good_ask()])]}
    doc = parse_catalog(body, 1 << 20)  # never refused for its asks
    assert [p.id for p in doc.projects] == ["p1", "p2"]
    assert doc.projects[1].asks[0].signed_up == 2
    for ask in doc.projects[0].asks:
        assert ask.id.strip() and ask.what.strip() and ask.place.strip()
        assert ask.needed >= 1 and ask.signed_up >= 0 and ask.duration_minutes >= 1
        assert ask.url.startswith(("https://", "http://"))
        assert dt.datetime.fromisoformat(ask.starts_at).tzinfo is not None
    assert len({a.id for a in doc.projects[0].asks}) == len(doc.projects[0].asks) <= 20


def test_a_malformed_ask_is_dropped_with_its_reason(caplog: pytest.LogCaptureFixture) -> None:
    body = {"version": "v1", "projects": [project("p1", "Assoc", asks=[
        good_ask(1, needed=0), good_ask(2), good_ask(3, url="/v/relative"), good_ask(2)])]}
    with caplog.at_level(logging.WARNING, logger="kiosk.sync.catalog"):
        doc = parse_catalog(body, 1 << 20)
    assert [a.id for a in doc.projects[0].asks] == ["ask-2"]
    assert "project 'p1'.asks[0] dropped: needed: expected a whole number from 1" in caplog.text
    assert "asks[2] dropped: url: expected an absolute https URL" in caplog.text
    assert "asks[3] dropped: the id 'ask-2' appears twice" in caplog.text


def sync_once(kiosk: Kiosk) -> None:
    done = subprocess.run([sys.executable, "-m", "kiosk.sync.service", "--config",
                           str(kiosk.cfg.path), "--once"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def kiosk_asks(kiosk: Kiosk) -> tuple[screen_catalog.Ask, ...]:
    live = screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)
    assert live.source == "server"
    [found] = [p for p in live.projects if p.id == "jardin"]
    return found.asks


def test_a_phone_sign_up_reaches_the_kiosk_through_kiosk_sync(kiosk: Kiosk) -> None:
    central = kiosk.central
    central.store.set_catalog({"version": "x", "projects": [
        project("jardin", "Jardins du Canal")]}, {})
    session = requests.Session()
    session.trust_env = False
    api = Api(central, session)
    office = signed_in(api, association_user(api, "Jardins du Canal"))
    add_ask(api, office, "jardin", needed=2)
    sync_once(kiosk)
    [ask] = kiosk_asks(kiosk)
    assert (ask.what, ask.needed, ask.signed_up, ask.is_open) == (
        "Planter les bulbes du square", 2, 0, True)

    assert sign_up(ask.url, "Camille", "camille@example.org").status_code == 200
    sync_once(kiosk)
    [ask] = kiosk_asks(kiosk)
    assert ask.signed_up == 1

    assert sign_up(ask.url, "Sam", "+33 6 12 34 56 78").status_code == 200
    sync_once(kiosk)
    assert kiosk_asks(kiosk) == (), "a full ask is no longer on the kiosk"
    session.close()
