"""The device contract, served by the Django service over real HTTP, on SQLite and on
PostgreSQL (the ``service`` fixture is parametrised); every exchange is checked against
central_api/openapi.yaml by the ``api`` fixture."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid

import jsonschema

from kiosk.core.receipt import receipt_url
from tests.central.conftest import Api
from tests.central.helpers import donation, heartbeat, project
from tests.sync.openapi_check import document

BATCH = "/v1/devices/{}/donations:batch"


def shop_name() -> str:
    return f"shop-{uuid.uuid4().hex[:8]}"


def publish(api: Api, shop: str, projects: list[dict], images: dict[str, bytes] | None = None
            ) -> None:
    api.service.store.set_catalog({"version": "x", "projects": projects}, images or {},
                                  shop=shop)


def catalog(api: Api, device, etag: str | None = None):
    headers = {"If-None-Match": etag} if etag else {}
    return api.call("GET", f"/v1/devices/{device.device_id}/catalog", device.token,
                    headers=headers)


def test_batch_statuses_dedup_forever_and_live_totals(api: Api) -> None:
    shop = shop_name()
    pid = f"p-{uuid.uuid4().hex[:8]}"
    publish(api, shop, [project(pid, "Assoc A", raised_cents=2500)])
    device = api.enroll(shop=shop)
    first = catalog(api, device)
    assert first.status_code == 200 and first.json()["projects"][0]["raised_cents"] == 2500
    assert first.json()["projects"][0]["supporters"] == 0
    a, b = donation(1, pid, 500), donation(2, pid, 700, state="declined")
    r = api.call("POST", BATCH.format(device.device_id), device.token,
                 json={"donations": [a, b]})
    assert [x["status"] for x in r.json()["results"]] == ["created", "created"]
    # The same ids again: one unchanged (duplicate), one changed (conflict, not stored).
    c = donation(3, pid, 300)
    r = api.call("POST", BATCH.format(device.device_id), device.token,
                 json={"donations": [a, {**b, "amount_cents": 999}, c]})
    assert [(x["id"], x["status"]) for x in r.json()["results"]] == [
        (a["id"], "duplicate"), (b["id"], "conflict"), (c["id"], "created")]
    stored = api.service.store.donations(device.device_id)
    assert stored == [a, b, c]
    # Only approved donations count, each once: 2500 + 500 + 300, by two supporters.
    second = catalog(api, device, first.headers["ETag"])
    assert second.status_code == 200, "the ETag must change when raised_cents changes"
    assert second.json()["projects"][0]["raised_cents"] == 3300
    assert second.json()["projects"][0]["supporters"] == 2
    assert second.headers["ETag"] != first.headers["ETag"]
    assert catalog(api, device, second.headers["ETag"]).status_code == 304
    # Sent again, whole (a kiosk that lost the answer): nothing counts twice.
    again = api.call("POST", BATCH.format(device.device_id), device.token,
                     json={"donations": [a, b, c]})
    assert [x["status"] for x in again.json()["results"]] == ["duplicate"] * 3
    assert catalog(api, device, second.headers["ETag"]).status_code == 304


def test_supporters_alone_change_the_etag(api: Api) -> None:
    # An approved gift in another currency adds no cents but one supporter: the kiosk must
    # still see a new catalog.
    shop, pid = shop_name(), f"p-{uuid.uuid4().hex[:8]}"
    publish(api, shop, [project(pid, "Assoc A", supporters=46)])
    device = api.enroll(shop=shop)
    first = catalog(api, device)
    assert first.json()["projects"][0]["supporters"] == 46
    api.call("POST", BATCH.format(device.device_id), device.token,
             json={"donations": [donation(1, pid, 500, currency="CHF")]})
    second = catalog(api, device, first.headers["ETag"])
    assert second.status_code == 200
    assert (second.json()["projects"][0]["raised_cents"],
            second.json()["projects"][0]["supporters"]) == (2500, 47)


def test_one_batch_adds_to_several_projects_each_in_its_currency(api: Api) -> None:
    shop = shop_name()
    p1, p2, p3 = (f"p-{uuid.uuid4().hex[:8]}" for _ in range(3))
    publish(api, shop, [project(p1, "Assoc A", raised_cents=100),
                        project(p2, "Assoc A", raised_cents=200),
                        project(p3, "Assoc A", raised_cents=300)])
    device = api.enroll(shop=shop)
    items = [donation(1, p1, 500), donation(2, p2, 700), donation(3, p1, 50),
             donation(4, p2, 900, currency="CHF"), donation(5, p3, 400, state="declined"),
             donation(6, "p-unknown", 100)]
    r = api.call("POST", BATCH.format(device.device_id), device.token,
                 json={"donations": items})
    assert [x["status"] for x in r.json()["results"]] == ["created"] * 6
    shown = catalog(api, device).json()["projects"]
    raised = {p["id"]: p["raised_cents"] for p in shown}
    # Approved ones only, each in its project's currency (EUR): the CHF one is not added.
    assert raised == {p1: 650, p2: 900, p3: 300}
    # Every approved donor counts as a supporter, whatever the currency.
    assert {p["id"]: p["supporters"] for p in shown} == {p1: 2, p2: 2, p3: 0}
    assert api.service.store.donations(device.device_id) == items


def test_one_bad_item_is_rejected_in_its_place_and_limits(api: Api) -> None:
    device = api.enroll()
    good, bad = donation(1), {**donation(2), "amount_cents": -5}
    r = api.call("POST", BATCH.format(device.device_id), device.token,
                 json={"donations": [bad, good]})
    results = r.json()["results"]
    assert results[0]["status"] == "rejected"
    assert results[0]["error"]["code"] == "invalid_donation"
    assert results[1] == {"id": good["id"], "status": "created", "error": None}
    too_many = [donation(n) for n in range(1, 102)]
    assert api.call("POST", BATCH.format(device.device_id), device.token,
                    json={"donations": too_many}).status_code == 413
    assert api.call("POST", BATCH.format(device.device_id), device.token, data=b"{nope",
                    headers={"Content-Type": "application/json"}).status_code == 400
    assert api.call("POST", BATCH.format(device.device_id), device.token,
                    json={"nothing": []}).status_code == 400
    assert api.service.store.donations(device.device_id) == [good]


def test_tokens_no_token_unknown_other_device_and_revoked(api: Api) -> None:
    one, two = api.enroll(), api.enroll()
    path = BATCH.format(one.device_id)
    body = {"donations": []}
    assert api.call("POST", path, json=body).status_code == 401
    assert api.call("POST", path, "not-a-token-at-all", json=body).status_code == 401
    wrong = api.call("POST", path, two.token, json=body)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_device")
    assert api.call("POST", path, one.token, json=body).status_code == 200
    api.service.store.revoke(one.device_id)
    revoked = api.call("POST", path, one.token, json=body)
    assert (revoked.status_code, revoked.json()["error"]["code"]) == (403, "revoked")
    assert api.service.store.device_for_token(one.token) == (one.device_id, True)


def test_catalog_is_the_shops_active_projects_in_featured_order(api: Api) -> None:
    shop, other_shop = shop_name(), shop_name()
    ids = [f"p-{uuid.uuid4().hex[:8]}" for _ in range(4)]
    data = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes
    sha = hashlib.sha256(data).hexdigest()
    image = {"url": f"v1/images/{sha}", "sha256": sha, "bytes": len(data)}
    publish(api, shop, [project(ids[0], "Assoc A", image=image), project(ids[1], "Assoc B"),
                        project(ids[2], "Assoc A", active=False)], {sha: data})
    publish(api, other_shop, [project(ids[3], "Assoc C")])
    device = api.enroll(shop=shop)
    first = catalog(api, device)
    assert sorted(p["id"] for p in first.json()["projects"]) == sorted(ids[:2])
    assert first.json()["version"] in first.headers["ETag"]
    # Unfeatured projects come by title; the shop owner features the last one first.
    shown = [p["id"] for p in first.json()["projects"]]
    put = api.call("PUT", f"/v1/devices/{device.device_id}/featured", device.token,
                   json={"project_ids": shown[::-1]})
    assert put.status_code == 204
    assert api.service.store.featured(device.device_id) == shown[::-1]
    second = catalog(api, device, first.headers["ETag"])
    assert second.status_code == 200, "the ETag must change with the order"
    assert [p["id"] for p in second.json()["projects"]] == shown[::-1]
    put = api.call("PUT", f"/v1/devices/{device.device_id}/featured", device.token,
                   json={"project_ids": []})
    assert [p["id"] for p in catalog(api, device).json()["projects"]] == shown
    # The image, by its sha256, for enrolled devices only.
    got = api.call("GET", f"/v1/images/{sha}", device.token)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Type"] == "image/png"
    assert api.call("GET", f"/v1/images/{sha}").status_code == 401
    assert api.call("GET", f"/v1/images/{'0' * 64}", device.token).status_code == 404
    bad = api.call("PUT", f"/v1/devices/{device.device_id}/featured", device.token,
                   json={"project_ids": ["a", "a"]})
    assert bad.status_code == 400


def test_heartbeat_keeps_history_latest_state_and_audit_rows_once(api: Api) -> None:
    device = api.enroll()
    audit = [{"seq": n, "at": "2026-11-20T10:00:00Z", "boot_id": "b", "mono_ns": n,
              "actor": "owner", "action": "featured", "detail": {"n": n}} for n in (1, 2)]
    path = f"/v1/devices/{device.device_id}/heartbeat"
    for body in (heartbeat(audit=audit), heartbeat(backlog_count=0, audit=audit[1:]),
                 heartbeat(last_error="terminal unplugged")):
        r = api.call("POST", path, device.token, json=body)
        assert r.status_code == 200 and "server_time" in r.json()
    assert [h["backlog_count"] for h in api.service.store.heartbeats(device.device_id)] == \
        [3, 0, 3]
    assert api.service.store.audit_rows(device.device_id) == audit
    assert api.call("POST", path, device.token,
                    json=heartbeat(backlog_count=-1)).status_code == 400


def test_receipt_page_checks_the_signature(api: Api) -> None:
    device = api.enroll()
    d = donation(1, "p1", 1250)
    api.call("POST", BATCH.format(device.device_id), device.token, json={"donations": [d]})
    url = receipt_url(api.url, device.receipt_key, device.device_id, d["id"], 1250, "EUR", "p1")
    # The donor's phone language: French unless it asks for English.
    page = api.session.get(url)
    assert page.status_code == 200 and "12,50\xa0€" in page.text
    assert "Reçu valide" in page.text and "confirmé dès que" not in page.text
    page = api.session.get(url, headers={"Accept-Language": "en-US,en;q=0.8"})
    assert page.status_code == 200 and "€12.50" in page.text
    assert "Valid receipt" in page.text and "confirmed as soon" not in page.text
    forged = url.replace("amount=1250", "amount=9999")
    assert api.session.get(forged).status_code == 400


def test_concurrent_batches_store_each_donation_once(api: Api) -> None:
    shop, pid = shop_name(), f"p-{uuid.uuid4().hex[:8]}"
    publish(api, shop, [project(pid, "Assoc A", raised_cents=0)])
    device = api.enroll(shop=shop)
    items = [donation(n, pid, 100) for n in range(1, 41)]
    statuses: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        import requests

        r = requests.post(f"{api.url}{BATCH.format(device.device_id)}",
                          json={"donations": items}, timeout=30,
                          headers={"Authorization": f"Bearer {device.token}"})
        with lock:
            statuses.extend(x["status"] for x in r.json()["results"])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count("created") == 40 and statuses.count("duplicate") == 120
    shown = catalog(api, device).json()["projects"][0]
    assert (shown["raised_cents"], shown["supporters"]) == (4000, 40)




def test_concurrent_first_heartbeats_make_one_state_and_one_rollup(api: Api) -> None:
    # The heartbeat UPDATEs its device's state and hour first and INSERTs only when none
    # matched: first heartbeats sent at once race to that INSERT (on PostgreSQL), and the
    # loser must update the winner's rows, not fail.
    device = api.enroll()
    path = f"{api.url}/v1/devices/{device.device_id}/heartbeat"
    codes: list[int] = []
    start = threading.Barrier(6)

    def send(n: int) -> None:
        import requests

        start.wait()
        r = requests.post(path, json=heartbeat(backlog_count=n), timeout=30,
                          headers={"Authorization": f"Bearer {device.token}"})
        codes.append(r.status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 6
    assert len(api.service.store.heartbeats(device.device_id)) == 6
    shown = api.service.manage("shell", "-v0", "-c", (
        "import json; from central.devices.models import DeviceState, HeartbeatRollup as R;"
        f"d = {device.device_id!r};"
        "print(json.dumps([DeviceState.objects.filter(device__device_id=d).count(),"
        " list(R.objects.filter(device__device_id=d).values('count', 'max_backlog_count'))]))"))
    assert shown.returncode == 0, shown.stderr
    states, rollups = json.loads(shown.stdout)
    # One state row; the six counted in one roll-up (two if the hour turned meanwhile).
    assert states == 1 and sum(r["count"] for r in rollups) == 6
    assert max(r["max_backlog_count"] for r in rollups) == 5


def test_unknown_routes_and_methods_under_v1_answer_json_errors(api: Api) -> None:
    device = api.enroll()
    error_schema = document()["components"]["schemas"]["Error"]
    for method, path in [("GET", "/v1/nothing-here"),
                         ("POST", f"/v1/devices/{device.device_id}/donations"),
                         ("GET", "/v1/devices/not a valid id/catalog"),
                         ("GET", "/v1/images/not-a-sha256")]:
        r = api.call(method, path, device.token)
        assert r.status_code == 404, path
        assert r.headers["Content-Type"] == "application/json", path
        jsonschema.validate(r.json(), error_schema)
        assert r.json()["error"]["code"] == "not_found"
    for method, path in [("GET", "/v1/enroll"), ("DELETE", BATCH.format(device.device_id)),
                         ("POST", f"/v1/devices/{device.device_id}/catalog")]:
        r = api.call(method, path, device.token)
        assert r.status_code == 405, path
        assert r.headers["Content-Type"] == "application/json", path
        jsonschema.validate(r.json(), error_schema)
        assert r.json()["error"]["code"] == "method_not_allowed" and r.headers["Allow"]
    # Outside the device API, Django's own page.
    page = api.session.get(f"{api.url}/nothing-here")
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    # These requests are outside the document by design; the api fixture checks the rest.
    api.service.admin.call("DELETE", "/admin/exchanges")
