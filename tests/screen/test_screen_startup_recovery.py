"""The screen's start-up path resolves donations left pending by a crash before giving is
available: the real start-up code (kiosk.screen.startup) with the real bridge service and the
terminal simulator on a pseudo-terminal (tests/helpers/real_bridge.py)."""

from __future__ import annotations

import threading
import time

from kiosk.core import config as configmod
from kiosk.core.ledger import Ledger, Limits
from kiosk.payment.client import BridgeClient
from kiosk.screen.donation_flow import FlowSettings
from kiosk.screen.startup import bridge_port, start_first_reads
from tests.conftest import write_config
from tests.helpers.real_bridge import start_bridge


def _start(tmp_path, short_dir, script):
    bridge = start_bridge(short_dir / "b", script, card_wait_s=3.0)
    cfg = configmod.load(write_config(tmp_path, terminal={
        "bridge_socket": str(bridge.socket_path), "journal": str(bridge.journal_path)}))
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    return bridge, cfg, ledger


def test_start_up_records_what_the_bridge_knows_before_giving_is_available(tmp_path,
                                                                          short_dir):
    bridge, cfg, ledger = _start(tmp_path, short_dir, "approve,decline")
    try:
        # Two donations the screen sent before it was killed, and one it never sent.
        approved = ledger.create_pending("proj-1", 500, "EUR")
        declined = ledger.create_pending("proj-1", 700, "EUR")
        never_sent = ledger.create_pending("proj-1", 200, "EUR")
        client = BridgeClient(bridge.socket_path)
        assert client.pay(approved.id, 500, "EUR").status == "approved"
        assert client.pay(declined.id, 700, "EUR").status == "declined"
        _reads, first_health = start_first_reads(cfg, ledger, bridge_port(cfg),
                                                 FlowSettings.from_config(cfg))
        health = first_health.result(timeout=30)
        assert health.available, health.reason
        assert ledger.pending() == []
        assert ledger.get(approved.id).state == "approved"
        assert ledger.get(approved.id).card_suffix == "4242"
        assert ledger.get(declined.id).state == "declined"
        assert ledger.get(never_sent.id).state == "failed"
    finally:
        ledger.close()
        bridge.stop()


def test_a_payment_still_running_on_the_bridge_keeps_giving_unavailable(tmp_path, short_dir):
    # The card wait outlasts the start-up check: the bridge answers in_progress for it.
    bridge, cfg, ledger = _start(tmp_path, short_dir, "approve:2.0")
    try:
        running = ledger.create_pending("proj-1", 500, "EUR")
        client = BridgeClient(bridge.socket_path)
        paying = threading.Thread(target=client.pay, args=(running.id, 500, "EUR"))
        paying.start()
        while client.result(running.id).status != "in_progress":
            time.sleep(0.02)
        _reads, first_health = start_first_reads(cfg, ledger, bridge_port(cfg),
                                                 FlowSettings.from_config(cfg))
        health = first_health.result(timeout=30)
        assert not health.available and "pending donations not resolved: 1" in health.reason
        assert ledger.get(running.id).state == "pending"
        paying.join(30)
    finally:
        ledger.close()
        bridge.stop()
