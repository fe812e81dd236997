"""Matching sponsors and the shop's month total through the central service over real HTTP,
on SQLite and PostgreSQL (gunicorn with two workers, so batches really run at once): an
association adds a sponsor in the back office (recorded in its history), kiosks' batches are
matched up to the budget and never twice, and the device catalog (checked against
central_api/openapi.yaml by the ``api`` fixture) carries the sponsor while it matches and the
shop's total, with a new ETag when either changes."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from typing import Any

import requests

from tests.central.conftest import Api, Device
from tests.central.helpers import donation, project
from tests.central.test_engagement_contract import association_user, post_form, signed_in

BATCH = "/v1/devices/{}/donations:batch"


def add_sponsor(api: Api, session: requests.Session, project_id: str, budget_cents: int,
                days: int = 30) -> str:
    """The association adds its project's sponsor in the back office; its admin id."""
    url = f"{api.url}/backoffice/sponsors/sponsor/add/"
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:2000]
    option = re.search(rf'<option value="(\d+)">{re.escape(project_id)} ', page.text)
    assert option, "the association's project is offered"
    ends = dt.date.today() + dt.timedelta(days=days)
    r = post_form(session, url, {
        "project": option.group(1), "name": "la boulangerie Martin",
        "text": "Chaque don doublé, jusqu'à 500 €", "budget_cents": str(budget_cents),
        "ends_on": ends.isoformat(), "_save": "Save"})
    assert r.status_code == 200 and "/sponsor/add/" not in r.url, r.text[:3000]
    found = re.search(r"/sponsors/sponsor/(\d+)/change/", r.text)
    assert found, r.text[:3000]
    return found.group(1)


def matched(api: Api, sponsor_pk: str) -> int:
    code = ("from central.sponsors.models import Sponsor;"
            f"print(Sponsor.objects.get(pk={sponsor_pk}).matched_cents)")
    done = api.service.manage("shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])  # after the shell's own banner


def send(api: Api, device: Device, items: list[dict[str, Any]]) -> list[str]:
    r = requests.post(f"{api.url}{BATCH.format(device.device_id)}", json={"donations": items},
                      headers={"Authorization": f"Bearer {device.token}"}, timeout=60)
    assert r.status_code == 200, r.text
    return [x["status"] for x in r.json()["results"]]


def catalog(api: Api, device: Device) -> requests.Response:
    r = api.call("GET", f"/v1/devices/{device.device_id}/catalog", device.token)
    assert r.status_code == 200
    return r


def shop_with_project(api: Api) -> tuple[str, str, str]:
    shop, pid = f"shop-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
    association = f"Assoc {uuid.uuid4().hex[:6]}"
    api.service.store.set_catalog(
        {"version": "x", "projects": [project(pid, association, raised_cents=0)]}, {},
        shop=shop)
    return shop, pid, association


def test_concurrent_batches_from_two_kiosks_never_exceed_the_budget(api: Api) -> None:
    shop, pid, association = shop_with_project(api)
    first, second = api.enroll(shop=shop), api.enroll(shop=shop)
    before = catalog(api, first)
    assert "sponsor" not in before.json()["projects"][0] and "shop_total" not in before.json()
    user = association_user(api, association)
    office = signed_in(api, user)
    sponsor_pk = add_sponsor(api, office, pid, budget_cents=5000)
    history = office.get(f"{api.url}/backoffice/sponsors/sponsor/{sponsor_pk}/history/",
                         timeout=30)
    assert history.status_code == 200 and user in history.text and "Ajout" in history.text, \
        "the addition is recorded with who made it"
    shown = catalog(api, first)
    assert shown.headers["ETag"] != before.headers["ETag"]
    assert shown.json()["projects"][0]["sponsor"] == {
        "name": "la boulangerie Martin", "text": "Chaque don doublé, jusqu'à 500 €",
        "budget_cents": 5000, "budget_left_cents": 5000,
        "ends_on": (dt.date.today() + dt.timedelta(days=30)).isoformat()}

    # Two kiosks, three batches each at once: 6 x 10 gifts of 1.50 € = 90 € for a 50 € budget,
    # with declined ones that are never matched and never counted.
    batches = {device.device_id: [[donation(b * 20 + n, pid, 150) for n in range(1, 11)]
                                  + [donation(b * 20 + 11, pid, 700, state="declined")]
                                  for b in range(3)] for device in (first, second)}
    statuses: list[str] = []
    lock = threading.Lock()

    def run(device: Device, items: list[dict[str, Any]]) -> None:
        got = send(api, device, items)
        with lock:
            statuses.extend(got)

    threads = [threading.Thread(target=run, args=(device, items))
               for device in (first, second) for items in batches[device.device_id]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count("created") == 66
    assert matched(api, sponsor_pk) == 5000, "matched up to the budget, never beyond"
    doc = catalog(api, second).json()
    assert "sponsor" not in doc["projects"][0], "a spent sponsor is no longer shown"
    assert doc["projects"][0]["raised_cents"] == 9000
    assert doc["shop_total"] == {"month": f"{dt.date.today():%Y-%m}", "raised_cents": 9000,
                                 "currency": "EUR", "shop_name": shop}

    # The association sees what was matched and what is left.
    listing = office.get(f"{api.url}/backoffice/sponsors/sponsor/", timeout=30)
    assert "la boulangerie Martin" in listing.text and "50,00" in listing.text.replace(
        "\xa0", " ").replace("50.00", "50,00")


def test_a_resent_batch_is_never_matched_twice(api: Api) -> None:
    shop, pid, association = shop_with_project(api)
    device = api.enroll(shop=shop)
    sponsor_pk = add_sponsor(api, signed_in(api, association_user(api, association)), pid,
                             budget_cents=10000)
    items = [donation(n, pid, 1000) for n in range(1, 4)]
    assert send(api, device, items) == ["created"] * 3
    etag = catalog(api, device).headers["ETag"]
    assert matched(api, sponsor_pk) == 3000
    assert send(api, device, items) == ["duplicate"] * 3
    assert send(api, device, [items[0], donation(4, pid, 500)]) == ["duplicate", "created"]
    assert matched(api, sponsor_pk) == 3500
    doc = catalog(api, device)
    assert doc.headers["ETag"] != etag
    assert doc.json()["projects"][0]["sponsor"]["budget_left_cents"] == 6500
    assert doc.json()["shop_total"]["raised_cents"] == 3500
