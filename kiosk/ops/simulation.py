"""Donations through the screen's own path with no screen (``kioskctl simulate``): the payment
runner (:func:`kiosk.payment.runner.run_donation`: ledger guards, pending commit, ``pay``,
``result`` after a lost answer, the one
:func:`kiosk.payment.recovery.record_outcome`) over the screen's
payment port (:class:`kiosk.payment.port.BridgePort`), the bridge service driving the terminal
simulator over a real pty.

Everything runs on a throwaway directory of its own: a simulated donation must never reach a
real card terminal nor a device's real ledger (it would be synced as a real donation).
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware_bridge.concert_v2 import short_reference
from firmware_bridge.journal import Journal
from firmware_bridge.script import ScriptStep, format_step, parse_step
from firmware_bridge.service import BridgeService
from firmware_bridge.simulator import PtySimulator, Script
from firmware_bridge.terminal import SerialTerminal
from firmware_bridge.transport import SerialTransport
from kiosk.core.ledger import Ledger, Limits
from kiosk.payment.client import BridgeClient, BridgeClientError
from kiosk.payment.port import BridgePort
from kiosk.payment.runner import run_donation
from kiosk.screen.donation_flow import FlowOutcome

PROJECT_ID = "simulation"

# What the simulated customers and terminal do, with weights (seeded, so a run repeats).
MIX: list[tuple[str, int]] = [
    ("approve", 55), ("approve+split+no_eot", 5), ("approve+nak_first_frame+stray_byte", 5),
    ("decline", 15), ("cancel", 10), ("approve+corrupt_lrc", 5), ("approve+lose_answer", 5),
]


@dataclass(frozen=True)
class Options:
    donations: int
    seed: int
    protocol: str = "concert-v2"
    amounts_cents: tuple[int, ...] = (200, 500, 1000, 2000)
    currency: str = "EUR"
    card_wait_s: float = 0.5  # a lost answer turns into "unknown" after this long


def seeded_plan(options: Options) -> list[tuple[int, ScriptStep]]:
    rng = random.Random(options.seed)
    steps, weights = zip(*MIX, strict=True)
    return [(rng.choice(options.amounts_cents), parse_step(rng.choices(steps, weights)[0]))
            for _ in range(options.donations)]


def run(options: Options, limits: Limits, workdir: Path | None = None) -> dict[str, Any]:
    """Run the donations; returns the JSON summary (``consistent`` compares the ledger with the
    simulator's own record of what it approved)."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="kiosk-sim-"))
    workdir.mkdir(parents=True, exist_ok=True)
    plan = seeded_plan(options)
    sim = PtySimulator(workdir / "terminal", protocol=options.protocol,
                       script=Script(step for _, step in plan), byte_timeout=0.5).start()
    device = str(sim.link_path)
    terminal = SerialTerminal(lambda: SerialTransport(device), protocol=options.protocol,
                              device=device, byte_timeout=0.5,
                              card_wait_timeout=options.card_wait_s, eot_timeout=0.05)
    service = BridgeService(terminal, Journal(workdir / "journal.db"), workdir / "bridge.sock",
                            max_amount_cents=limits.max_donation_cents).start()
    ledger = Ledger.open(workdir / "kiosk.db", limits)
    client = BridgeClient(workdir / "bridge.sock", pay_timeout_s=options.card_wait_s + 10)
    port = BridgePort(client)
    refused: Counter[str] = Counter()
    bridge_statuses: Counter[str] = Counter()
    donations: list[dict[str, Any]] = []
    try:
        for amount, _step in plan:
            result = run_donation(ledger, port, PROJECT_ID, amount, options.currency,
                                  on_started=lambda _ref: None,
                                  on_progress=lambda _stage, _cancellable: None,
                                  result_wait_s=options.card_wait_s + 10, poll_s=0.05)
            if result.outcome is FlowOutcome.NOT_STARTED:
                refused[(result.detail or "").split(":")[0]] += 1
                sim.script.take()  # this customer never reached the terminal
                continue
            reference = str(result.donation_id)
            # The bridge's own journal of the reference, as the operator would ask for it.
            try:
                journaled = client.result(reference).status
            except BridgeClientError as e:
                journaled = f"unreachable: {e}"
            bridge_statuses[str(journaled)] += 1
            row = ledger.get(reference)
            # The simulator's own record says which script step answered this reference.
            donations.append({"reference": reference, "step": served_step(sim, reference,
                                                                          options.protocol),
                              "amount_cents": amount, "shown": result.outcome.value,
                              "bridge_status": journaled,
                              "state": row.state if row else None})
        return _summary(options, plan, workdir, ledger, sim, refused, bridge_statuses,
                        donations)
    finally:
        service.stop()
        sim.stop()
        ledger.close()


def served_step(sim: PtySimulator, reference: str, protocol: str) -> str | None:
    """The script step the simulated terminal answered ``reference`` with (None: the request
    never reached it)."""
    seen = short_reference(reference) if protocol == "concert-v2" else reference
    steps = [s.step for s in sim.record.served if s.reference == seen]
    return steps[-1] if steps else None


def _summary(options: Options, plan: list[tuple[int, ScriptStep]], workdir: Path, ledger: Ledger,
             sim: PtySimulator, refused: Counter[str], bridge_statuses: Counter[str],
             donations: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [(d.id, d.state, d.amount_cents) for d in ledger.between(None, None)]
    as_seen = (short_reference if options.protocol == "concert-v2" else (lambda r: r))
    ledger_approved = {as_seen(r[0]) for r in rows if r[1] == "approved"}
    ledger_unknown = {as_seen(r[0]) for r in rows if r[1] == "unknown"}
    sim_approved = [a.reference for a in sim.record.approvals]
    states = Counter(r[1] for r in rows)
    # No approved donation lost or counted twice: everything the acquirer approved is in the
    # ledger as approved, or as unknown (flagged for the operator); nothing approved in the
    # ledger that the acquirer did not approve; no reference charged twice.
    consistent = (ledger_approved <= set(sim_approved)
                  and set(sim_approved) <= ledger_approved | ledger_unknown
                  and len(sim_approved) == len(set(sim_approved)))
    return {
        "donations": options.donations, "seed": options.seed, "protocol": options.protocol,
        "work_dir": str(workdir), "ledger": str(workdir / "kiosk.db"),
        "script": Counter(format_step(step) for _, step in plan),
        "refused_by_guards": dict(refused),
        "bridge_outcomes": dict(bridge_statuses),
        "ledger_states": dict(states),
        "approved_cents": sum(r[2] for r in rows if r[1] == "approved"),
        "unknown_cents": sum(r[2] for r in rows if r[1] == "unknown"),
        "simulator_approved_references": sim_approved,
        "simulator_approved_cents": sum(a.amount_cents for a in sim.record.approvals),
        "ledger_approved_references": sorted(ledger_approved),
        "ledger_unknown_references": sorted(ledger_unknown),
        "per_donation": donations,
        "consistent": consistent,
    }
