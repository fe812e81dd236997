"""kioskctl: status, export, config and db commands, with their exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.core import db as dbmod
from kiosk.core.ledger import Ledger, Limits
from kiosk.ops.kioskctl import main
from tests.conftest import write_config

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse and load_config_or_exit exit this way
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def filled(cfg):
    led = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    ids = {}
    for state, cents in [("approved", 500), ("approved", 1000), ("declined", 200),
                         ("unknown", 300), ("pending", 700)]:
        d = led.create_pending("proj-a", cents, "EUR")
        if state != "pending":
            led.finish(d.id, state)
        ids.setdefault(state, []).append(d.id)
    with dbmod.immediate(led.db) as conn:
        conn.execute("UPDATE donations SET created_at = '2026-10-15T10:00:00.000Z' WHERE seq = 1")
    led.close()
    return ids


def test_status_json_counts_sums_and_problems(capsys, config_file, filled):
    code, out, _ = run(capsys, "--config", str(config_file), "status", "--json")
    info = json.loads(out)
    assert info["device_id"] == "test-kiosk"
    assert info["by_state"]["approved"] == {"count": 2, "cents": 1500}
    assert info["by_state"]["pending"]["count"] == 1
    assert info["backlog"]["count"] == 4 and info["backlog"]["cents"] == 2000
    assert info["backlog"]["oldest_age_s"] > 0
    assert info["database"]["ok"] is True and info["disk_free_bytes"] > 0
    assert any("unknown outcome" in p for p in info["problems"])
    assert code == 1  # an unknown outcome needs the operator


NO_BRIDGE = "terminal: the payment bridge is not running"


def test_status_human_and_exit_code(capsys, cfg, config_file):
    Ledger.open(cfg.ledger_path, Limits.from_config(cfg)).close()  # as the screen leaves it
    code, out, _ = run(capsys, "status", "--config", str(config_file))
    # No bridge runs in this test, and that is the one thing the operator is told.
    assert code == 1 and "test-kiosk" in out
    code, out, _ = run(capsys, "status", "--json", "--config", str(config_file))
    assert [p.split(" (")[0] for p in json.loads(out)["problems"]] == [NO_BRIDGE]


def test_status_shows_service_alarms(capsys, cfg, config_file):
    led = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    led.set_service_status("sync", {"online": False, "alarms": ["the device token was revoked"]})
    led.close()
    code, out, _ = run(capsys, "--config", str(config_file), "status")
    assert code == 1 and "sync: the device token was revoked" in out


def test_export_csv_and_json_over_a_date_range(capsys, config_file, filled, tmp_path):
    code, out, _ = run(capsys, "--config", str(config_file), "export", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 5
    code, out, _ = run(capsys, "--config", str(config_file), "export", "--from", "2026-10-01",
                       "--to", "2026-10-31")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["amount_cents"] for r in rows] == ["500"]
    target = tmp_path / "out.csv"
    code, _, _ = run(capsys, "--config", str(config_file), "export", "--from", "2026-11-01",
                     "-o", str(target))
    assert code == 0 and len(list(csv.DictReader(target.open()))) >= 4
    code, _, err = run(capsys, "--config", str(config_file), "export", "--from", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in err


def test_config_validate_exit_codes(capsys, config_file, tmp_path):
    assert run(capsys, "config", "validate", "--config", str(config_file))[0] == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[device]\nid = "x"\nretention = 3\n')
    code, _, err = run(capsys, "config", "validate", "--config", str(bad))
    assert code == 2 and "device.retention" in err and str(bad) in err
    code, out, _ = run(capsys, "config", "show", "--config", str(config_file))
    assert code == 0 and json.loads(out)["device"]["id"] == "test-kiosk"


def test_db_check_names_what_the_schema_lacks(capsys, cfg, config_file, filled):
    with dbmod.immediate(Ledger.open(cfg.ledger_path, Limits.from_config(cfg)).db) as conn:
        conn.execute("DROP TABLE featured")
    code, out, _ = run(capsys, "--config", str(config_file), "db", "check")
    assert code == 1 and "FAILED" in out and "table featured is missing" in out


def test_db_check_names_a_wrong_offline_cap_counter(capsys, cfg, config_file, filled):
    with dbmod.immediate(Ledger.open(cfg.ledger_path, Limits.from_config(cfg)).db) as conn:
        conn.execute("UPDATE counters SET value = 5 WHERE name = 'at_risk_cents'")  # a hand edit
    code, out, _ = run(capsys, "--config", str(config_file), "db", "check")
    # approved 500 + 1000, unknown 300, pending 700: the rows are the truth
    assert code == 1 and "at-risk counter says 5 cents but the unsynced donations sum to 2500" \
        in out and "resets it to the sum when it next starts" in out
    Ledger.open(cfg.ledger_path, Limits.from_config(cfg)).close()  # the kiosk's next start
    assert run(capsys, "--config", str(config_file), "db", "check")[0] == 0


def test_db_check_and_resume(capsys, cfg, config_file, filled):
    assert run(capsys, "--config", str(config_file), "db", "check")[0] == 0
    raw = bytearray(cfg.ledger_path.read_bytes())
    raw[0:16] = b"not sqlite at al"
    cfg.ledger_path.write_bytes(bytes(raw))
    code, out, _ = run(capsys, "--config", str(config_file), "db", "check")
    assert code == 1 and "FAILED" in out
    code, _, err = run(capsys, "--config", str(config_file), "export")  # moves it aside
    assert code == 1 and "moved to" in err
    code, out, _ = run(capsys, "--config", str(config_file), "status")
    assert code == 1 and "out of service" in out
    code, out, _ = run(capsys, "--config", str(config_file), "db", "resume")
    assert code == 0 and "corrupt" in out
    code, out, _ = run(capsys, "--config", str(config_file), "status", "--json")
    assert [p.split(" (")[0] for p in json.loads(out)["problems"]][0] == NO_BRIDGE
    assert "there is no ledger" in json.loads(out)["problems"][1]  # status does not make one
    Ledger.open(cfg.ledger_path, Limits.from_config(cfg)).close()  # the screen's next start
    code, out, _ = run(capsys, "--config", str(config_file), "status", "--json")
    assert [p.split(" (")[0] for p in json.loads(out)["problems"]] == [NO_BRIDGE]


def test_usage_errors_exit_2(capsys, config_file):
    assert run(capsys)[0] == 2
    assert run(capsys, "--config", str(config_file), "no-such-command")[0] == 2
    assert run(capsys, "--config", str(config_file), "export", "--format", "xml")[0] == 2


def test_console_script_runs_and_reads_kiosk_config_env(tmp_path):
    path = write_config(tmp_path)
    result = subprocess.run([sys.executable, "-m", "kiosk.ops.kioskctl", "status", "--json"],
                            cwd=REPO, capture_output=True, text=True,
                            env={"KIOSK_CONFIG": str(path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stderr  # 1: no bridge is running
    assert json.loads(result.stdout)["device_id"] == "test-kiosk"
    version = subprocess.run([sys.executable, "-m", "kiosk.ops.kioskctl", "version"], cwd=REPO,
                             capture_output=True, text=True)
    assert version.stdout.strip() == __import__("kiosk").__version__


def test_read_only_commands_never_create_the_ledger(capsys, tmp_path):
    config = write_config(tmp_path, device={"data_dir": str(tmp_path / "no" / "such" / "dir")})
    code, out, _ = run(capsys, "status", "--json", "--config", str(config))
    missing = [p for p in json.loads(out)["problems"] if "there is no ledger" in p]
    assert code == 1 and len(missing) == 1
    assert str(tmp_path / "no" / "such" / "dir" / "kiosk.db") in missing[0]
    for argv in (["reconcile", "list"],):
        code, _, err = run(capsys, "--config", str(config), *argv)
        assert code == 1 and "there is no ledger" in err, argv
    assert not (tmp_path / "no").exists()


def test_status_opens_an_existing_ledger_read_only(capsys, cfg, config_file, filled):
    before = cfg.ledger_path.read_bytes()
    code, out, _ = run(capsys, "status", "--json", "--config", str(config_file))
    assert json.loads(out)["by_state"]["approved"]["count"] == 2
    assert cfg.ledger_path.read_bytes() == before
    # Only SQLite's own shared-memory files may appear beside it (a reader of a WAL file).
    assert {p.name for p in cfg.data_dir.iterdir()} <= {"kiosk.db", "kiosk.db-wal",
                                                        "kiosk.db-shm"}


# What each step of the simulator's script gives, donation by donation (V2 has no distinct
# cancel status: the terminal's status 9 is a decline there).
STEP_STATE = {"approve": "approved", "approve+no_eot+split": "approved",
              "approve+nak_first_frame+stray_byte": "approved", "approve+corrupt_lrc": "approved",
              "approve+lose_answer": "unknown", "decline": "declined"}
CANCEL_STATE = {"concert-v2": "declined", "concert-v3": "cancelled"}


@pytest.mark.parametrize("protocol", ["concert-v2", "concert-v3"])
def test_simulate_runs_from_a_fresh_clone_through_the_screens_path(tmp_path, protocol):
    # No --config, no KIOSK_CONFIG, no installed file: the README's command as it stands.
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    done = subprocess.run([Path(sys.executable).parent / "kioskctl", "simulate",
                           "--donations", "30", "--seed", "5", "--protocol", protocol,
                           "--work-dir", str(tmp_path / "sim")],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["consistent"] is True and summary["refused_by_guards"] == {}
    per = summary["per_donation"]
    assert len(per) == 30 and {d["step"] for d in per} >= {"approve", "decline", "cancel",
                                                            "approve+lose_answer"}
    for d in per:
        expected = CANCEL_STATE[protocol] if d["step"] == "cancel" else STEP_STATE[d["step"]]
        assert d["state"] == expected, d
        # The screen's outcome (run_donation's), recorded before it was shown.
        assert d["shown"] == expected and d["bridge_status"] == expected
    ledger = Ledger.open(tmp_path / "sim" / "kiosk.db", Limits(15000, 10**7, 0))
    try:
        rows = {d.id: d for d in ledger.between(None, None)}
        assert {d["reference"]: d["state"] for d in per} == \
            {ref: row.state for ref, row in rows.items()}
        lost = [rows[d["reference"]] for d in per if d["step"] == "approve+lose_answer"]
        assert lost and all(r.reason for r in lost)
    finally:
        ledger.close()


@pytest.fixture
def central(tmp_path):
    from central.testing.process import start

    # A device has one live code at a time: each test issues the one it uses.
    api = start(tmp_path / "central.db", device_id="test-kiosk")
    yield api
    api.stop()


def test_enroll_reads_the_code_from_stdin_or_a_file(capsys, tmp_path, central, monkeypatch):
    config = write_config(tmp_path, api={"base_url": central.url})
    central.store.add_enroll_code("CODE-A1")
    monkeypatch.setattr(sys, "stdin", io.StringIO("CODE-A1\n"))
    code, out, err = run(capsys, "--config", str(config), "enroll", "--stdin")
    assert code == 0 and "enrolled test-kiosk" in out and "warning" not in err
    token = (tmp_path / "token").read_text()
    # Enrolling again takes a revoke, then a new code (the service refuses a second one).
    central.store.revoke("test-kiosk")
    central.store.add_enroll_code("CODE-B2")
    code_file = tmp_path / "code.txt"
    code_file.write_text("CODE-B2\n")
    code, out, err = run(capsys, "--config", str(config), "enroll", "--code-file",
                         str(code_file))
    assert code == 0 and "enrolled test-kiosk" in out and "warning" not in err
    assert (tmp_path / "token").read_text() != token


def test_enroll_code_on_the_command_line_still_works_with_a_warning(capsys, tmp_path, central):
    config = write_config(tmp_path, api={"base_url": central.url})
    central.store.add_enroll_code("CODE-C3")
    code, out, err = run(capsys, "--config", str(config), "enroll", "CODE-C3")
    assert code == 0 and "enrolled test-kiosk" in out
    assert "deprecated" in err and "ps" in err and "--stdin" in err


@pytest.mark.parametrize(("argv", "stdin", "says"), [
    ([], "", "exactly one of --stdin or --code-file (given: none)"),
    (["--stdin", "CODE-A1"], "CODE-A1\n", "given: --stdin, CODE"),
    (["--stdin"], "\n", "the enrollment code is empty"),
    (["--code-file", "/nonexistent/code"], "", "cannot read the enrollment code from"),
])
def test_enroll_without_one_code_sends_nothing(capsys, tmp_path, central, monkeypatch, argv,
                                               stdin, says):
    config = write_config(tmp_path, api={"base_url": central.url})
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code, _, err = run(capsys, "--config", str(config), "enroll", *argv)
    assert code == 2 and says in err
    assert not (tmp_path / "token").exists() and not (tmp_path / "data").exists()
