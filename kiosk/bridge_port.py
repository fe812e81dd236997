"""The screen's payment port over the bridge socket client (kiosk/bridge_client.py).

Adapts :class:`~kiosk.bridge_client.BridgeClient` to :class:`kiosk.payment_runner.PaymentPort`
and tells apart the one failure that proves nothing was charged: the bridge could not be
reached at all (or refused the request). Any other break during ``pay`` may hide a payment in
flight, so the runner asks ``result`` and never pays again.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.bridge_client import BridgeClient, BridgeError, BridgeUnavailable
from kiosk.payment_runner import RequestNotSent


class _Client(BridgeClient):
    def _connect(self) -> socket.socket:
        try:
            return super()._connect()
        except BridgeUnavailable as e:  # nothing was written: no payment can have started
            raise RequestNotSent(str(e)) from None


class BridgePort:
    def __init__(self, socket_path: Path | str, *, timeout_s: float = 5.0,
                 pay_timeout_s: float = 240.0):
        self.client = _Client(socket_path, timeout_s=timeout_s, pay_timeout_s=pay_timeout_s)

    def pay(self, reference: str, amount_cents: int, currency: str,
            on_progress: Callable[[str, bool], None]) -> dict[str, Any]:
        def progress(event: dict[str, Any]) -> None:
            on_progress(str(event.get("stage", "")), bool(event.get("cancellable")))
        try:
            return self.client.pay(reference, amount_cents, currency, on_progress=progress)
        except BridgeError as e:  # refused (busy, bad_request): the terminal was not asked
            raise RequestNotSent(str(e)) from None

    def cancel(self, reference: str) -> bool:
        return self.client.cancel(reference)

    def result(self, reference: str) -> dict[str, Any]:
        return self.client.result(reference)

    def status(self) -> dict[str, Any]:
        return self.client.status()


def from_config(cfg: Any) -> BridgePort:
    # Wait between two lines of a payment: longer than the terminal's own card wait.
    return BridgePort(cfg.terminal.bridge_socket,
                      pay_timeout_s=cfg.terminal.card_wait_timeout_s + 60)
