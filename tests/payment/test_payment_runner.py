"""One donation attempt against a real ledger file: the ledger state for every bridge outcome,
and what happens when the bridge or the ledger fails mid-way. Outcomes come from the real
bridge service and the terminal simulator on a pty (tests/helpers/real_bridge.py); ``ScriptedPort``
(tests/screen/screen_fixtures.py) stands in where no terminal exchange is under test: answers of a
faulty bridge (an outcome for another amount, garbled ones), a port that must never be called
(guard refusal), the ledger made read-only during a pay, and health inputs given by hand."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_bridge.script import parse_step
from kiosk.payment.client import FINAL_STATUSES, BridgeClient, parse_outcome
from kiosk.payment.outcomes import NEVER_SENT
from kiosk.payment.port import BridgePort
from kiosk.payment.recovery import resolve_pending
from kiosk.payment.runner import run_donation
from kiosk.screen.donation_flow import FlowOutcome
from kiosk.screen.health import check_health, read_terminal
from tests.helpers.real_bridge import RealBridge, start_bridge
from tests.screen.screen_fixtures import ScriptedPort, open_ledger


@pytest.fixture
def ledger(tmp_path):
    led = open_ledger(tmp_path / "kiosk.db")
    yield led
    led.close()


def donate(ledger, port, amount=500, **kw):
    seen = {"started": [], "progress": []}
    result = run_donation(ledger, port, "proj-1", amount, "EUR",
                          on_started=seen["started"].append,
                          on_progress=lambda s, c: seen["progress"].append((s, c)),
                          result_wait_s=kw.get("result_wait_s", 0.2), poll_s=0.01)
    return result, seen


@pytest.fixture
def protocol() -> str:
    """The terminal's protocol; a test parametrising ``protocol`` overrides it."""
    return "concert-v2"


@pytest.fixture
def bridge(protocol: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealBridge]:
    # mktemp's path is short enough for the bridge's Unix socket; tmp_path may not be.
    real = start_bridge(tmp_path_factory.mktemp("pr"), card_wait_s=1.0, protocol=protocol)
    deadline = time.monotonic() + 5
    while real.sim.probes == 0:  # the start-up probe must not meet the fault set up next
        assert time.monotonic() < deadline, "the bridge never probed the terminal"
        time.sleep(0.01)
    yield real
    real.stop()


def port_of(bridge: RealBridge, pay_timeout_s: float = 10) -> BridgePort:
    return BridgePort(BridgeClient(bridge.socket_path, timeout_s=2, pay_timeout_s=pay_timeout_s))


# How the simulated terminal gives each outcome: a script step, or its device taken away.
TERMINAL_DOES = {"approved": "approve", "declined": "decline", "cancelled": "cancel",
                 "timeout": "approve+silence", "link_error": None,
                 "unknown": "approve+lose_answer"}


V2, V3 = "concert-v2", "concert-v3"


@pytest.mark.parametrize(("status", "state", "shown", "protocol"), [
    ("approved", "approved", FlowOutcome.APPROVED, V2),
    ("declined", "declined", FlowOutcome.DECLINED, V2),
    # V2 has no distinct cancel status (a V2 terminal's cancel is reported declined).
    ("cancelled", "cancelled", FlowOutcome.CANCELLED, V3),
    ("timeout", "failed", FlowOutcome.TIMEOUT, V2),
    ("link_error", "failed", FlowOutcome.TERMINAL_ERROR, V2),
    ("unknown", "unknown", FlowOutcome.UNKNOWN, V2),
])
def test_each_bridge_outcome_is_recorded_before_it_is_shown(ledger, bridge, status, state,
                                                            shown):
    step = TERMINAL_DOES[status]
    if step is None:
        bridge.sim.stop()  # unplugged after the bridge saw it
    else:
        bridge.sim.script.push(parse_step(step))
    result, seen = donate(ledger, port_of(bridge))
    donation = ledger.get(result.donation_id)
    assert result.outcome is shown and donation.state == state
    assert seen["started"] == [donation.id]
    journaled = BridgeClient(bridge.socket_path).result(donation.id)
    assert journaled.status == status  # the bridge's own record of this very reference
    assert seen["progress"][0] == ("connecting", True)
    if status in ("approved", "declined", "cancelled", "unknown"):
        assert ("waiting_card", False) in seen["progress"]
    taken = [a.amount_cents for a in bridge.sim.record.approvals]
    assert taken == ([500] if status in ("approved", "unknown") else [])
    if status == "approved":
        assert donation.card_suffix == "4242"
    if status in ("timeout", "link_error"):
        assert donation.reason.startswith(f"{status}: ")


