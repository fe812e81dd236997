"""The screen's :class:`~kiosk.payment.runner.PaymentPort` over the bridge socket client.

Adapts :class:`kiosk.payment.client.BridgeClient` to the shape the payment runner expects:
``on_progress(stage, cancellable)``, :class:`~kiosk.payment.runner.RequestNotSent` when the
request provably never started a payment, ``cancel`` returning False when not possible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.payment.client import (
    BridgeClient,
    BridgeError,
    BridgeNotReached,
    BridgeOutcome,
    BridgeStatus,
)
from kiosk.payment.runner import RequestNotSent

if TYPE_CHECKING:
    from kiosk.core.config import Config

# The bridge refused these before anything reached the terminal.
_REFUSED_BEFORE_SENDING = {"bad_request", "busy", "journal_unavailable"}
# The socket is silent during the card wait: allow that much and some more between two lines.
_PAY_MARGIN_S = 60


class BridgePort:
    def __init__(self, client: BridgeClient):
        self.client = client

    def pay(self, reference: str, amount_cents: int, currency: str,
            on_progress: Callable[[str, bool], None]) -> BridgeOutcome:
        def progress(event: dict[str, Any]) -> None:  # a progress line, as the bridge sent it
            on_progress(str(event.get("stage")), bool(event.get("cancellable")))

        try:
            return self.client.pay(reference, amount_cents, currency, on_progress=progress)
        except BridgeNotReached as e:
            raise RequestNotSent(str(e)) from e
        except BridgeError as e:
            if e.code in _REFUSED_BEFORE_SENDING:
                raise RequestNotSent(str(e)) from e
            raise

    def cancel(self, reference: str) -> bool:
        try:
            return self.client.cancel(reference)
        except BridgeError as e:
            if e.code == "not_cancellable":
                return False
            raise

    def result(self, reference: str) -> BridgeOutcome:
        return self.client.result(reference)

    def status(self) -> BridgeStatus:
        return self.client.status()


def from_config(cfg: Config) -> BridgePort:
    return BridgePort(BridgeClient(cfg.terminal.bridge_socket,
                                   pay_timeout_s=cfg.terminal.card_wait_timeout_s + _PAY_MARGIN_S))
