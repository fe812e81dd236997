"""Fault injection (test settings): the control interface the kiosk-sync tests use."""

from __future__ import annotations

import pytest
import requests

from tests.central.conftest import Api
from tests.central.helpers import donation


def test_status_reset_after_and_malformed_faults(api: Api) -> None:
    device = api.enroll()
    path = f"/v1/devices/{device.device_id}/donations:batch"
    api.service.faults.add("status", route="batch", code=503, retry_after=7)
    api.service.faults.add("reset_after", route="batch")
    api.service.faults.add("malformed_json", route="batch")
    assert api.service.faults.pending() == 3
    first = api.call("POST", path, device.token, json={"donations": [donation(1)]})
    assert (first.status_code, first.headers["Retry-After"]) == (503, "7")
    committed = donation(2)
    with pytest.raises(requests.ConnectionError):
        api.call("POST", path, device.token, json={"donations": [committed]})
    assert api.service.store.donations(device.device_id) == [committed]
    broken = api.call("POST", path, device.token, json={"donations": [committed]})
    with pytest.raises(ValueError):
        broken.json()
    assert api.service.faults.pending() == 0
    assert api.service.faults.fired[-3:] == [("batch", "status"), ("batch", "reset_after"),
                                             ("batch", "malformed_json")]
    again = api.call("POST", path, device.token, json={"donations": [committed]})
    assert again.json()["results"][0]["status"] == "duplicate"
    with pytest.raises(ValueError):
        api.service.faults.add("no-such-kind")


def test_admin_routes_need_the_admin_token(api: Api) -> None:
    assert requests.get(f"{api.url}/admin/faults", timeout=10).status_code == 403
    assert requests.get(f"{api.url}/admin/faults", timeout=10,
                        headers={"X-Central-Admin-Token": "guess"}).status_code == 403