def test_guard_refusal_charges_nothing(tmp_path):
    ledger = open_ledger(tmp_path / "kiosk.db", offline_cap_cents=400)
    port = ScriptedPort()
    result, seen = donate(ledger, port, amount=500)
    assert result.outcome is FlowOutcome.NOT_STARTED and "offline_cap" in result.detail
    assert port.pay_calls == [] and seen["started"] == []
    assert ledger.db.conn.execute("SELECT count(*) FROM donations").fetchone()[0] == 0


def test_bridge_unreachable_before_sending_is_a_failed_donation(ledger, tmp_path):
    port = BridgePort(BridgeClient(tmp_path / "no-bridge.sock"))  # nothing listens there
    result, _ = donate(ledger, port)
    assert result.outcome is FlowOutcome.TERMINAL_ERROR
    row = ledger.get(result.donation_id)
    assert row.state == "failed" and "bridge unreachable" in row.reason


def test_lost_connection_asks_for_the_result_never_pays_twice(ledger, bridge):
    # The client gives up on the connection during the card wait; the bridge carries on.
    bridge.sim.script.push(parse_step("approve:0.7"))
    result, _ = donate(ledger, port_of(bridge, pay_timeout_s=0.3), result_wait_s=10)
    assert result.outcome is FlowOutcome.APPROVED
    assert ledger.get(result.donation_id).state == "approved"
    assert [a.amount_cents for a in bridge.sim.record.approvals] == [500]
    assert len(bridge.sim.requests_seen) == 1  # asked with result, never paid again


def test_in_progress_keeps_the_screen_asking_until_the_real_outcome(ledger, bridge):
    # The bridge says in_progress for longer than result_wait_s (a restarted bridge listens
    # for the terminal's late answer for the rest of the card wait): the screen keeps asking
    # and shows the real outcome instead of a premature unknown.
    bridge.sim.script.push(parse_step("approve:0.7"))
    result, _ = donate(ledger, port_of(bridge, pay_timeout_s=0.3), result_wait_s=0.2)
    assert result.outcome is FlowOutcome.APPROVED
    assert ledger.get(result.donation_id).state == "approved"
    assert len(bridge.sim.requests_seen) == 1


class SocketGoneAfterPay(BridgePort):
    """The real port; once its pay connection is lost, the bridge's socket disappears too (a
    bridge restarting), so ``result`` cannot reach anyone."""

    def __init__(self, bridge: RealBridge):
        super().__init__(BridgeClient(bridge.socket_path, timeout_s=0.5, pay_timeout_s=0.3))
        self.socket_path = bridge.socket_path

    def pay(self, *args, **kwargs):
        try:
            return super().pay(*args, **kwargs)
        except Exception:
            self.socket_path.unlink()
            raise


def test_no_answer_in_time_leaves_the_donation_pending_for_recovery(ledger, bridge):
    bridge.sim.script.push(parse_step("approve:0.7"))
    result, _ = donate(ledger, SocketGoneAfterPay(bridge), result_wait_s=0.3)
    assert result.outcome is FlowOutcome.UNKNOWN
    assert ledger.get(result.donation_id).state == "pending"  # recovery resolves it
    assert len(bridge.sim.requests_seen) == 1


class ReadOnlyAfterStart(ScriptedPort):
    """The database stops accepting writes while the card is being read (a real SQLite
    refusal, via PRAGMA query_only on the ledger's own connection)."""

    def __init__(self, ledger):
        super().__init__(outcome="approved", card_wait_s=0.01)
        self.ledger = ledger

    def pay(self, reference, amount_cents, currency, on_progress):
        self.ledger.db.conn.execute("PRAGMA query_only = 1")
        return super().pay(reference, amount_cents, currency, on_progress)


def test_approval_that_cannot_be_recorded_is_never_thanked(ledger):
    result, _ = donate(ledger, ReadOnlyAfterStart(ledger))
    assert result.outcome is FlowOutcome.NOT_RECORDED
    ledger.db.conn.execute("PRAGMA query_only = 0")
    assert ledger.get(result.donation_id).state == "pending"


def test_health_follows_terminal_guards_and_sync(tmp_path):
    ledger = open_ledger(tmp_path / "kiosk.db", offline_cap_cents=1000)
    ok = check_health(ledger, read_terminal(ScriptedPort()), 200)
    assert ok.available and ok.online and ok.receipt_key is None
    assert ledger.service_status()["kiosk"]["out_of_service"] is None
    down = check_health(ledger, read_terminal(ScriptedPort(connected=False)), 200, True,
                        ok.status_row)
    assert not down.available and "terminal" in down.reason
    row = ledger.service_status()["kiosk"]
    assert row["terminal"] == {"connected": False, "last_error": "terminal unplugged"}
    assert row["out_of_service"] == down.reason
    ledger.set_service_status("sync", {"online": False})
    ledger.set_setting("receipt_key", "abcd")
    donate(ledger, ScriptedPort(card_wait_s=0.01), amount=900)  # 900 of 1000 now at risk
    capped = check_health(ledger, read_terminal(ScriptedPort()), 200)
    assert not capped.available and "offline_cap" in capped.reason
    assert not capped.online and capped.receipt_key == "abcd"
    assert not check_health(ledger, None, 200, has_port=False).available


