"""Volunteer asks through the central service over real HTTP, on SQLite and PostgreSQL: an
association posts an ask in the back office, people sign up on their phones, and the device
catalog carries the open ask with its count (every device exchange checked against
central_api/openapi.yaml by the ``api`` fixture) until it is full."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import requests

from tests.central.conftest import Api
from tests.central.helpers import project
from tests.sync.openapi_check import check_exchange

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def browser_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def post_form(session: requests.Session, url: str, data: dict[str, str],
              **kwargs: Any) -> requests.Response:
    """GET the page, then POST its form with the CSRF token, as a browser would."""
    page = session.get(url, timeout=30, **kwargs)
    token = CSRF.search(page.text)
    assert token, page.text[:2000]
    return session.post(url, data={"csrfmiddlewaretoken": token.group(1), **data},
                        headers={"Referer": url, **kwargs.pop("headers", {})}, timeout=30,
                        **kwargs)


def association_user(api: Api, association: str) -> str:
    """A back-office user of ``association`` (password ``pw``); returns the user name."""
    name = f"assoc-{uuid.uuid4().hex[:8]}"
    code = ("from django.contrib.auth.models import User;"
            "from central.accounts.models import Membership;"
            "from central.catalog.models import Association;"
            f"u = User.objects.create_user({name!r}, password='pw', is_staff=True);"
            "Membership.objects.create(user=u, role='association',"
            f" association=Association.objects.get_or_create(name={association!r})[0])")
    done = api.service.manage("shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return name


def signed_in(api: Api, user: str) -> requests.Session:
    session = browser_session()
    r = post_form(session, f"{api.url}/backoffice/sign-in/",
                  {"username": user, "password": "pw"})
    assert r.status_code == 200 and "sign-in" not in r.url, r.text[:2000]
    return session


def add_ask(api: Api, session: requests.Session, project_id: str, needed: int,
            what: str = "Planter les bulbes du square", days: int = 3) -> str:
    """The association adds an ask in the back office; returns the ask's admin id."""
    page = session.get(f"{api.url}/backoffice/engagement/ask/add/", timeout=30)
    assert page.status_code == 200, page.text[:2000]
    option = re.search(rf'<option value="(\d+)">{re.escape(project_id)} ', page.text)
    assert option, "the association's project is offered"
    when = dt.datetime.now() + dt.timedelta(days=days)
    r = post_form(session, f"{api.url}/backoffice/engagement/ask/add/", {
        "project": option.group(1), "what": what, "starts_at_0": when.strftime("%Y-%m-%d"),
        "starts_at_1": "10:00:00", "place": "Square des Capucins", "duration_minutes": "120",
        "needed": str(needed), "signups-TOTAL_FORMS": "0", "signups-INITIAL_FORMS": "0",
        "_save": "Save"})
    assert r.status_code == 200 and "/ask/add/" not in r.url, r.text[:3000]
    found = re.search(r"/engagement/ask/(\d+)/change/", r.text)
    assert found, r.text[:3000]
    return found.group(1)


def sign_up(url: str, first_name: str, contact: str, lang: str = "fr") -> requests.Response:
    return post_form(browser_session(), url, {"first_name": first_name, "contact": contact},
                     headers={"Accept-Language": lang})


def check_device_exchanges(api: Api) -> None:
    """Check every device API exchange so far against the document, then clear them: the
    ask's page, like the other pages a phone opens (/c/, /p/), is not the device contract."""
    for ex in api.service.server.exchanges:
        if not ex["path"].startswith("/v/"):
            check_exchange(ex)
    api.service.admin.call("DELETE", "/admin/exchanges")


def catalog_asks(api: Api, device: Any, pid: str) -> list[dict[str, Any]] | None:
    r = api.call("GET", f"/v1/devices/{device.device_id}/catalog", device.token)
    assert r.status_code == 200
    [found] = [p for p in r.json()["projects"] if p["id"] == pid]
    return found.get("asks")


def new_project(api: Api) -> tuple[str, str, Any]:
    shop, pid = f"shop-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}"
    association = f"Assoc {uuid.uuid4().hex[:6]}"
    api.service.store.set_catalog({"version": "x", "projects": [project(pid, association)]},
                                  {}, shop=shop)
    return pid, association, api.enroll(shop=shop)


def test_an_ask_goes_from_the_back_office_to_the_catalog_until_it_is_full(api: Api) -> None:
    pid, association, device = new_project(api)
    assert catalog_asks(api, device, pid) is None, "no asks: the field is absent"
    office = signed_in(api, association_user(api, association))
    ask_pk = add_ask(api, office, pid, needed=2)
    [ask] = catalog_asks(api, device, pid)
    assert (ask["what"], ask["place"], ask["duration_minutes"], ask["needed"],
            ask["signed_up"]) == ("Planter les bulbes du square", "Square des Capucins", 120,
                                  2, 0)
    assert ask["starts_at"].endswith(("+01:00", "+02:00")) and "T10:00:00" in ask["starts_at"]
    assert ask["url"] == f"{api.url}/v/{ask['id']}"

    first = sign_up(ask["url"], "Camille", "camille@example.org")
    assert first.status_code == 200 and "Merci, Camille" in first.text
    [ask] = catalog_asks(api, device, pid)
    assert ask["signed_up"] == 1
    again = sign_up(ask["url"], "Camille", "Camille@Example.org ")
    assert again.status_code == 200 and "Déjà inscrit" in again.text
    assert catalog_asks(api, device, pid)[0]["signed_up"] == 1, "one person counts once"
    bad = sign_up(ask["url"], "Sam", "not a way to reach me")
    assert "Saisissez une adresse e-mail ou un numéro de téléphone." in bad.text
    # Lou opens the form while a place is left; Sam takes it before Lou sends.
    lou = browser_session()
    lou_form = CSRF.search(lou.get(ask["url"], timeout=30).text)
    assert lou_form
    last = sign_up(ask["url"], "Sam", "06 12 34 56 78", lang="en")
    assert "Thank you, Sam!" in last.text
    assert catalog_asks(api, device, pid) is None, "a full ask is no longer shown"
    full = browser_session().get(ask["url"], timeout=30)
    assert full.status_code == 200 and 'id="closed"' in full.text and "2 / 2" in full.text
    late = lou.post(ask["url"], data={"csrfmiddlewaretoken": lou_form.group(1),
                                      "first_name": "Lou", "contact": "lou@example.org"},
                    headers={"Referer": ask["url"]}, timeout=30)
    assert late.status_code == 409 and 'id="closed"' in late.text
    assert "csrfmiddlewaretoken" not in late.text

    # The association sees who signed up; another association does not see the ask at all.
    page = office.get(f"{api.url}/backoffice/engagement/ask/{ask_pk}/change/", timeout=30)
    assert page.status_code == 200
    assert "camille@example.org" in page.text and "0612345678" in page.text
    other = signed_in(api, association_user(api, f"Autre {uuid.uuid4().hex[:6]}"))
    elsewhere = other.get(f"{api.url}/backoffice/engagement/ask/{ask_pk}/change/", timeout=30)
    assert "camille@example.org" not in elsewhere.text
    assert elsewhere.url.endswith("/backoffice/") or elsewhere.status_code == 404
    check_device_exchanges(api)


def test_an_unknown_ask_is_a_page_not_found(api: Api) -> None:
    r = browser_session().get(f"{api.url}/v/no-such-ask-here", timeout=30)
    assert r.status_code == 404 and "csrfmiddlewaretoken" not in r.text
    check_device_exchanges(api)
