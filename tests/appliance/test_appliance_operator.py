"""kioskctl operator commands on real ledger files: reconcile, status, logs, self-test; and
the decoder of what systemctl show answers (the bridge's status line: tests/payment)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.ledger import Ledger, Limits
from kiosk.ops import reconcile, services
from kiosk.ops.kioskctl.logs_cmd import journalctl_argv
from tests.appliance.kiosk_config import write_config

BIN = Path(sys.executable).parent


def kioskctl(config: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([BIN / "kioskctl", "--config", str(config), *argv],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def kiosk(tmp_path: Path) -> tuple[Path, Ledger]:
    config = write_config(tmp_path)
    ledger = Ledger.open(tmp_path / "data/kiosk.db", Limits(15000, 300000, 0))
    yield config, ledger
    ledger.close()


def unknown_donation(ledger: Ledger, cents: int = 500) -> str:
    d = ledger.create_pending("proj-1", cents, "EUR")
    ledger.finish(d.id, "unknown", reason="answer lost after the card was presented")
    return d.id


def test_reconcile_lists_then_records_one_decision(kiosk: tuple[Path, Ledger]) -> None:
    config, ledger = kiosk
    lost = unknown_donation(ledger, 1200)
    approved = ledger.create_pending("proj-1", 300, "EUR")
    ledger.finish(approved.id, "approved", auth_code="A1")

    listing = kioskctl(config, "reconcile", "list", "--json")
    assert listing.returncode == 1  # something needs an operator
    assert [d["id"] for d in json.loads(listing.stdout)["unresolved"]] == [lost]
    status = json.loads(kioskctl(config, "status", "--json").stdout)
    assert status["unreconciled"] == 1
    assert any("reconcil" in p for p in status["problems"])

    decided = kioskctl(config, "reconcile", "decide", lost, "charged",
                       "--acquirer-ref", "ACQ-2026-11-0042", "--operator", "alice")
    assert decided.returncode == 0, decided.stderr
    again = kioskctl(config, "reconcile", "decide", lost, "not_charged",
                     "--acquirer-ref", "ACQ-2")
    assert again.returncode == 2 and "already reconciled as charged" in again.stderr
    wrong = kioskctl(config, "reconcile", "decide", approved.id, "charged",
                     "--acquirer-ref", "X1")
    assert wrong.returncode == 2 and "approved, not unknown" in wrong.stderr

    assert kioskctl(config, "reconcile").returncode == 0
    assert reconcile.decisions(ledger)[lost].decision == "charged"
    assert reconcile.decisions(ledger)[lost].operator == "alice"
    # The donation row itself is never rewritten: unknown stays unknown, kept for sync.
    assert ledger.get(lost).state == "unknown"
    status = json.loads(kioskctl(config, "status", "--json").stdout)
    assert status["unreconciled"] == 0


@pytest.mark.parametrize("ref", ["", "has space", "x" * 65])
def test_reconcile_needs_a_real_acquirer_reference(kiosk: tuple[Path, Ledger], ref: str) -> None:
    _, ledger = kiosk
    with pytest.raises(reconcile.ReconcileError, match="acquirer"):
        reconcile.decide(ledger, unknown_donation(ledger), "charged", ref, "bob")


def test_status_json_has_the_appliance_fields(kiosk: tuple[Path, Ledger]) -> None:
    config, _ = kiosk
    done = kioskctl(config, "status", "--json")
    info = json.loads(done.stdout)
    for key in ("version", "release", "systemd", "terminal", "clock_synchronised", "backlog",
                "disk_free_bytes", "problems"):
        assert key in info, key
    # No bridge runs here: the terminal is reported, and the exit code says "problem".
    assert info["terminal"]["connected"] is False
    assert any(p.startswith("terminal:") for p in info["problems"])
    assert done.returncode == 1


def test_self_test_reports_each_check(kiosk: tuple[Path, Ledger]) -> None:
    config, _ = kiosk
    done = kioskctl(config, "self-test", "--no-terminal", "--json")
    report = json.loads(done.stdout)
    levels = {c["name"]: c["level"] for c in report["checks"]}
    assert levels["ledger"] == "ok" and levels["data directory"] == "ok"
    assert levels["enrollment"] == "warn"  # no token yet: a warning, not a failure
    assert report["ok"] is True and done.returncode == 0
    failing = kioskctl(config, "self-test")  # with the terminal: no bridge here
    assert failing.returncode == 1 and "FAIL  terminal" in failing.stdout


def test_self_test_fails_on_a_token_readable_by_others(kiosk: tuple[Path, Ledger]) -> None:
    config, _ = kiosk
    token = config.parent / "device-token"
    token.write_text("secret\n")
    token.chmod(0o644)
    done = kioskctl(config, "self-test", "--no-terminal")
    assert done.returncode == 1 and "must be 0600" in done.stdout


def test_logs_runs_journalctl_for_the_kiosk_units(kiosk: tuple[Path, Ledger]) -> None:
    config, _ = kiosk
    assert journalctl_argv(["bridge"], "1 hour ago", 50, False) == [
        "journalctl", "--no-pager", "--output=short-iso", "--lines=50",
        "--unit=firmware-bridge.service", "--since=1 hour ago"]
    assert journalctl_argv([], None, 10, True)[-4:] == [
        "--unit=kiosk.service", "--unit=firmware-bridge.service", "--unit=kiosk-sync.service",
        "--follow"]
    # The real journalctl (no journal on this machine: it says so and exits 0).
    done = kioskctl(config, "logs", "sync", "--lines", "5")
    assert done.returncode == 0, done.stderr
    bad = kioskctl(config, "logs", "printer")
    assert bad.returncode == 2 and "unknown service 'printer'" in bad.stderr


SHOW = """Id=kiosk.service
LoadState=loaded
ActiveState=active
SubState=running
NRestarts=3
ActiveEnterTimestamp=Sat 2026-11-21 05:00:00 UTC
Result=success

Id=kiosk-sync.service
LoadState=loaded
ActiveState=failed
SubState=failed
NRestarts=0
ActiveEnterTimestamp=
Result=exit-code
"""


def test_systemctl_show_is_read_into_plain_problems() -> None:
    blocks = services.parse_show(SHOW)
    assert [b["Id"] for b in blocks] == ["kiosk.service", "kiosk-sync.service"]
    units = {b["Id"]: services._unit_summary(b) for b in blocks}
    assert units["kiosk.service"]["restarts"] == 3 and units["kiosk.service"]["active"]
    problems = services.unit_problems({"available": True, "units": units})
    assert problems == ["kiosk-sync.service is not running (failed/failed, last result "
                        "exit-code)"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_systemctl_output_parses_to_key_value_blocks(text: str) -> None:
    for block in services.parse_show(text):
        assert all(isinstance(k, str) and k.isidentifier() for k in block)
        services._unit_summary(block)
