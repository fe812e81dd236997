"""``firmware-bridge serve --config FILE``: the service built from the kiosk's [terminal] section.

The one place firmware_bridge reads the kiosk configuration, so the bridge validates the same
file as every other process.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

from firmware_bridge.journal import Journal, JournalError
from firmware_bridge.service import BridgeService, ServiceError, serve_forever
from firmware_bridge.terminal import PaymentTerminal, SerialTerminal, TcpV3Terminal
from firmware_bridge.transport import SerialTransport


def terminal_from_config(t: Any) -> PaymentTerminal:
    if t.transport == "tcp":
        return TcpV3Terminal(t.host, t.port, register_id=t.register_id, pos=t.pos_number,
                             byte_timeout=t.byte_timeout_s, card_wait_timeout=t.card_wait_timeout_s)
    device = t.device
    options = dict(baudrate=t.baudrate, bytesize=t.bytesize, parity=t.parity,
                   stopbits=t.stopbits)
    return SerialTerminal(lambda: SerialTransport(device, **options), protocol=t.protocol,
                          device=device, pos=t.pos_number, register_id=t.register_id,
                          byte_timeout=t.byte_timeout_s, card_wait_timeout=t.card_wait_timeout_s)


def run_from_config(path: str | None) -> int:
    from kiosk.core import config as configmod  # the single kiosk import: shared config validation

    try:
        cfg = configmod.load(path)
    except configmod.ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    t = cfg.terminal
    if t.transport == "tcp" and t.protocol != "concert-v3":
        print(f"configuration error: {cfg.path}: terminal.transport = 'tcp': expected "
              f"terminal.protocol = 'concert-v3' (Caisse-AP IP)", file=sys.stderr)
        return 2
    try:
        journal = Journal(Path(t.journal))
    except JournalError as e:
        print(f"cannot start: {e}", file=sys.stderr)
        return 1
    service = BridgeService(terminal_from_config(t), journal, t.bridge_socket,
                            max_amount_cents=cfg.donations.max_donation_cents,
                            probe_interval_s=t.probe_interval_s)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        serve_forever(service)
    except ServiceError as e:
        print(f"cannot start: {e}", file=sys.stderr)
        return 1
    return 0
