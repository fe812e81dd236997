"""The approved gifts not yet synced, per project, on a real SQLite file."""

from __future__ import annotations

from kiosk.core.ledger import Ledger, State


def _gift(ledger: Ledger, project: str, cents: int, state: State = State.APPROVED) -> str:
    donation = ledger.create_pending(project, cents, "EUR")
    ledger.finish(donation.id, state)
    return donation.id


def test_local_progress_counts_approved_unsynced_gifts_per_project(ledger):
    assert ledger.local_progress() == {}
    _gift(ledger, "proj-a", 500)
    _gift(ledger, "proj-a", 1200)
    _gift(ledger, "proj-b", 200)
    ledger.create_pending("proj-b", 900, "EUR")  # no outcome yet: not a gift
    for state in (State.DECLINED, State.CANCELLED, State.FAILED, State.UNKNOWN):
        _gift(ledger, "proj-b", 700, state)
    assert ledger.local_progress() == {"proj-a": (1700, 2), "proj-b": (200, 1)}


def test_a_synced_or_quarantined_gift_is_left_to_the_catalog(ledger):
    synced = _gift(ledger, "proj-a", 500)
    refused = _gift(ledger, "proj-a", 300)
    _gift(ledger, "proj-a", 1000)
    ledger.mark_synced([synced])  # the central total counts it (now or at the next pull)
    ledger.quarantine(refused, "conflict")  # the central service refused it
    assert ledger.local_progress() == {"proj-a": (1000, 1)}


def test_local_progress_survives_reopening_the_file(ledger, tmp_path):
    _gift(ledger, "proj-a", 500)
    path, limits = ledger.path, ledger.limits
    ledger.close()
    reopened = Ledger.open(path, limits)
    try:
        assert reopened.local_progress() == {"proj-a": (500, 1)}
    finally:
        reopened.close()
