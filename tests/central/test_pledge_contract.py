"""Pledges through the central service over real HTTP, on SQLite and PostgreSQL (four
gunicorn workers): an association posts a pledge in the back office, people sign on their
phones and confirm from the link mailed to them (the email backend writes files here), the
device catalog carries the pledge with its count and a new ETag each time it moves (every
device exchange checked against central_api/openapi.yaml), and confirmations crossing the
threshold at the same moment reach it once and mail each pledger once."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests

from central.testing.process import Running
from tests.central.conftest import BACKENDS, Api, start_service
from tests.central.helpers import project
from tests.central.test_engagement_contract import (
    CSRF,
    association_user,
    browser_session,
    post_form,
    signed_in,
)
from tests.helpers.sent_mail import sent_messages
from tests.sync.openapi_check import check_exchange

LINK = re.compile(r"https?://\S+/e/confirm/[A-Za-z0-9_-]+")


@pytest.fixture(scope="module", params=BACKENDS)
def central(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Path]]:
    """A service of our own: its emails are files we read."""
    workdir = tmp_path_factory.mktemp(f"pledges-{request.param}")
    mail = workdir / "mail"
    running = start_service(request.param, request, workdir,
                            env={"CENTRAL_EMAIL_DIR": str(mail)}, workers=4)
    yield running, mail
    running.stop()


def mailed_to(folder: Path, address: str) -> list[EmailMessage]:
    return [m for m in sent_messages(folder) if m["To"] == address]


def confirm_link(folder: Path, address: str) -> str:
    found = LINK.search(mailed_to(folder, address)[-1].get_content())
    assert found, mailed_to(folder, address)[-1].get_content()
    return found.group(0)


def add_pledge(api: Api, office: requests.Session, project_id: str, threshold: int) -> None:
    """The association posts a pledge in the back office."""
    page = office.get(f"{api.url}/backoffice/engagement/pledge/add/", timeout=30)
    assert page.status_code == 200, page.text[:2000]
    option = re.search(rf'<option value="(\d+)">{re.escape(project_id)} ', page.text)
    assert option, "the association's project is offered"
    deadline = dt.date.today() + dt.timedelta(days=30)
    r = post_form(office, f"{api.url}/backoffice/engagement/pledge/add/", {
        "project": option.group(1), "commitment": "Je trie mes biodéchets",
        "threshold": str(threshold), "deadline": deadline.isoformat(),
        "outcome": "La mairie installe un deuxième composteur.",
        "signatures-TOTAL_FORMS": "0", "signatures-INITIAL_FORMS": "0", "_save": "Save"})
    assert r.status_code == 200 and "/pledge/add/" not in r.url, r.text[:3000]


def sign(url: str, address: str, first_name: str = "", lang: str = "fr") -> requests.Response:
    return post_form(browser_session(), url, {"email": address, "first_name": first_name},
                     headers={"Accept-Language": lang})


def confirm(link: str) -> requests.Response:
    session = browser_session()
    page = session.get(link, timeout=30)
    token = CSRF.search(page.text)
    assert token, page.text[:2000]
    return session.post(link, data={"csrfmiddlewaretoken": token.group(1)},
                        headers={"Referer": link}, timeout=30)


class Shop:
    """An enrolled device whose shop shows one project of a new association."""

    def __init__(self, service: Running) -> None:
        self.api = Api(service, browser_session())
        tag = uuid.uuid4().hex[:8]
        self.project_id, self.association = f"compost-{tag}", f"Zéro Déchet {tag}"
        service.store.set_catalog({"version": "x", "projects": [
            project(self.project_id, self.association)]}, {}, shop=f"shop-{tag}")
        self.device = self.api.enroll(shop=f"shop-{tag}")
        self.office = signed_in(self.api, association_user(self.api, self.association))

    def catalog(self) -> tuple[dict[str, Any] | None, str]:
        """The project's pledge in the device catalog, and the catalog's ETag."""
        r = self.api.call("GET", f"/v1/devices/{self.device.device_id}/catalog",
                          self.device.token)
        assert r.status_code == 200
        [found] = [p for p in r.json()["projects"] if p["id"] == self.project_id]
        return found.get("pledge"), r.headers["ETag"]

    def check_exchanges(self) -> None:
        """The device exchanges against the document (the pledge pages are a phone's)."""
        for ex in self.api.service.server.exchanges:
            if ex["path"].startswith("/v1/"):
                check_exchange(ex)
        self.api.service.admin.call("DELETE", "/admin/exchanges")


def test_a_pledge_goes_from_the_back_office_to_the_catalog_and_counts_confirmed_emails(
        central: tuple[Running, Path]) -> None:
    service, mail = central
    shop = Shop(service)
    assert shop.catalog()[0] is None, "no pledge: the field is absent"
    add_pledge(shop.api, shop.office, shop.project_id, threshold=2)
    pledge, etag = shop.catalog()
    assert {k: pledge[k] for k in ("commitment", "threshold", "count", "reached")} == {
        "commitment": "Je trie mes biodéchets", "threshold": 2, "count": 0, "reached": False}
    assert pledge["url"] == f"{service.url}/e/{pledge['id']}"
    assert pledge["deadline"] == (dt.date.today() + dt.timedelta(days=30)).isoformat()

    camille = f"camille-{uuid.uuid4().hex[:6]}@example.org"
    sent = sign(pledge["url"], camille, "Camille")
    assert sent.status_code == 200 and 'id="sent"' in sent.text
    assert shop.catalog() == (pledge, etag), "an unconfirmed email does not count"
    done = confirm(confirm_link(mail, camille))
    assert done.status_code == 200 and 'id="count">1 / 2' in done.text
    counted, new_etag = shop.catalog()
    assert counted["count"] == 1 and new_etag != etag, "the ETag moves with the count"
    assert confirm(confirm_link(mail, camille)).status_code == 200
    assert sign(pledge["url"], camille.upper()).status_code == 200
    assert shop.catalog() == (counted, new_etag), "one email counts once"
    bad = sign(pledge["url"], "not an email")
    assert bad.status_code == 400 and "Saisissez une adresse e-mail valide" in bad.text

    # The association sees who pledged; another association does not see the pledge at all.
    listing = shop.office.get(f"{service.url}/backoffice/engagement/pledge/", timeout=30)
    change = re.search(r"/backoffice/engagement/pledge/(\d+)/change/", listing.text)
    assert change, listing.text[:2000]
    url = f"{service.url}{change.group(0)}"
    assert camille in shop.office.get(url, timeout=30).text
    other = signed_in(shop.api, association_user(shop.api, f"Autre {uuid.uuid4().hex[:6]}"))
    elsewhere = other.get(url, timeout=30)
    assert camille not in elsewhere.text
    assert elsewhere.url.endswith("/backoffice/") or elsewhere.status_code == 404
    shop.check_exchanges()


def test_confirmations_crossing_the_threshold_together_reach_it_once(
        central: tuple[Running, Path]) -> None:
    service, mail = central
    shop = Shop(service)
    for _round in range(3):  # a new pledge per round (the newest is the project's)
        add_pledge(shop.api, shop.office, shop.project_id, threshold=2)
        pledge, _ = shop.catalog()
        people = [f"p{n}-{uuid.uuid4().hex[:6]}@example.org" for n in range(2)]
        for person in people:
            assert sign(pledge["url"], person).status_code == 200
        links = [confirm_link(mail, person) for person in people]
        pages = [(s := browser_session(), s.get(link, timeout=30)) for link in links]
        start = threading.Barrier(len(links))

        def press(n: int, pages: list = pages, links: list = links,
                  start: threading.Barrier = start) -> requests.Response:
            session, page = pages[n]
            token = CSRF.search(page.text).group(1)
            start.wait()
            return session.post(links[n], data={"csrfmiddlewaretoken": token},
                                headers={"Referer": links[n]}, timeout=30)

        with ThreadPoolExecutor(len(links)) as pool:
            answers = list(pool.map(press, range(len(links))))
        assert [a.status_code for a in answers] == [200, 200]
        assert sum('id="just-reached"' in a.text for a in answers) == 1, \
            "exactly one confirmation reached it"
        reached, _ = shop.catalog()
        assert (reached["count"], reached["reached"]) == (2, True)
        for person in people:
            told = [m for m in mailed_to(mail, person) if "Objectif atteint" in m["Subject"]]
            assert len(told) == 1, f"{person} is told once: {[m['Subject'] for m in told]}"
            assert "deuxième composteur" in told[0].get_content()
    shop.check_exchanges()
