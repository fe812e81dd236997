"""Audit rows leave with the heartbeat: unsent in order, marked sent only when accepted."""

from __future__ import annotations

from kiosk.core import audit


def test_unsent_rows_in_order_then_marked_sent(ledger):
    first = ledger.audit("owner", "settings_opened")
    ledger.audit("owner", "featured_changed", after=["a"])
    ledger.audit("operator", "set_pin")
    batch = audit.unsent(ledger, limit=2)
    assert [r["seq"] for r in batch] == [first, first + 1]
    assert batch[1]["detail"] == {"after": ["a"]}
    assert set(batch[0]) == {"seq", "at", "boot_id", "mono_ns", "actor", "action", "detail"}
    assert audit.mark_sent(ledger, [r["seq"] for r in batch]) == 2
    assert audit.mark_sent(ledger, [first]) == 0  # a repeated acknowledgement changes nothing
    assert [r["action"] for r in audit.unsent(ledger)] == ["set_pin"]
    newest = audit.recent(ledger, limit=3)
    assert [(r["action"], r["sent"]) for r in newest] == [
        ("set_pin", False), ("featured_changed", True), ("settings_opened", True)]
