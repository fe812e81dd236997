"""The simulator's record says which script step answered each request, so a test can check
each donation's outcome against what the terminal was told to do."""

from __future__ import annotations

import uuid

import pytest

from firmware_bridge.concert_v2 import short_reference


@pytest.mark.parametrize("protocol", ["concert-v2", "concert-v3"])
def test_each_answered_request_names_its_step(make_bridge, protocol):
    bridge = make_bridge("approve,decline,approve+lose_answer", protocol)
    references = [str(uuid.uuid4()) for _ in range(3)]
    statuses = [bridge.client.pay(ref, 500 + i, "EUR").status
                for i, ref in enumerate(references)]
    assert statuses[:2] == ["approved", "declined"]
    seen = [short_reference(r) if protocol == "concert-v2" else r for r in references]
    served = bridge.sim.record.served
    assert [(s.reference, s.amount_cents, s.currency, s.step) for s in served] == [
        (seen[0], 500, "EUR", "approve"), (seen[1], 501, "EUR", "decline"),
        (seen[2], 502, "EUR", "approve+lose_answer")]
    # Approvals stay the acquirer's record: the lost answer was still charged.
    assert [a.reference for a in bridge.sim.record.approvals] == [seen[0], seen[2]]
