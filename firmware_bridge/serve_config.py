"""``firmware-bridge serve --config FILE``: the service built from kiosk.toml's [terminal]
section, read by the bridge's own :mod:`~firmware_bridge.bridge_config` (the bridge imports
nothing from the kiosk).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from firmware_bridge import bridge_config
from firmware_bridge.bridge_config import TerminalSettings
from firmware_bridge.journal import Journal, JournalError
from firmware_bridge.service import BridgeService, ServiceError, serve_forever
from firmware_bridge.terminal import PaymentTerminal, SerialTerminal, TcpV3Terminal
from firmware_bridge.transport import SerialTransport


def terminal_from_config(t: TerminalSettings) -> PaymentTerminal:
    if t.transport == "tcp":
        return TcpV3Terminal(t.host, t.port, register_id=t.register_id, pos=t.pos_number,
                             byte_timeout=t.byte_timeout_s, card_wait_timeout=t.card_wait_timeout_s)
    device = t.device
    options = dict(baudrate=t.baudrate, bytesize=t.bytesize, parity=t.parity,
                   stopbits=t.stopbits)
    return SerialTerminal(lambda: SerialTransport(device, **options), protocol=t.protocol,
                          device=device, pos=t.pos_number, register_id=t.register_id,
                          byte_timeout=t.byte_timeout_s, card_wait_timeout=t.card_wait_timeout_s)


# The same default file as every kiosk process.
DEFAULT_PATH = "/etc/kiosk/kiosk.toml"
ENV_VAR = "KIOSK_CONFIG"


def run_from_config(path: str | None) -> int:
    try:
        cfg = bridge_config.load(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)
    except bridge_config.BridgeConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        return 2
    t = cfg.terminal
    try:
        journal = Journal(Path(t.journal))
    except JournalError as e:
        print(f"cannot start: {e}", file=sys.stderr)
        return 1
    service = BridgeService(terminal_from_config(t), journal, t.bridge_socket,
                            max_amount_cents=cfg.max_amount_cents,
                            probe_interval_s=t.probe_interval_s)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        serve_forever(service)
    except ServiceError as e:
        print(f"cannot start: {e}", file=sys.stderr)
        return 1
    return 0
