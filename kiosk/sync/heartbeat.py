"""The heartbeat: what an operator's dashboard needs to know about this kiosk, on a schedule,
with the audit log's unsent rows (see kiosk/core/audit.py) and the anonymous engagement counts
not yet confirmed (see kiosk/core/funnel.py) riding along."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.core import audit, funnel
from kiosk.core.ledger import Ledger, free_disk_bytes
from kiosk.ops import reconcile
from kiosk.sync import decisions
from kiosk.sync.client import ApiClient

log = logging.getLogger("kiosk.sync")

# systemd-timesyncd creates this file once the clock has been set from the network.
TIMESYNC_MARKER = Path("/run/systemd/timesync/synchronized")


def payload(ledger: Ledger, data_dir: Path, last_error: str | None) -> dict[str, Any]:
    summary = ledger.summary()
    kiosk_status = ledger.service_status().get("kiosk", {})
    terminal = kiosk_status.get("terminal")
    return {
        "version": __version__,
        "backlog_count": summary["backlog"]["count"],
        "backlog_cents": summary["backlog"]["cents"],
        "oldest_unsynced_seq": summary["backlog"]["oldest_seq"],
        # Unknown outcomes still waiting for a decision (kioskctl reconcile or the office's).
        "unknown_count": len(reconcile.unresolved(ledger)),
        "quarantined_count": summary["by_sync_state"]["quarantined"],
        "terminal": terminal if isinstance(terminal, dict) else None,
        "disk_free_bytes": free_disk_bytes(data_dir),
        "clock_synchronized": TIMESYNC_MARKER.exists(),
        "last_error": last_error,
    }


def send(ledger: Ledger, client: ApiClient, device_id: str, data_dir: Path,
         last_error: str | None) -> None:
    """Send one heartbeat with the unsent audit rows and engagement counts; mark those sent
    only after a 2xx, then apply the office's decisions the answer carries
    (kiosk.sync.decisions). Counts are absolute (the server replaces them), so a heartbeat
    whose answer was lost just sends the same totals again."""
    body = payload(ledger, data_dir, last_error)
    body["audit"] = audit.unsent(ledger)
    counts = ledger.unsent_counts(funnel.MAX_PER_HEARTBEAT)
    if counts:  # absent rather than empty: the body stays what older services expect
        body["engagement"] = counts
    answer = client.call("POST", f"v1/devices/{device_id}/heartbeat", body=body).json()
    if body["audit"]:
        audit.mark_sent(ledger, [row["seq"] for row in body["audit"]])
    if counts:
        ledger.mark_counts_sent(counts)
        ledger.prune_counts(funnel.RETENTION_DAYS)
    received, malformed = decisions.parse(answer)
    for problem in malformed:
        log.warning("a decision from the office is malformed and was skipped: %s", problem)
    for line in decisions.apply(ledger, received):
        log.info("%s", line)