def test_featured_projects_key_follows_the_owners_choice(ledger, tmp_path):
    """The screen re-reads the featured projects at each health check and reloads the loop
    when this key changes (a new catalog from kiosk-sync, or a new featured choice)."""
    from kiosk.core import db as dbmod
    from kiosk.screen.startup import load_projects

    version, projects = load_projects(ledger, tmp_path, 6)
    assert projects and version.startswith("demo:")  # never synced: the bundled catalog
    chosen = [projects[2].id, projects[0].id]
    with dbmod.immediate(ledger.db) as conn:
        conn.executemany("INSERT INTO featured (position, project_id) VALUES (?, ?)",
                         list(enumerate(chosen)))
    new_version, new_projects = load_projects(ledger, tmp_path, 6)
    assert [p.id for p in new_projects] == chosen and new_version != version
    assert load_projects(ledger, tmp_path, 6)[0] == new_version  # stable while unchanged


class AnswersWith(ScriptedPort):
    """A bridge that answers ``pay`` and ``result`` with a given outcome object. The real
    bridge refuses a reference reused for another amount, so an outcome for the wrong amount
    can only come from a faulty bridge: this stand-in plays it, and reads its lines with the
    client's own parser (``pay`` takes only a final status, as the client does)."""

    def __init__(self, outcome):
        super().__init__()
        self.outcome_object = outcome

    def pay(self, reference, amount_cents, currency, on_progress):
        self.pay_calls.append(reference)
        return parse_outcome({"event": "outcome", "reference": reference, **self.outcome_object},
                             FINAL_STATUSES)

    def result(self, reference):
        return parse_outcome({"ok": True, "event": "outcome", "reference": reference,
                              **self.outcome_object})


@pytest.mark.parametrize(("amount", "currency"), [(5000, "EUR"), (500, "CHF"), (None, None)])
def test_an_outcome_for_another_amount_is_never_recorded_approved(ledger, amount, currency):
    port = AnswersWith({"status": "approved", "amount_cents": amount, "currency": currency,
                        "auth_code": "A1", "card_suffix": "4242", "reason": None})
    result, _ = donate(ledger, port, amount=500)
    row = ledger.get(result.donation_id)
    assert result.outcome is FlowOutcome.UNKNOWN and row.state == "unknown"
    assert row.reason.startswith("amount mismatch:")
    assert f"{amount} {currency}" in row.reason and "500 EUR" in row.reason


outcomes = st.fixed_dictionaries({
    "status": st.sampled_from(["approved", "declined", "cancelled", "timeout", "link_error",
                               "unknown", "not_found", "garbled"]),
    "amount_cents": st.sampled_from([500, 501, None]),
    "currency": st.sampled_from(["EUR", "CHF", None]),
    "auth_code": st.sampled_from([None, "A1B2C3"]),
    "card_suffix": st.sampled_from([None, "4242"]),
    "reason": st.sampled_from([None, "no ACK", "lost"]),
})


@settings(deadline=None, max_examples=60,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outcome=outcomes)
def test_an_outcome_is_stored_the_same_live_and_after_a_restart(tmp_path_factory, outcome):
    directory = tmp_path_factory.mktemp("same")
    live_ledger = open_ledger(directory / "live.db")
    restart_ledger = open_ledger(directory / "restart.db")
    try:
        port = AnswersWith(outcome)
        result, _ = donate(live_ledger, port, amount=500)
        live = live_ledger.get(result.donation_id)
        pending = restart_ledger.create_pending("proj-1", 500, "EUR")
        resolve_pending(restart_ledger, port)
        later = restart_ledger.get(pending.id)
        if outcome["status"] == "garbled":
            # Live: money may have been taken; at start-up: ask again later.
            assert live.state == "unknown" and later.state == "pending"
            return
        if outcome["status"] == "not_found":
            # Only ``result`` may say not_found: as a pay answer it is garbled (money may have
            # been taken); at start-up it never reached the terminal.
            assert live.state == "unknown" and live.reason.startswith("unreadable outcome")
            assert later.state == "failed" and later.reason == NEVER_SENT
            return
        assert (live.state, live.reason, live.auth_code, live.card_suffix) == \
            (later.state, later.reason, later.auth_code, later.card_suffix)
        matches = outcome["amount_cents"] == 500 and outcome["currency"] == "EUR"
        if outcome["status"] == "approved":
            assert live.state == ("approved" if matches else "unknown")
        assert live.state != "approved" or matches
    finally:
        live_ledger.close()
        restart_ledger.close()
