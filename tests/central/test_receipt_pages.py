"""The donor's pages over real HTTP, on SQLite and PostgreSQL: the receipt a QR code opens
(v2 and v1 signatures, refused when tampered, shown before the kiosk has synced), the
tax-receipt claim (one per donation), its issue through the back office (numbered PDF with
the Cerfa 11580 mentions, read back with pdftotext; emailed), withdrawal, and receipt numbers
issued by concurrent processes without gap or duplicate."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from central.receipts import signing
from central.testing.process import Running
from kiosk.core.receipt import receipt_url, signature
from tests.central.conftest import BACKENDS, start_service
from tests.central.helpers import donation, project
from tests.helpers.sent_mail import sent_messages

BATCH = "/v1/devices/{}/donations:batch"
PASSWORD = "a long test password 42"
ASSOCIATION = {"name": "Les Mains Vertes", "address": "12 rue des Capucins, 69001 Lyon",
               "purpose": "Jardins partagés et ateliers de quartier",
               "registration": "W691234567", "signatory": "Anne Martin, trésorière"}


@pytest.fixture(scope="module", params=BACKENDS)
def central(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Path]]:
    """A service of our own: its emails are files we read."""
    workdir = tmp_path_factory.mktemp(f"receipts-{request.param}")
    mail = workdir / "mail"
    running = start_service(request.param, request, workdir,
                            env={"CENTRAL_EMAIL_DIR": str(mail)}, workers=4)
    yield running, mail
    running.stop()


class Kiosk:
    """An enrolled device with a project of its own association."""

    def __init__(self, service: Running) -> None:
        self.service = service
        tag = uuid.uuid4().hex[:8]
        self.shop, self.project_id, self.association = (f"Café {tag}", f"jardin-{tag}",
                                                        f"{ASSOCIATION['name']} {tag}")
        service.store.set_catalog({"version": "x", "projects": [
            project(self.project_id, self.association, title="Un jardin partagé")]}, {},
            shop=self.shop)
        self.device_id = f"kiosk-{tag}"
        code = service.store.new_enroll_code(self.device_id, self.shop)
        r = requests.post(f"{service.url}/v1/enroll", timeout=30,
                          json={"code": code, "device_id": self.device_id})
        self.token, self.key = r.json()["token"], r.json()["receipt_key"]
        shell(service, f"""
from central.catalog.models import Association
Association.objects.filter(name={self.association!r}).update(
    address={ASSOCIATION['address']!r}, purpose={ASSOCIATION['purpose']!r},
    registration={ASSOCIATION['registration']!r}, signatory={ASSOCIATION['signatory']!r})
""")

    def receipt(self, amount: int = 1250, donation_id: str | None = None) -> tuple[str, str]:
        donation_id = donation_id or str(uuid.uuid4())
        return donation_id, receipt_url(self.service.url, self.key, self.device_id,
                                        donation_id, amount, "EUR", self.project_id)

    def sync(self, donation_id: str, amount: int = 1250, seq: int = 1) -> None:
        item = donation(seq, self.project_id, amount, id=donation_id,
                        created_at="2026-11-20T10:00:00.000Z")
        r = requests.post(f"{self.service.url}{BATCH.format(self.device_id)}", timeout=30,
                          json={"donations": [item]},
                          headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code == 200, r.text


def shell(service: Running, code: str) -> str:
    done = service.manage("shell", "--no-imports", "-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout


def open_form(url: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    form = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token, form.text
    return session, token.group(1)


def file_claim(url: str, name: str = "Léa Dupont-Étienne",
               address: str = "3 place Sathonay\n69001 Lyon", mail: str = "lea@example.org",
               opened: tuple[requests.Session, str] | None = None) -> requests.Response:
    session, token = opened or open_form(url)
    return session.post(url, timeout=30, data={
        "csrfmiddlewaretoken": token, "name": name, "address": address,
        "email": mail}, headers={"Referer": url})


def association_login(service: Running, association: str) -> requests.Session:
    """A back-office user of the association role, signed in."""
    username = f"assoc-{uuid.uuid4().hex[:8]}"
    shell(service, f"""
from django.contrib.auth.models import User
from central.accounts.models import Membership
from central.catalog.models import Association
user = User.objects.create_user({username!r}, password={PASSWORD!r}, is_staff=True)
Membership.objects.create(user=user, role="association",
                          association=Association.objects.get(name={association!r}))
