"""The back office's decisions on unknown outcomes, as the heartbeat answer carries them
(kiosk.sync.decisions): the decoder over arbitrary answers, applying them to a real ledger
through kioskctl reconcile's recorder, and the whole path over real HTTP: a real
``kiosk-sync --once`` uploads an unknown donation, an operator uploads the acquirer's
settlement file and resolves it in the back office, the next ``kiosk-sync --once`` brings the
decision to the ledger, and ``kioskctl status`` stops counting it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.ledger import Ledger
from kiosk.ops import reconcile
from kiosk.sync import decisions
from tests.sync.conftest import Kiosk
from tests.sync.openapi_check import check_exchange

BIN = Path(sys.executable).parent

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


def a_decision(**over: Any) -> dict[str, Any]:
    return {"decision_id": 7, "donation_id": str(uuid.uuid4()), "decision": "approved",
            "acquirer_reference": "A1B2C3", "decided_by": "alice",
            "decided_at": "2026-11-21T09:00:00Z", "note": "", **over}


@given(json_values)
@settings(max_examples=300)
def test_any_answer_gives_decisions_and_problems_never_an_exception(answer: Any) -> None:
    good, bad = decisions.parse(answer)
    assert all(isinstance(d, decisions.CentralDecision) for d in good)
    assert all(isinstance(p, str) and p for p in bad)


@given(st.dictionaries(st.sampled_from(list(a_decision())), json_values, max_size=7))
@settings(max_examples=300)
def test_a_decision_with_any_fields_is_parsed_or_named_as_malformed(fields: dict) -> None:
    good, bad = decisions.parse({"decisions": [a_decision(**fields)]})
    assert len(good) + len(bad) == 1
    if bad:
        assert bad[0].startswith("decisions[0]: ")


def test_an_answer_without_decisions_has_none_and_a_bad_item_does_not_stop_the_others() -> None:
    assert decisions.parse({"server_time": "2026-11-21T09:00:00Z"}) == ([], [])
    good, bad = decisions.parse({"decisions": [a_decision(decision="maybe"), a_decision()]})
    assert len(good) == 1 and bad == ["decisions[0]: decision: expected approved or declined"]


def unknown_donation(ledger: Ledger, cents: int = 1200) -> str:
    d = ledger.create_pending("proj-1", cents, "EUR")
    ledger.finish(d.id, "unknown", reason="answer lost after the card was presented")
    return d.id


def test_a_decision_is_recorded_once_through_the_reconcile_recorder(kiosk: Kiosk) -> None:
    ledger = kiosk.ledger
    lost = unknown_donation(ledger)
    decision = decisions.parse_one(a_decision(donation_id=lost, decision_id=3))
    assert reconcile.unresolved(ledger)[0].id == lost
    decisions.apply(ledger, [decision])
    recorded = reconcile.decisions(ledger)[lost]
    assert (recorded.decision, recorded.acquirer_reference, recorded.operator,
            recorded.central_decision) == ("charged", "A1B2C3", "central:alice", 3)
    assert reconcile.unresolved(ledger) == []
    assert ledger.get(lost).state == "unknown"  # the row itself is never rewritten
    before = len(ledger.recent_audit(100))
    assert decisions.apply(ledger, [decision]) == []  # sent again before the ack: nothing
    assert len(ledger.recent_audit(100)) == before


def test_a_decision_on_a_resolved_donation_keeps_the_local_state_and_says_so(
        kiosk: Kiosk) -> None:
    ledger = kiosk.ledger
    approved = ledger.create_pending("proj-1", 500, "EUR")
    ledger.finish(approved.id, "approved", auth_code="A1")
    decided_here = unknown_donation(ledger)
    reconcile.decide(ledger, decided_here, "charged", "ACQ-1", "bob")
    said = decisions.apply(ledger, [
        decisions.parse_one(a_decision(donation_id=approved.id, decision="declined",
                                       decision_id=4)),
        decisions.parse_one(a_decision(donation_id=decided_here, decision="declined",
                                       decision_id=5)),
        decisions.parse_one(a_decision(decision_id=6))])  # not in this ledger
    assert [s.split(":")[0] for s in said] == ["decision 4", "decision 5", "decision 6"]
    assert ledger.get(approved.id).state == "approved"
    assert reconcile.decisions(ledger)[decided_here].decision == "charged"
    refused = {d["central_decision"]: d for _, _, d in ledger.audit_entries(decisions.REFUSED)}
    assert sorted(refused) == [4, 5, 6]
    assert "approved, not unknown" in refused[4]["reason"]
    assert "already reconciled as charged" in refused[5]["reason"]
    assert decisions.apply(ledger, [decisions.parse_one(a_decision(decision_id=6))]) == []


# -- the whole path over real HTTP ------------------------------------------------------------


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True,
                          timeout=120)


def central_shell(kiosk: Kiosk, code: str) -> str:
    done = kiosk.central.manage("shell", "--no-imports", "-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def signed_in(base: str, name: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    page = session.get(f"{base}/backoffice/sign-in/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = session.post(f"{base}/backoffice/sign-in/", timeout=30,
                     data={"username": name, "password": "pw", "csrfmiddlewaretoken": token},
                     headers={"Referer": f"{base}/backoffice/sign-in/"})
    assert r.status_code == 200 and "/backoffice/fleet/" in r.url, r.text[:500]
    return session


def post_form(session: requests.Session, url: str, page_url: str, **kw: Any) -> Any:
    page = session.get(page_url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, data={"csrfmiddlewaretoken": token, **kw.pop("data", {})},
                        headers={"Referer": page_url}, timeout=30, **kw)


def test_a_settlement_file_and_a_decision_reach_the_kiosk_ledger(kiosk: Kiosk) -> None:
    ledger, cfg = kiosk.ledger, kiosk.cfg
    lost = unknown_donation(ledger, 1250)
    config = str(cfg.path)
    first = run("kiosk-sync", "--config", config, "--once")
    assert first.returncode == 0, first.stderr
    status = json.loads(run("kioskctl", "--config", config, "status", "--json").stdout)
    assert status["unreconciled"] == 1

    central_shell(kiosk, (
        "from django.contrib.auth.models import User; "
        "from central.accounts.models import Membership; "
        "u = User.objects.create_user('olga', password='pw'); "
        "Membership.objects.create(user=u, role=Membership.OPERATOR)"))
    base = kiosk.central.url.rstrip("/")
    session = signed_in(base, "olga")
    home = f"{base}/backoffice/reconciliation/"
    # The acquirer's file carries the V2 form of the reference (10 hex digits), settled on
    # the day the kiosk's clock gave the donation.
    day = ledger.get(lost).created_at[:10]
    csv_text = ("date,terminal_reference,amount,currency,auth_code\n"
                f"{day},{uuid.UUID(lost).hex[:10]},12.50,EUR,Z9Y8X7\n")
    answer = post_form(session, home, home,
                       files={"file": ("remises-2026-11-20.csv", csv_text.encode())})
    assert answer.status_code == 200 and "/reconciliation/files/" in answer.url, answer.text
    assert lost in answer.text and "Z9Y8X7" in answer.text
    pk = central_shell(kiosk, (
        "from central.donations.models import Donation; "
        f"print(Donation.objects.get(donation_id='{lost}').pk)"))
    line = central_shell(kiosk, (
        "from central.reconciliation.models import SettlementLine; "
        f"print(SettlementLine.objects.get(donation__pk={pk}).pk)"))
    done = post_form(session, f"{base}/backoffice/reconciliation/outcomes/{pk}/resolve",
                     answer.url, data={"decision": "approved", "line": line,
                                       "next": answer.url})
    assert done.status_code == 200 and lost not in done.text.split('id="unknown-absent"')[0]

    second = run("kiosk-sync", "--config", config, "--once")
    assert second.returncode == 0, second.stderr
    recorded = reconcile.decisions(ledger)[lost]
    assert (recorded.decision, recorded.acquirer_reference) == ("charged", "Z9Y8X7")
    assert recorded.operator == "central:olga"
    status = json.loads(run("kioskctl", "--config", config, "status", "--json").stdout)
    assert status["unreconciled"] == 0
    assert not any("reconcil" in p for p in status["problems"])

    # The kiosk's audit row rides on the next heartbeat: the decision is acknowledged.
    assert run("kiosk-sync", "--config", config, "--once").returncode == 0
    exchanges = kiosk.central.server.exchanges
    answers = [e["response"] for e in exchanges if e["route"] == "heartbeat"]
    assert [len(a.get("decisions", [])) for a in answers] == [0, 1, 0]
    for exchange in exchanges:
        check_exchange(exchange)  # the answer's decisions as central_api/openapi.yaml says
    assert central_shell(kiosk, (
        "from central.reconciliation.models import OutcomeDecision; "
        "d = OutcomeDecision.objects.get(); "
        "print(d.device_answer, d.acknowledged_at is not None, d.donation.state)")) \
        == "applied True approved"
