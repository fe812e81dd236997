"""The central service against arbitrary input over real HTTP: any body, any content type,
on any route, is answered with a documented status and a JSON error, never a crash."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from central.testing.process import Running, start
from tests.sync.openapi_check import check_exchange

DEVICE = "fuzz-device"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, str]]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "central.db"
    running = start(path, enroll_codes=("FUZZ",), record=True, device_id=DEVICE)
    token = requests.post(f"{running.url}/v1/enroll",
                          json={"code": "FUZZ", "device_id": DEVICE}).json()["token"]
    yield running, token
    running.stop()


bodies = st.one_of(
    st.binary(max_size=300),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.sampled_from(["donations", "id", "seq", "project_ids",
                                                    "code", "device_id", "state", "x"]),
                                   inner, max_size=4), max_leaves=15)
    .map(lambda doc: __import__("json").dumps(doc).encode()),
)
routes = st.sampled_from([("POST", f"/v1/devices/{DEVICE}/donations:batch"),
                          ("PUT", f"/v1/devices/{DEVICE}/featured"),
                          ("POST", f"/v1/devices/{DEVICE}/heartbeat"),
                          ("POST", "/v1/enroll")])


@given(routes, bodies, st.sampled_from(["application/json", "text/plain", ""]))
# Found by Hypothesis: items that are not donations get a per-item `rejected` answer.
@example(route=("POST", f"/v1/devices/{DEVICE}/donations:batch"),
         body=b'{"donations":[null]}', ctype="application/json")
@example(route=("POST", f"/v1/devices/{DEVICE}/donations:batch"),
         body=b'{"donations":[{"x":1}, 3]}', ctype="application/json")
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_body_gets_a_documented_answer(server: tuple[Running, str],
                                           route: tuple[str, str], body: bytes,
                                           ctype: str) -> None:
    running, token = server
    method, path = route
    headers = {"Authorization": f"Bearer {token}"}
    if ctype:
        headers["Content-Type"] = ctype
    answer = requests.request(method, running.url + path, data=body, headers=headers,
                              timeout=5)
    assert answer.status_code in (200, 204, 400, 404, 409, 413), answer.text
    if answer.status_code >= 400:
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json()["error"]["message"]
    check_exchange(running.server.exchanges[-1])