""")
    session = requests.Session()
    login = f"{service.url}/backoffice/login/"
    page = session.get(login, timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = session.post(login, timeout=30, headers={"Referer": login}, data={
        "csrfmiddlewaretoken": csrf, "username": username, "password": PASSWORD,
        "next": "/backoffice/"})
    assert r.status_code == 200 and "logout" in r.text.lower(), r.text[:500]
    return session


def admin_action(service: Running, session: requests.Session, action: str,
                 claim_ids: list[str]) -> requests.Response:
    changelist = f"{service.url}/backoffice/claims/claim/"
    page = session.get(changelist, timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(changelist, timeout=60, headers={"Referer": changelist}, data={
        "csrfmiddlewaretoken": csrf, "action": action, "_selected_action": claim_ids,
        "index": 0})


def claim_ids(service: Running, kiosk: Kiosk) -> list[str]:
    out = shell(service, f"""
from central.claims.models import Claim
print(" ".join(str(pk) for pk in Claim.objects.filter(device_id={kiosk.device_id!r})
               .order_by("pk").values_list("pk", flat=True)))
""")
    return out.split()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


# -- the receipt page ----------------------------------------------------------------------


def test_receipt_before_and_after_the_kiosk_syncs(central: tuple[Running, Path]) -> None:
    service, _ = central
    kiosk = Kiosk(service)
    donation_id, url = kiosk.receipt()
    assert "v=2&" in url
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Language"] == "fr"
    for shown in ("Reçu valide", "12,50\xa0€", "Un jardin partagé", kiosk.association,
                  kiosk.shop, "En cours de transmission", 'name="email"'):
        assert shown in page.text, shown
    kiosk.sync(donation_id)
    page = requests.get(url, timeout=30, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert page.status_code == 200 and page.headers["Content-Language"] == "en"
    for shown in ("Valid receipt", "€12.50", "Received", "November 20, 2026", kiosk.shop):
        assert shown in page.text, shown
    assert "In transit" not in page.text
    # The project's learn-more page and its photo's route are public.
    assert requests.get(f"{service.url}/p/{kiosk.project_id}", timeout=30).status_code == 200


def test_tampered_unknown_and_bad_currency_receipts_are_refused(
        central: tuple[Running, Path]) -> None:
    service, _ = central
    kiosk = Kiosk(service)
    _, url = kiosk.receipt()
    bad = {
        "amount": url.replace("amount=1250", "amount=1251"),
        "project": url.replace(f"project={kiosk.project_id}", "project=other"),
        "version": url.replace("v=2&", "v=1&"),
        "no version (read as v1)": url.replace("v=2&", ""),
        "unknown version": url.replace("v=2&", "v=3&"),
        "unknown device": url.replace(kiosk.device_id, "kiosk-unknown"),
        "sig cut": url[:-1],
    }
    for name, changed in bad.items():
        page = requests.get(changed, timeout=30)
        assert page.status_code == 400, name
        assert "Reçu non valide" in page.text and "12,50" not in page.text, name
    # A v1 URL as kiosks in the field print it still verifies.
    donation_id = str(uuid.uuid4())
    v1 = signature(kiosk.key, kiosk.device_id, donation_id, 700, "EUR", kiosk.project_id,
                   version=1)
    old = (f"{service.url}/r/{kiosk.device_id}/{donation_id}?amount=700&currency=EUR"
           f"&project={kiosk.project_id}&sig={v1}")
    assert requests.get(old, timeout=30).status_code == 200
    # Three capital letters, in both versions, even with a matching signature.
    for version in (1, 2):
        sig = signature(kiosk.key, kiosk.device_id, donation_id, 700, "eur",
                        kiosk.project_id, version=version)
        lower = (f"{service.url}/r/{kiosk.device_id}/{donation_id}?v={version}&amount=700"
                 f"&currency=eur&project={kiosk.project_id}&sig={sig}")
        assert requests.get(lower, timeout=30).status_code == 400


def test_v2_cannot_read_a_bar_in_the_project_as_another_currency_and_project() -> None:
    key = "ab" * 16
    sig = signing.signature(key, "k", "d", 5, "EUR", "USD|p", version=2)
    assert signing.verify([key], "k", "d", "5", "EUR", "USD|p", sig, "2") is not None
    assert signing.verify([key], "k", "d", "5", "USD", "p", sig, "2") is None
    assert signing.verify([key], "k", "d", "5", "EUR|USD", "p", sig, "2") is None
    # v1 signed the same bytes for both cuts; only the currency rule refuses the other one.
    v1 = signing.signature(key, "k", "d", 5, "EUR", "USD|p", version=1)
    assert signing.message(1, "k", "d", 5, "EUR", "USD|p") == \
        signing.message(1, "k", "d", 5, "EUR|USD", "p")
    assert signing.verify([key], "k", "d", "5", "EUR", "USD|p", v1, "1") is not None
    assert signing.verify([key], "k", "d", "5", "EUR|USD", "p", v1, "1") is None


# -- the claim -----------------------------------------------------------------------------


def test_claim_issue_email_pdf_and_withdrawal(central: tuple[Running, Path],
                                              tmp_path: Path) -> None:
    service, mail = central
    kiosk = Kiosk(service)
    donation_id, url = kiosk.receipt(amount=8050)
    # Filed while the kiosk is offline; once only (a second tab opened before is refused).
    second_tab = open_form(url)
    filed = file_claim(url)
    assert filed.status_code == 200 and "/c/" in filed.url
    assert "Léa Dupont-Étienne" in filed.text and "Reçue" in filed.text
    again = requests.get(url, timeout=30)
    assert 'name="email"' not in again.text and "Léa" not in again.text
    late = file_claim(url, name="Someone Else", opened=second_tab)
    assert late.status_code == 400 and "Someone Else" not in late.text
    session = association_login(service, kiosk.association)
    ids = claim_ids(service, kiosk)
    assert len(ids) == 1
    admin_action(service, session, "validate", ids)
    # Not issued before the donation has arrived.
    r = admin_action(service, session, "issue", ids)
    assert "pas encore envoyé ce don" in r.text  # in French, as the page
    kiosk.sync(donation_id, amount=8050)
    r = admin_action(service, session, "issue", ids)
    number = re.search(r"Reçu (2026-\d{6}) émis", r.text).group(1)
    # The private page has the PDF; so has the email, with the links.
    page = requests.get(filed.url, timeout=30)
    assert number in page.text
    pdf = requests.get(f"{filed.url}/receipt.pdf", timeout=30)
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    flat = " ".join(text.split())
    for mention in (
            "Reçu au titre des dons", f"Numéro d'ordre du reçu : {number}",
            kiosk.association, ASSOCIATION["address"], ASSOCIATION["purpose"],
            ASSOCIATION["registration"], "Œuvre ou organisme d'intérêt général",
            "Léa Dupont-Étienne", "3 place Sathonay", "69001 Lyon",
            "*** 80,50 € ***", "quatre-vingts euros et cinquante centimes",
            "Date du versement ou du don : 20 novembre 2026",
            "déclaration de don manuel", "Nature du don : numéraire",
            "Mode de versement : carte bancaire", "article 200 du CGI",
            ASSOCIATION["signatory"]):
        assert mention in flat, mention
    sent = sent_messages(mail)
    mine = [m for m in sent if number in m["Subject"] and m["To"] == "lea@example.org"]
    assert len(mine) == 1
    parts = {p.get_content_type(): p for p in mine[0].walk()}
    assert parts["application/pdf"].get_payload(decode=True) == pdf.content
    body = parts["text/plain"].get_payload(decode=True).decode()
    assert filed.url in body and f"{filed.url}/receipt.pdf" in body
    # Withdrawn after issue: the link and the email go, the legal copy stays.
    csrf_session = requests.Session()
    page = csrf_session.get(filed.url, timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    gone = csrf_session.post(filed.url, timeout=30, headers={"Referer": filed.url},
                             data={"csrfmiddlewaretoken": csrf})
    assert gone.status_code == 200 and "Demande retirée" in gone.text
    assert "six ans comme la loi" in gone.text and "Aucun reçu" not in gone.text
    assert requests.get(filed.url, timeout=30).status_code == 404
    assert requests.get(f"{filed.url}/receipt.pdf", timeout=30).status_code == 404
    kept = shell(service, f"""
