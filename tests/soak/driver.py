"""The soak's donor: the screen's payment path without Kivy, as a process of its own.

``python -m tests.soak.driver --config FILE --target N --seed X --incarnation K --stop-file P``

At start it resolves pending donations the way the screen does after a crash
(``kiosk.payment.recovery.resolve_pending`` through the bridge port), then pays donations one after
another with ``kiosk.payment.runner.run_donation`` (ledger guards, pending commit, bridge
``pay``, final commit) until the ledger holds N donations or the stop file exists; it exits 0
once nothing is pending. It prints one line per event for the harness: ``paying REF`` when a
reference goes to the bridge, ``done REF OUTCOME`` after its final commit.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from kiosk.core import config as configmod
from kiosk.core.ledger import Ledger, Limits
from kiosk.payment import port as bridge_port
from kiosk.payment.recovery import resolve_pending
from kiosk.payment.runner import PaymentPort, run_donation

PROJECTS = ("jardin-capucins", "velo-ecole", "banque-alimentaire")
AMOUNTS = (200, 500, 1000, 2000, 1234)


def say(line: str) -> None:
    print(line, flush=True)


def resolve_all(ledger: Ledger, port: PaymentPort, deadline_s: float = 600) -> None:
    """Until nothing is pending: a payment still running stays pending, a bridge that is down
    (being restarted) is asked again, as the screen's health check does every few seconds."""
    deadline = time.monotonic() + deadline_s
    while ledger.pending():
        try:
            resolution = resolve_pending(ledger, port)
        except Exception as e:  # noqa: BLE001 - the bridge may be restarting; ask again
            say(f"recovery error {type(e).__name__}: {e}")
            resolution = None
        if resolution:
            for ref, state in resolution.resolved.items():
                say(f"recovered {ref} {state}")
        if ledger.pending():
            if time.monotonic() > deadline:
                raise SystemExit("pending donations not resolved in time")
            time.sleep(0.2)


def wait_for_terminal(port: PaymentPort, deadline_s: float = 120) -> None:
    """The screen offers giving only while the bridge says its terminal is connected (its
    health check); a donor does not start a payment on an out-of-service kiosk."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if port.status().connected:
                return
        except Exception:  # noqa: BLE001, S110 - the bridge is restarting; ask again
            pass
        time.sleep(0.1)


def count(ledger: Ledger) -> int:
    return ledger.db.conn.execute("SELECT count(*) FROM donations").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.driver")
    parser.add_argument("--config", required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--incarnation", type=int, default=0)
    parser.add_argument("--stop-file", required=True)
    args = parser.parse_args(argv)
    cfg = configmod.load(args.config)
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    port = bridge_port.from_config(cfg)
    # Each incarnation its own seeded stream, so a re-run with the same seed repeats.
    rng = random.Random(args.seed * 100_003 + args.incarnation)
    stop = Path(args.stop_file)
    resolve_all(ledger, port)
    say("recovered all")
    while not stop.exists() and count(ledger) < args.target:
        wait_for_terminal(port)
        amount, project = rng.choice(AMOUNTS), rng.choice(PROJECTS)
        result = run_donation(ledger, port, project, amount, cfg.donations.currency,
                              on_started=lambda ref: say(f"paying {ref}"),
                              on_progress=lambda stage, cancellable: None,
                              result_wait_s=20, poll_s=0.2)
        say(f"done {result.donation_id} {result.outcome.value}")
        if result.donation_id is None:
            time.sleep(0.2)  # a guard refused (nothing charged): as a donor walking away
        resolve_all(ledger, port)  # a lost answer stays pending: the screen resolves it too
    resolve_all(ledger, port)
    say("finished")
    ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
