"""The crash-and-fault soak of the kiosk side: real processes, random SIGKILLs, one invariant.

What runs, all on 127.0.0.1 and under one work directory:

- the terminal simulator (``firmware-bridge simulate``) on a real pty, with a seeded script of
  outcomes and line faults; its ``--record`` file is the acquirer's own list of approvals;
- the bridge (``firmware-bridge serve``), kiosk-sync (``kiosk.sync.service``) and the donor
  (``tests.soak.driver``: the screen's payment path), each restarted after a short delay when
  it dies, as systemd would;
- the central service (``central serve`` in a process of its own, SQLite, real HTTP) with
  random batch faults.

A seeded killer SIGKILLs the bridge, kiosk-sync or the driver at random moments, half of the
time while a payment is in flight. When the time or the donations are used up the killing
stops, the faults are cleared and everything settles: the driver resolves what is pending and
exits, kiosk-sync drains. Then the check (see :func:`check`): every reference the acquirer
approved is in the ledger as approved (or ``unknown``, flagged for the operator) and on the
central side exactly once; nothing approved that was not charged; nothing charged twice;
nothing pending; nothing unsent.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from central.testing.process import Running, start
from firmware_bridge.concert_v2 import short_reference
from firmware_bridge.journal import CRASHED_REASON
from firmware_bridge.simulator import AcquirerRecord
from kiosk.core import config as configmod
from kiosk.core.ledger import Ledger, Limits
from kiosk.sync.enroll import enroll
from kiosk.sync.service import make_client

ROOT = Path(__file__).resolve().parents[2]
DEVICE_ID = "soak-kiosk-01"
ENROLL_CODE = "SOAK-CODE-1"
PROCESSES = ("bridge", "sync", "driver")

# What the simulated customers and terminal do, with weights. Card delays leave a window to
# kill in; line faults (NAK, bad LRC, stray bytes, split writes, no EOT, a lost answer, the
# device re-created) must never cost a donation.
STEPS: list[tuple[str, int]] = [
    ("approve", 20), ("approve:0.3", 15), ("approve:0.8", 10), ("approve+split+no_eot", 6),
    ("approve:0.3+nak_first_frame+stray_byte", 6), ("approve+corrupt_lrc", 6),
    ("decline", 10), ("decline:0.4", 5), ("cancel", 6), ("input_timeout", 2),
    ("approve+lose_answer", 1), ("approve+recreate", 1), ("approve+silence", 1),
]
# Faults of the central API on the batch route (kind, parameters). A retryable reject only:
# a non-retryable one is quarantined by design, not a fault of the network.
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("status", {"code": 503, "retry_after": 1}), ("status", {"code": 500}),
    ("status", {"code": 429, "retry_after": 1}), ("reset_before", {}), ("reset_after", {}),
    ("slow", {"delay": 1.0}), ("malformed_json", {}), ("wrong_content_type", {}),
    ("reject", {"retryable": True}),
]


@dataclass(frozen=True)
class Options:
    donations: int = 200
    seconds: float = 180.0  # the killing stops after this long even if donations remain
    seed: int = 1
    kill_every_s: float = 4.0  # mean time between two kills
    restart_delay_s: float = 0.3  # systemd's RestartSec
    settle_timeout_s: float = 180.0
    protocol: str = "concert-v2"


@dataclass
class Report:
    options: Options
    workdir: Path
    duration_s: float = 0.0
    kills: Counter[str] = field(default_factory=Counter)
    kills_mid_payment: Counter[str] = field(default_factory=Counter)
    restarts: Counter[str] = field(default_factory=Counter)
    faults_fired: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    acquirer_approved: int = 0
    unknown: list[dict[str, Any]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


class Supervised:
    """One service, restarted ``restart_delay_s`` after it dies, as systemd's Restart=always
    does (the driver, like a oneshot, is not restarted once it exits 0)."""

    def __init__(self, name: str, argv: list[str], workdir: Path, restart_delay_s: float,
                 on_line: Any = None):
        self.name, self.argv, self.workdir = name, argv, workdir
        self.restart_delay_s = restart_delay_s
        self.on_line = on_line
        self.proc: subprocess.Popen[str] | None = None
        self.incarnation = 0
        self.restart_at: float | None = None
        self.finished = False
        self.lock = threading.Lock()

    def start(self) -> None:
        argv = [a.replace("{incarnation}", str(self.incarnation)) for a in self.argv]
        log = open(self.workdir / f"{self.name}.log", "a", encoding="utf-8")  # noqa: SIM115
        log.write(f"--- start {self.incarnation}\n")
        log.flush()
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, text=True, stderr=log,
            stdout=subprocess.PIPE if self.on_line else log, start_new_session=True)
        log.close()
        if self.on_line:
            threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        self.incarnation += 1

    def _read(self, stream: IO[str]) -> None:
        with open(self.workdir / f"{self.name}.out", "a", encoding="utf-8") as out:
            for line in stream:
                out.write(line)
                self.on_line(line.strip())

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> bool:
        with self.lock:
            if not self.alive():
                return False
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return True

    def tend(self, now: float) -> bool:
        """Restart a dead process after the delay; True when it was restarted."""
        with self.lock:
            if self.finished or self.alive():
                return False
            assert self.proc is not None
            if self.proc.returncode == 0 and self.name == "driver":
                self.finished = True
                return False
            if self.restart_at is None:
                self.restart_at = now + self.restart_delay_s
            if now < self.restart_at:
                return False
            self.restart_at = None
            self.start()
            return True

    def stop(self) -> None:
        with self.lock:
            if self.alive():
                assert self.proc is not None
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()


def write_config(workdir: Path, api_url: str, protocol: str) -> Path:
    values = {
        "device": {"id": DEVICE_ID, "data_dir": str(workdir / "data"), "min_free_disk_mb": 0},
        "api": {"base_url": api_url, "token_file": str(workdir / "device-token"),
                "connect_timeout_s": 2, "read_timeout_s": 3, "call_deadline_s": 5,
                "max_backoff_s": 2},
        # The production framing (7E1): a restarted bridge must open the pty again with it.
        "terminal": {"protocol": protocol, "device": str(workdir / "term"),
                     "bytesize": 7, "parity": "E",
                     "bridge_socket": str(workdir / "b.sock"),
                     "journal": str(workdir / "journal.db"), "byte_timeout_s": 1,
                     "card_wait_timeout_s": 10, "probe_interval_s": 300},
        "donations": {"offline_cap_cents": 10**9},
    }
    path = workdir / "kiosk.toml"
    path.write_text(configmod.render_toml(values), encoding="utf-8")
    return path


class Soak:
    def __init__(self, options: Options, workdir: Path):
        self.o, self.workdir = options, workdir
        self.rng = random.Random(options.seed)
        self.report = Report(options, workdir)
        self.in_flight: str | None = None  # the reference the driver is paying, if any
        self.stopping = threading.Event()

    # -- the driver's lines ---------------------------------------------------------------

    def on_driver_line(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "paying":
            self.in_flight = rest
        elif word == "done":
            self.in_flight = None

    # -- the run --------------------------------------------------------------------------

    def run(self) -> Report:
        started = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        central = start(self.workdir / "central.db", enroll_codes=(ENROLL_CODE,),
                        device_id=DEVICE_ID)
        config = write_config(self.workdir, central.url, self.o.protocol)
        cfg = configmod.load(config)
        self._enroll(cfg)
        sim = self._start_simulator()
        py = sys.executable
        stop_file = self.workdir / "stop-donating"
        self.procs = {
            "bridge": Supervised("bridge", [py, "-m", "firmware_bridge.cli", "serve",
                                            "--config", str(config)],
                                 self.workdir, self.o.restart_delay_s),
            "sync": Supervised("sync", [py, "-m", "kiosk.sync.service", "--config",
                                        str(config)], self.workdir, self.o.restart_delay_s),
            "driver": Supervised("driver", [py, "-m", "tests.soak.driver", "--config",
                                            str(config), "--target", str(self.o.donations),
                                            "--seed", str(self.o.seed), "--incarnation",
                                            "{incarnation}", "--stop-file", str(stop_file)],
                                 self.workdir, self.o.restart_delay_s, self.on_driver_line),
        }
        for p in self.procs.values():
            p.start()
        killer = threading.Thread(target=self._killer, name="killer", daemon=True)
        try:
            killer.start()
            chaos_end = started + self.o.seconds
            next_fault = time.monotonic() + self.rng.uniform(0.5, 3)
            # Chaos: until the driver has made its donations or the time is up.
            while time.monotonic() < chaos_end and not self.procs["driver"].finished:
                now = time.monotonic()
                self._tend(now)
                if now >= next_fault:
                    kind, params = self.rng.choice(FAULTS)
                    central.faults.add(kind, route="batch", times=self.rng.randint(1, 3),
                                       **params)
                    next_fault = now + self.rng.uniform(0.5, 4)
                time.sleep(0.05)
            # Settle: no more kills, no more faults, no new donations.
            self.stopping.set()
            killer.join()
            central.faults.clear()
            stop_file.touch()
            self._settle(cfg)
        finally:
            self.stopping.set()
            for p in self.procs.values():
                p.stop()
            sim.terminate()
            sim.wait(timeout=10)
            self.report.faults_fired = Counter(f"{kind}" for _, kind in central.faults.fired)
            try:
                self.check(cfg, central)
            finally:
                central.stop()
        self.report.duration_s = time.monotonic() - started
        (self.workdir / "report.json").write_text(json.dumps(as_json(self.report), indent=1))
        return self.report

    def _enroll(self, cfg: configmod.Config) -> None:
        ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
        client = make_client(cfg, None)
        try:
            enroll(cfg, ledger, ENROLL_CODE, client)
        finally:
            client.close()
            ledger.close()

    def _start_simulator(self) -> subprocess.Popen[str]:
        steps, weights = zip(*STEPS, strict=True)
        # Enough steps for every payment and its retries; then plain approvals.
        script = ",".join(self.rng.choices(steps, weights, k=min(2 * self.o.donations, 3000)))
        link = self.workdir / "term"
        log = open(self.workdir / "simulator.log", "w", encoding="utf-8")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "firmware_bridge.cli", "simulate", "--link", str(link),
             "--protocol", self.o.protocol, "--record", str(self.workdir / "acquirer.jsonl"),
             "--script", script, "--default", "approve", "--byte-timeout", "1"],
            cwd=ROOT, stdout=log, stderr=log, text=True, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 20
        while not link.exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the terminal simulator did not start (simulator.log)")
            time.sleep(0.05)
        return proc

    def _tend(self, now: float) -> None:
        for name, p in self.procs.items():
            if p.tend(now):
                self.report.restarts[name] += 1

    def _killer(self) -> None:
        """SIGKILL at random moments; the first three go to each process once, so even a short
        run kills them all. Half the kills wait for a payment in flight first."""
        order = list(PROCESSES)
        self.rng.shuffle(order)
        while not self.stopping.wait(self.rng.expovariate(1 / self.o.kill_every_s)):
            name = order.pop(0) if order else self.rng.choice(PROCESSES)
            if self.rng.random() < 0.5 and name != "sync":
                deadline = time.monotonic() + 5
                while self.in_flight is None and time.monotonic() < deadline:
                    if self.stopping.wait(0.01):
                        return
                # Somewhere in the payment: before the request, during the card wait, or
                # while the answer is on the line.
                self.stopping.wait(self.rng.uniform(0, 0.6))
            mid_payment = self.in_flight is not None
            if self.procs[name].kill():
                self.report.kills[name] += 1
                if mid_payment:
                    self.report.kills_mid_payment[name] += 1
                if name == "driver":
                    self.in_flight = None

    def _settle(self, cfg: configmod.Config) -> None:
        """Everything running again, the driver done, nothing pending, the outbox drained."""
        deadline = time.monotonic() + self.o.settle_timeout_s
        while time.monotonic() < deadline:
            self._tend(time.monotonic())
            if self.procs["driver"].finished and self._backlog(cfg) == (0, 0):
                return
            time.sleep(0.1)
        pending, unsent = self._backlog(cfg)
        self.report.violations.append(
            f"did not settle in {self.o.settle_timeout_s:g} s: driver finished="
            f"{self.procs['driver'].finished}, {pending} pending, {unsent} not synced")

    @staticmethod
    def _backlog(cfg: configmod.Config) -> tuple[int, int]:
        with sqlite3.connect(f"file:{cfg.ledger_path}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(
                "SELECT coalesce(sum(state = 'pending'), 0),"
                " coalesce(sum(state != 'pending' AND sync_state != 'synced'), 0)"
                " FROM donations").fetchone()

    # -- the invariant --------------------------------------------------------------------

    def check(self, cfg: configmod.Config, central: Running) -> None:
        r = self.report
        as_seen = short_reference if self.o.protocol == "concert-v2" else (lambda ref: ref)
        charged = Counter(a.reference for a in AcquirerRecord.read(self.workdir /
                                                                    "acquirer.jsonl"))
        amounts = {a.reference: a.amount_cents
                   for a in AcquirerRecord.read(self.workdir / "acquirer.jsonl")}
        r.acquirer_approved = len(charged)
        with sqlite3.connect(f"file:{cfg.ledger_path}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute("SELECT id, state, amount_cents, reason, sync_state"
                                " FROM donations ORDER BY seq").fetchall()
        r.states = Counter(state for _, state, *_ in rows)
        on_central = Counter(d["id"] for d in central.store.donations(DEVICE_ID))
        central_state = {d["id"]: d["state"] for d in central.store.donations(DEVICE_ID)}
        by_seen = {as_seen(row[0]): row for row in rows}
        approved = {as_seen(i) for i, s, *_ in rows if s == "approved"}
        unknown = {as_seen(i) for i, s, *_ in rows if s == "unknown"}
        v = r.violations

        r.doubled = sorted([ref for ref, n in charged.items() if n > 1]
                           + [i for i, n in on_central.items() if n > 1])
        for ref in r.doubled:
            v.append(f"{ref}: charged or counted more than once")
        for ref in sorted(charged):
            row = by_seen.get(ref)
            if ref not in approved | unknown:
                r.lost.append(ref)
                v.append(f"{ref}: approved by the acquirer, ledger says "
                         f"{row[1] if row else 'nothing'}")
            elif on_central[row[0]] != 1:
                r.lost.append(ref)
                v.append(f"{ref}: approved by the acquirer, {on_central[row[0]]} times on the "
                         "central side")
            elif row[1] == "approved" and row[2] != amounts[ref]:
                v.append(f"{ref}: ledger {row[2]} cents, acquirer {amounts[ref]} cents")
        for ref in sorted(approved - set(charged)):
            v.append(f"{ref}: approved in the ledger, never charged by the acquirer")
        for ident, state, _, reason, sync_state in rows:
            if state == "pending":
                v.append(f"{ident}: still pending")
            elif sync_state != "synced" or central_state.get(ident) != state:
                v.append(f"{ident}: {state} in the ledger ({sync_state}), "
                         f"{central_state.get(ident)} on the central side")
            if state == "unknown":
                r.unknown.append({"id": ident, "charged": as_seen(ident) in charged,
                                  "reason": reason or ""})
        for ident in sorted(set(on_central) - {row[0] for row in rows}):
            v.append(f"{ident}: on the central side, not in the ledger")


def unknown_cause(reason: str) -> str:
    if reason.startswith(CRASHED_REASON):  # and no answer heard after the restart
        return "bridge killed mid-payment"
    return reason.split(";")[0][:70] or "no reason recorded"


def as_json(r: Report) -> dict[str, Any]:
    return {"options": r.options.__dict__, "work_dir": str(r.workdir),
            "duration_s": round(r.duration_s, 1), "kills": dict(r.kills),
            "kills_mid_payment": dict(r.kills_mid_payment), "restarts": dict(r.restarts),
            "central_faults_fired": dict(r.faults_fired), "ledger_states": dict(r.states),
            "acquirer_approved": r.acquirer_approved, "unknown": r.unknown,
            "lost": r.lost, "doubled": r.doubled, "violations": r.violations, "ok": r.ok}


def table(r: Report) -> str:
    donations = sum(r.states.values())
    unknown_causes = Counter(f"{unknown_cause(u['reason'])}"
                             f" ({'charged' if u['charged'] else 'not charged'})"
                             for u in r.unknown)
    kills = ", ".join(f"{n} {r.kills[n]} ({r.kills_mid_payment[n]} mid-payment)"
                      for n in PROCESSES)
    lines = [
        f"seed {r.options.seed}, work dir {r.workdir}",
        f"{'donations':<22}{donations}",
        f"{'kills':<22}{sum(r.kills.values())}: {kills}",
        f"{'restarts':<22}" + ", ".join(f"{n} {r.restarts[n]}" for n in PROCESSES),
        f"{'central API faults':<22}{sum(r.faults_fired.values())}: "
        + ", ".join(f"{k} {n}" for k, n in sorted(r.faults_fired.items())),
        f"{'acquirer approved':<22}{r.acquirer_approved}",
        f"{'approved':<22}{r.states['approved']}",
        f"{'declined':<22}{r.states['declined']}",
        f"{'cancelled':<22}{r.states['cancelled']}",
        f"{'failed':<22}{r.states['failed']} (no money taken)",
        f"{'unknown':<22}{r.states['unknown']}",
        *(f"{'':<4}{n} x {cause}" for cause, n in sorted(unknown_causes.items())),
        f"{'pending':<22}{r.states['pending']}",
        f"{'lost':<22}{len(r.lost)}",
        f"{'doubled':<22}{len(r.doubled)}",
        f"{'duration':<22}{r.duration_s:.1f} s",
    ]
    if r.unknown:
        lines.append("unknown donations (for the operator to reconcile):")
        lines += [f"    {u['id']} charged={u['charged']}: {u['reason']}" for u in r.unknown]
    lines.append("RESULT: OK" if r.ok else f"RESULT: {len(r.violations)} VIOLATION(S)")
    lines += [f"    {x}" for x in r.violations[:50]]
    return "\n".join(lines)