from central.claims.models import Claim
c = Claim.objects.get(pk={ids[0]})
print(c.status, repr(c.email), c.receipt_number, bool(c.pdf))
""")
    assert kept.split() == ["withdrawn", "''", number, "True"]


def test_withdrawing_before_issue_deletes_the_claim(central: tuple[Running, Path]) -> None:
    service, _ = central
    kiosk = Kiosk(service)
    _, url = kiosk.receipt()
    filed = file_claim(url, mail="retire@example.org")
    session = requests.Session()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                     session.get(filed.url, timeout=30).text).group(1)
    session.post(filed.url, timeout=30, headers={"Referer": filed.url},
                 data={"csrfmiddlewaretoken": csrf})
    assert claim_ids(service, kiosk) == []
    assert 'name="email"' in requests.get(url, timeout=30).text  # may be asked for again


def test_an_association_sees_only_its_own_claims(central: tuple[Running, Path]) -> None:
    service, _ = central
    mine, theirs = Kiosk(service), Kiosk(service)
    file_claim(mine.receipt()[1], name="Mine Donor")
    file_claim(theirs.receipt()[1], name="Their Donor")
    page = association_login(service, mine.association).get(
        f"{service.url}/backoffice/claims/claim/", timeout=30)
    assert page.status_code == 200 and "Mine Donor" in page.text
    assert "Their Donor" not in page.text


def test_concurrent_issuers_number_without_gap_or_duplicate(
        central: tuple[Running, Path]) -> None:
    """Several processes issue the same association's claims at once: each claim gets one
    number, and the numbers are 1..n of the year."""
    service, _ = central
    kiosk = Kiosk(service)
    count = 24
    for seq in range(1, count + 1):
        donation_id, url = kiosk.receipt(amount=100 + seq)
        kiosk.sync(donation_id, amount=100 + seq, seq=seq)
        assert file_claim(url, mail=f"donor{seq}@example.org").status_code == 200
    session = association_login(service, kiosk.association)
    admin_action(service, session, "validate", claim_ids(service, kiosk))

    def issuer(_: int) -> subprocess.CompletedProcess:
        return service.manage("issue-receipts", "--association", kiosk.association,
                              "--base-url", service.url)

    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(issuer, range(4)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    numbers = shell(service, f"""
