"""Draining the outbox: final, unsynced donations sent in ``seq`` order, in batches.

``created`` and ``duplicate`` mark rows synced (short transactions of a few dozen rows, the
screen's commits let in between them: ``Ledger.mark_synced``); ``conflict`` and
non-retryable rejects go to quarantine (kept, counted, shown to the operator, never deleted);
anything else stays unsynced and is sent again later. Only one batch is in memory at a time,
so a backlog of 100 000 costs no more memory than a backlog of 100.

Between batches the drain pauses briefly (``BATCH_PAUSE_S``): on a device sync shares the CPU
and the ledger's write lock with the screen, and a backlog drained flat out would take both in
long runs; the pause is where the screen's frames and a donor's pending commit get in.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kiosk.core.ledger import Donation, Ledger
from kiosk.sync.client import ApiClient, TooLarge, Transient

STATUSES = ("created", "duplicate", "conflict", "rejected")
# A frame or so of a 60 Hz screen; the next batch's upload goes on meanwhile, so a backlog of
# 10 000 in batches of 100 takes at most a second longer.
BATCH_PAUSE_S = 0.01


@dataclass(frozen=True)
class ItemResult:
    id: str
    status: str
    retryable: bool = False
    error: str | None = None


@dataclass
class DrainReport:
    batches: int = 0
    synced: int = 0
    quarantined: int = 0
    retry_later: int = 0

    @property
    def complete(self) -> bool:
        return self.retry_later == 0


def to_item(d: Donation) -> dict[str, Any]:
    """A ledger row as the contract's batch item."""
    return {"id": d.id, "seq": d.seq, "boot_id": d.boot_id, "project_id": d.project_id,
            "amount_cents": d.amount_cents, "currency": d.currency, "state": d.state,
            "created_at": d.created_at, "finished_at": d.finished_at,
            "terminal": {"auth_code": d.auth_code, "card_suffix": d.card_suffix,
                         "reason": d.reason}}


def parse_results(doc: Any, sent_ids: list[str]) -> dict[str, ItemResult]:
    """Check a batch answer: exactly one well-formed result per donation sent. Anything else
    is a garbled answer (:class:`Transient`) and nothing of it is applied."""
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise Transient("the batch answer has no 'results' list")
    results: dict[str, ItemResult] = {}
    for entry in doc["results"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise Transient("a batch result has no 'id'")
        status = entry.get("status")
        if status not in STATUSES:
            raise Transient(f"a batch result has an unknown status {status!r}")
        if entry["id"] in results:
            raise Transient(f"the batch answer lists {entry['id']} twice")
        retryable, error = False, None
        if status == "rejected":
            err = entry.get("error")
            if not isinstance(err, dict) or not isinstance(err.get("retryable"), bool):
                raise Transient("a rejected result has no error.retryable")
            retryable = err["retryable"]
            error = f"rejected by the server: {err.get('code')}" + (
                f" ({err['message']})" if isinstance(err.get("message"), str) else "")
        elif status == "conflict":
            error = "conflict: the server holds different content under this id"
        results[entry["id"]] = ItemResult(entry["id"], status, retryable, error)
    if set(results) != set(sent_ids):
        raise Transient("the batch answer does not match the donations sent")
    return results


class Outbox:
    def __init__(self, ledger: Ledger, client: ApiClient, device_id: str, batch_size: int = 100,
                 pause_s: float = BATCH_PAUSE_S):
        self.ledger, self.client, self.device_id = ledger, client, device_id
        self.batch_size, self.pause_s = batch_size, pause_s

    def drain(self, stop: threading.Event | None = None) -> DrainReport:
        """Send everything unsynced once, in seq order. Raises the client's errors for the
        caller's backoff; what was confirmed before the error stays confirmed.

        The next batch is uploaded (by a helper thread that only does HTTP) while this one's
        results are committed, so the durable commit and the network round trip overlap.
        Uploads still go one at a time and in seq order; the ledger is only touched here."""
        report = DrainReport()
        size = self.batch_size
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-sync-upload") as pool:
            batch = self.ledger.outbox(size, 0)
            upload = pool.submit(self._upload, batch) if batch else None
            while upload is not None:
                try:
                    results = upload.result()
                except TooLarge:
                    if size == 1:
                        raise
                    size = max(1, size // 2)  # the server wants smaller batches: resend half
                    batch = self.ledger.outbox(size, batch[0].seq - 1)
                    upload = pool.submit(self._upload, batch)
                    continue
                except Transient as e:
                    # Counted on the rows so the operator sees how long they have been trying.
                    self.ledger.record_sync_failure([d.id for d in batch], str(e))
                    raise
                following = [] if stop and stop.is_set() else self.ledger.outbox(
                    size, batch[-1].seq)
                upload = pool.submit(self._upload, following) if following else None
                self.apply(batch, results, report)
                batch = following
                if batch and self.pause_s > 0:  # leave the CPU and the write lock a moment
                    (stop or threading.Event()).wait(self.pause_s)
        return report

    def _upload(self, batch: list[Donation]) -> dict[str, ItemResult]:
        answer = self.client.call("POST", f"v1/devices/{self.device_id}/donations:batch",
                                  body={"donations": [to_item(d) for d in batch]})
        return parse_results(answer.json(), [d.id for d in batch])

    def apply(self, batch: list[Donation], results: dict[str, ItemResult],
              report: DrainReport) -> None:
        """Record the server's verdicts on one batch in the ledger."""
        ids = [d.id for d in batch]
        report.batches += 1
        confirmed = [i for i in ids if results[i].status in ("created", "duplicate")]
        if confirmed:
            report.synced += self.ledger.mark_synced(confirmed)
        retry = []
        for i in ids:
            r = results[i]
            if r.status == "conflict" or (r.status == "rejected" and not r.retryable):
                self.ledger.quarantine(i, r.error or r.status)
                report.quarantined += 1
            elif r.status == "rejected":
                retry.append(i)
        if retry:
            self.ledger.record_sync_failure(retry, results[retry[0]].error or "rejected")
            report.retry_later += len(retry)
