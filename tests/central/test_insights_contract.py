"""Engagement counts in the heartbeat, over real HTTP on SQLite and PostgreSQL (every
exchange checked against central_api/openapi.yaml by the ``api`` fixture)."""

from __future__ import annotations

from tests.central.conftest import Api
from tests.central.helpers import heartbeat

H = "2026-03-14T10:00:00Z"


def row(counter: str, count: int, hour: str = H, project: str = "velo") -> dict:
    return {"hour": hour, "project_id": project, "counter": counter, "count": count}


def test_counts_are_replaced_never_added(api: Api) -> None:
    device = api.enroll()
    path = f"/v1/devices/{device.device_id}/heartbeat"
    first = [row("slide_shown", 12), row("give_tapped", 3), row("slide_shown", 4, project="chats")]
    for _ in range(3):  # the same snapshot again and again: the same counts
        assert api.call("POST", path, device.token,
                        json=heartbeat(engagement=first)).status_code == 200
    assert api.service.store.engagement(device.device_id) == {
        (H, "velo", "slide_shown"): 12, (H, "velo", "give_tapped"): 3,
        (H, "chats", "slide_shown"): 4}
    # A later snapshot of the same hour: the new absolute count replaces the old one.
    assert api.call("POST", path, device.token,
                    json=heartbeat(engagement=[row("slide_shown", 15)])).status_code == 200
    assert api.service.store.engagement(device.device_id)[(H, "velo", "slide_shown")] == 15
    # The heartbeat's history keeps the kiosk's health, not the counts.
    assert all("engagement" not in h for h in api.service.store.heartbeats(device.device_id))


def test_old_kiosks_send_no_counts_and_malformed_ones_are_refused_whole(api: Api) -> None:
    device = api.enroll()
    path = f"/v1/devices/{device.device_id}/heartbeat"
    assert api.call("POST", path, device.token, json=heartbeat()).status_code == 200
    for bad, field in (([row("slide_shown", 1), row("card_read", 1)], "engagement[1].counter"),
                       ([row("slide_shown", 1, hour="2026-03-14T10:17:00Z")],
                        "engagement[0].hour"),
                       ([row("slide_shown", -1)], "engagement[0].count"),
                       ([row("slide_shown", 1), row("slide_shown", 2)], "engagement[1]"),
                       ({"slide_shown": 1}, "engagement")):
        r = api.call("POST", path, device.token, json=heartbeat(engagement=bad))
        assert r.status_code == 400 and r.json()["error"]["message"].startswith(field), r.text
    assert api.service.store.engagement(device.device_id) == {}
    assert len(api.service.store.heartbeats(device.device_id)) == 1