from central.claims.models import Claim
print(" ".join(str(s) for s in Claim.objects.filter(device_id={kiosk.device_id!r})
               .values_list("receipt_seq", flat=True)))
""").split()
    assert sorted(int(n) for n in numbers) == list(range(1, count + 1))
    issued = [line for r in runs for line in r.stdout.splitlines() if "receipt" in line]
    assert len(issued) == count  # each claim issued by exactly one process


def test_concurrent_single_and_annual_issuers_share_one_sequence(
        central: tuple[Running, Path]) -> None:
    """Processes issuing single receipts and processes issuing the year's annual receipts
    at once: each claim lands in exactly one receipt, and the association's numbers of the
    year, singles and annuals together, are 1..n."""
    service, _ = central
    kiosk = Kiosk(service)
    for seq in range(1, 25):
        donation_id, url = kiosk.receipt(amount=100 + seq)
        kiosk.sync(donation_id, amount=100 + seq, seq=seq)
        # Eight donors, three gifts each: an annual receipt groups a donor's gifts.
        assert file_claim(url, mail=f"donor{seq % 8}@example.org").status_code == 200
    session = association_login(service, kiosk.association)
    admin_action(service, session, "validate", claim_ids(service, kiosk))

    def issuer(n: int) -> subprocess.CompletedProcess:
        annual = ["--annual", "2026"] if n % 2 else []
        return service.manage("issue-receipts", "--association", kiosk.association,
                              "--base-url", service.url, *annual)

    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(issuer, range(4)))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    out = shell(service, f"""
from central.claims.models import AnnualReceipt, Claim
claims = Claim.objects.filter(device_id={kiosk.device_id!r})
print(sum(1 for c in claims if (c.receipt_seq is None) == (c.annual_id is None)))
print(" ".join(str(s) for s in claims.exclude(receipt_seq=None)
               .values_list("receipt_seq", flat=True)))
print(" ".join(str(s) for s in AnnualReceipt.objects.filter(association__name={
    kiosk.association!r}).values_list("receipt_seq", flat=True)))
print(claims.filter(status="issued").count())
""").splitlines()
    not_in_exactly_one, singles, annuals, issued = out
    assert not_in_exactly_one == "0" and issued == "24"
    numbers = sorted(int(n) for n in (singles + " " + annuals).split())
    assert numbers == list(range(1, len(numbers) + 1))
