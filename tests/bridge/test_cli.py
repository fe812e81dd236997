"""``firmware-bridge`` probe / pay / simulate as real processes on a real pty."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest

from firmware_bridge.simulator import AcquirerRecord

CLI = [sys.executable, "-m", "firmware_bridge.cli"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=30)


FAST = ("--byte-timeout", "0.3", "--card-wait", "1")


@pytest.fixture
def simulate_process(short_dir):
    """``firmware-bridge simulate`` in its own process; yields its link path and record file."""
    procs = []

    def start(*args: str):
        link, record = short_dir / "term", short_dir / "record.jsonl"
        proc = subprocess.Popen([*CLI, "simulate", "--link", str(link), "--record", str(record),
                                 "--byte-timeout", "0.3", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == str(link)  # printed once the pty is ready
        return link, record

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=5)


def test_probe_finds_the_simulated_terminal(simulate_process):
    link, _ = simulate_process()
    done = cli("probe", "--device", str(link), "--json", *FAST)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


def test_probe_of_a_missing_device_fails_plainly(short_dir):
    done = cli("probe", "--device", str(short_dir / "nothing"), *FAST)
    assert done.returncode == 1 and "NO TERMINAL" in done.stdout


def test_pay_through_the_journal_never_sends_a_reference_twice(simulate_process, short_dir):
    link, record = simulate_process("--protocol", "concert-v3", "--script", "approve,approve")
    journal = short_dir / "journal.db"
    reference = str(uuid.uuid4())
    args = ["pay", "--device", str(link), "--protocol", "concert-v3", "--amount-cents", "1234",
            "--reference", reference, "--journal", str(journal), "--json", *FAST]
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert (doc["status"], doc["reference"], doc["amount_cents"]) == ("approved", reference, 1234)
    assert doc["replayed"] is False
    again = json.loads(cli(*args).stdout)
    assert again["status"] == "approved" and again["replayed"] is True
    time.sleep(0.2)
    approvals = AcquirerRecord.read(record)
    assert [(a.reference, a.amount_cents) for a in approvals] == [(reference, 1234)]


def test_pay_declined_exits_1_with_a_plain_line(simulate_process, short_dir):
    link, _ = simulate_process("--script", "decline")
    done = cli("pay", "--device", str(link), "--amount-cents", "500", "--reference", "r-1",
               "--journal", str(short_dir / "j.db"), *FAST)
    assert done.returncode == 1 and done.stdout.startswith("declined: 500 cents EUR")


def test_pay_rejects_a_bad_amount_before_anything(short_dir):
    done = cli("pay", "--device", str(short_dir / "x"), "--amount-cents", "-3", "--reference",
               "r", "--journal", str(short_dir / "j.db"))
    assert done.returncode == 2 and not (short_dir / "j.db").exists()


def test_simulate_rejects_a_bad_script(short_dir):
    done = cli("simulate", "--link", str(short_dir / "t"), "--script", "approve+teleport")
    assert done.returncode == 2 and "teleport" in done.stderr


def test_simulate_v3_over_tcp_prints_its_address(short_dir):
    proc = subprocess.Popen([*CLI, "simulate", "--protocol", "concert-v3", "--tcp-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("127.0.0.1:")
        done = cli("pay", "--tcp", "--device", address, "--protocol", "concert-v3",
                   "--amount-cents", "250", "--reference", str(uuid.uuid4()), "--journal",
                   str(short_dir / "j.db"), "--json", *FAST)
        assert json.loads(done.stdout)["status"] == "approved"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
