"""« Tester le terminal » words and the « Synchroniser maintenant » request handshake."""

from __future__ import annotations

from kiosk.core import audit
from kiosk.owner import sync_request
from kiosk.owner.terminal_words import describe
from kiosk.payment.client import BridgeError, BridgeNotReached, BridgeStatus


def test_terminal_words():
    ok = describe(BridgeStatus(connected=True, busy=False, last_error=None))
    assert ok.ok and "ready" in ok.message.render()
    down = describe(BridgeStatus(connected=False, busy=False, last_error="EIO"))
    assert not down.ok and "(EIO)" in down.message.render()
    gone = describe(None, "connection refused")
    assert not gone.ok and "connection refused" in gone.message.render()
    unreached = describe(None, BridgeNotReached("connection refused"))
    assert not unreached.ok and "connection refused" in unreached.message.render()
    refused = describe(None, BridgeError("bad_request", "bad"))
    assert not refused.ok and refused.message.render().endswith("bad")
    assert describe(BridgeStatus(connected=True, busy=True)).ok


def test_sync_now_handshake(ledger):
    assert not sync_request.waiting(ledger) and sync_request.take(ledger) is None
    assert sync_request.request(ledger) == 1
    assert sync_request.request(ledger) == 2  # two taps: one cycle covers both
    assert sync_request.waiting(ledger)
    number = sync_request.take(ledger)
    assert number == 2
    sync_request.done(ledger, number)
    assert not sync_request.waiting(ledger) and sync_request.take(ledger) is None
    assert [r["action"] for r in audit.unsent(ledger)] == ["sync_requested"] * 2
