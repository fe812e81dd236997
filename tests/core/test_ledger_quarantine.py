"""What the ledger does with a donation the central API refused (``conflict``, or ``rejected``
and not retryable): quarantined, on a real SQLite file. It is kept, counted, shown, still at
risk for the offline cap, never pruned and never sent again as if new. A ledger that marked
such a row synced, pruned it, or left it unsynced fails several tests here, not one.

The verdicts go through the sync service's own parsing and bookkeeping
(``kiosk.sync.outbox.parse_results`` and ``Outbox.apply``) where a test says so; those need
no network.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.ledger import Donation, GuardRefused, Ledger, Limits
from kiosk.owner.today import glance
from kiosk.sync.outbox import DrainReport, Outbox, parse_results

FAR_FUTURE = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
LIMITS = Limits(max_donation_cents=15_000, offline_cap_cents=2_000, min_free_disk_bytes=0)


def open_ledger(path: Path) -> Ledger:
    return Ledger.open(path, LIMITS)


def approved(ledger: Ledger, cents: int = 500, project: str = "proj-1") -> Donation:
    d = ledger.create_pending(project, cents, "EUR")
    ledger.finish(d.id, "approved", auth_code="A1", card_suffix="4242")
    return d


def row(ledger: Ledger, donation_id: str) -> Donation:
    found = ledger.get(donation_id)
    assert found is not None, f"donation {donation_id} is gone"
    return found


def verdicts(ledger: Ledger, answers: dict[str, dict[str, Any]]) -> DrainReport:
    """Apply a batch answer, as the server would send it, with the sync service's own code."""
    batch = [row(ledger, i) for i in answers]
    doc = {"results": [{"id": i, **a} for i, a in answers.items()]}
    report = DrainReport()
    # apply() only touches the ledger: no client is needed for it.
    Outbox(ledger, None, "kiosk-test-01").apply(batch, parse_results(doc, list(answers)),  # type: ignore[arg-type]
                                                report)
    return report


REJECTED = {"status": "rejected",
            "error": {"code": "unknown_project", "retryable": False, "message": "no such project"}}
CONFLICT = {"status": "conflict"}


def test_a_refused_row_is_quarantined_with_the_servers_reason(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "kiosk.db")
    rejected, conflict = approved(ledger), approved(ledger)
    report = verdicts(ledger, {rejected.id: REJECTED, conflict.id: CONFLICT})
    assert (report.synced, report.quarantined, report.retry_later) == (0, 2, 0)
    r, c = row(ledger, rejected.id), row(ledger, conflict.id)
    assert (r.sync_state, r.synced_at, r.sync_attempts) == ("quarantined", None, 1)
    assert r.sync_error == "rejected by the server: unknown_project (no such project)"
    assert (c.sync_state, c.synced_at) == ("quarantined", None)
    assert c.sync_error is not None and c.sync_error.startswith("conflict")
    # The donation itself is untouched: still the approval the terminal gave.
    assert (r.state, r.auth_code, r.amount_cents) == ("approved", "A1", 500)


def test_a_quarantined_row_outlives_any_retention(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "kiosk.db")
    kept, confirmed = approved(ledger), approved(ledger)
    verdicts(ledger, {kept.id: REJECTED, confirmed.id: {"status": "created"}})
    assert ledger.prune(retention_days=0, now=FAR_FUTURE) == 1  # the confirmed one only
    assert row(ledger, kept.id).sync_state == "quarantined"
    assert ledger.get(confirmed.id) is None


def test_a_quarantined_row_is_counted_for_the_operator_and_the_owner(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "kiosk.db")
    d = approved(ledger)
    verdicts(ledger, {d.id: CONFLICT})
    summary = ledger.summary()
    assert summary["by_sync_state"] == {"unsynced": 0, "synced": 0, "quarantined": 1}
    assert summary["backlog"]["count"] == 0  # not waiting to be sent: waiting for a person
    assert "Donations refused by the server and kept aside for the operator: 1." in \
        [m.render() for m in glance(ledger).attention]


def test_quarantined_money_still_counts_against_the_offline_cap(tmp_path: Path) -> None:
    # The central API never confirmed it: it is as much at risk as an unsynced approval.
    ledger = open_ledger(tmp_path / "kiosk.db")
    d = approved(ledger, cents=1_500)
    verdicts(ledger, {d.id: REJECTED})
    assert ledger.at_risk_cents() == 1_500
    with pytest.raises(GuardRefused) as refused:
        ledger.create_pending("proj-1", 600, "EUR")  # 1 500 + 600 > the cap of 2 000
    assert refused.value.code == "offline_cap"


def test_a_quarantined_row_is_never_sent_again_as_new(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "kiosk.db")
    first, retryable, later = approved(ledger), approved(ledger), approved(ledger)
    verdicts(ledger, {first.id: REJECTED,
                      retryable.id: {"status": "rejected",
                                     "error": {"code": "busy", "retryable": True}},
                      later.id: {"status": "duplicate"}})
    again = approved(ledger)
    assert [d.id for d in ledger.outbox(100)] == [retryable.id, again.id]
    assert [d.id for d in ledger.outbox(100, after_seq=first.seq - 1)] == \
        [retryable.id, again.id]
    states = {i: row(ledger, i).sync_state for i in (first.id, retryable.id, later.id)}
    assert states == {first.id: "quarantined", retryable.id: "unsynced", later.id: "synced"}


def test_quarantine_is_durable_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    ledger = open_ledger(path)
    d = approved(ledger)
    verdicts(ledger, {d.id: CONFLICT})
    ledger.close()
    reopened = open_ledger(path)
    try:
        assert row(reopened, d.id).sync_state == "quarantined"
        assert reopened.outbox(100) == []
        assert reopened.prune(retention_days=0, now=FAR_FUTURE) == 0
    finally:
        reopened.close()
