"""kiosk-sync: the sync service's loop and entry point.

``kiosk-sync --config FILE`` runs until stopped; ``--once`` does one round (featured push,
drain, catalog, heartbeat) and exits 0 when the backlog is empty, 1 otherwise. Whatever the
catalog step meets (a refused catalog, an image that will not download, a full disk) is recorded
and never ends the round: donations and the heartbeat go on. Every network
failure backs off (capped exponential, full jitter, Retry-After honoured) and is retried
forever; a refused token (401/403) stops all sending and raises an alarm that ``kioskctl
status`` shows, until the token file changes (``kioskctl enroll``).
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core.config import Config
from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, add_config_argument, load_config_or_exit
from kiosk.core.ledger import Ledger, LedgerError, Limits, utc_now
from kiosk.owner import sync_request
from kiosk.sync import catalog_pull, featured_push, heartbeat
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import ApiClient, ApiError, AuthRefused, Transient
from kiosk.sync.outbox import Outbox
from kiosk.sync.token_file import read_token

log = logging.getLogger("kiosk.sync")

PRUNE_INTERVAL_S = 6 * 3600
NOT_ENROLLED = ("this kiosk is not enrolled: run 'kioskctl enroll --stdin' (or --code-file"
                " FILE) with a code from the office")


@dataclass(frozen=True)
class Timing:
    """Pacing of the loop; tests pass short values."""

    poll_s: float = 2.0
    backoff_base_s: float = 1.0
    backoff_cap_s: float | None = None  # None: the configuration's api.max_backoff_s


def token_alarm(error: AuthRefused) -> str:
    return (f"the central API refused this kiosk's token ({error}); donations are kept but not "
            "sent. Enroll again with 'kioskctl enroll --stdin' (or --code-file FILE)")


def make_client(cfg: Config, token: str | None) -> ApiClient:
    return ApiClient(cfg.api.base_url, token, ca_bundle=cfg.api.ca_bundle,
                     connect_timeout_s=cfg.api.connect_timeout_s,
                     read_timeout_s=cfg.api.read_timeout_s, deadline_s=cfg.api.call_deadline_s)


class SyncService:
    def __init__(self, cfg: Config, ledger: Ledger, *, timing: Timing = Timing(),
                 rng: random.Random | None = None):
        self.cfg, self.ledger, self.timing = cfg, ledger, timing
        cap = timing.backoff_cap_s if timing.backoff_cap_s is not None else cfg.api.max_backoff_s
        self.backoff = Backoff(timing.backoff_base_s, cap, rng)
        self.token_path = Path(cfg.api.token_file)
        self.client: ApiClient | None = None
        self._token: str | None = None
        self._refused_token: str | None = None
        self._alarm: str | None = None
        self.last_error: str | None = None
        self.last_success_at: str | None = None
        self.online = False
        self.next_network_at = 0.0
        self.next_heartbeat_at = 0.0
        self.next_catalog_at = 0.0
        self.next_prune_at = 0.0
        self._outage_error: str | None = None
        self.catalog_refusal: str | None = None
        self.catalog_backoff = Backoff(timing.backoff_base_s, cap, rng)
        self._written: dict[str, Any] | None = None

    # -- one round ---------------------------------------------------------------------------

    def _current_client(self) -> ApiClient | None:
        token = read_token(self.token_path)
        if token != self._token or self.client is None:
            if self.client:
                self.client.close()
            self._token, self.client = token, make_client(self.cfg, token)
        if token is None:
            self._alarm = NOT_ENROLLED
            return None
        if token == self._refused_token:
            return None  # stays stopped until the token file changes
        if self._alarm == NOT_ENROLLED or self._refused_token is not None:
            self._alarm, self._refused_token = None, None
        return self.client

    def cycle(self, stop: threading.Event | None = None, *, force: bool = False) -> None:
        """Do whatever is due. ``force`` also pulls the catalog and sends a heartbeat now."""
        now = time.monotonic()
        try:
            requested = sync_request.take(self.ledger)  # « Synchroniser maintenant »
        except sqlite3.Error as e:
            log.error("cannot read the screen's sync request: %s", e)
            requested = None
        self._cycle(now, force or requested is not None, stop)
        if requested is not None:
            try:
                sync_request.done(self.ledger, requested)
            except sqlite3.Error as e:
                log.error("cannot acknowledge the screen's sync request: %s", e)

    def _cycle(self, now: float, force: bool, stop: threading.Event | None) -> None:
        client = self._current_client()
        if client is None or (now < self.next_network_at and not force):
            self._write_status_safely()
            return
        device = self.cfg.device.id
        try:
            featured_push.push_if_changed(self.ledger, client, device)
            report = Outbox(self.ledger, client, device, self.cfg.api.batch_size).drain(stop)
            if report.retry_later:
                raise Transient(f"{report.retry_later} donation(s) were refused for now by the "
                                "server (retryable); they will be sent again")
            if force or now >= self.next_catalog_at:
                retry_in = self._pull_catalog(client)
                self.next_catalog_at = now + min(retry_in, self.cfg.api.catalog_interval_s)
            recovered_from = self._outage_error
            self._succeeded()
            if now >= self.next_prune_at:
                # Retention: only rows the server confirmed (never unsynced, quarantined or
                # unknown ones); here because this is the process that knows what is confirmed.
                self.ledger.prune(self.cfg.donations.retention_days)
                self.next_prune_at = now + PRUNE_INTERVAL_S
            # On change: back from an outage (telling what it was), or new quarantined rows.
            changed = recovered_from is not None or report.quarantined > 0
            if force or changed or now >= self.next_heartbeat_at:
                heartbeat.send(self.ledger, client, device, self.cfg.data_dir,
                               recovered_from or self.last_error)
                self.next_heartbeat_at = now + self.cfg.api.heartbeat_interval_s
        except AuthRefused as e:
            self._refused_token, self._alarm, self.online = self._token, token_alarm(e), False
            self.last_error = str(e)
            log.error("%s", self._alarm)
        except ApiError as e:
            self.online = False
            self.last_error = self._outage_error = str(e)
            self._back_off(getattr(e, "retry_after", None))
        except (sqlite3.Error, OSError) as e:
            # This side's storage (disk full, database busy or read-only): nothing is lost,
            # what was confirmed stays confirmed; try again later rather than crash-loop.
            self.last_error = self._outage_error = f"local storage problem: {e}"
            self._back_off(None)
        self._write_status_safely()

    def _back_off(self, retry_after: float | None) -> None:
        delay = self.backoff.next_delay(retry_after)
        self.next_network_at = time.monotonic() + delay
        log.warning("sync failed, next try in %.1f s: %s", delay, self.last_error)

    def _write_status_safely(self) -> None:
        try:
            self.write_status()
        except sqlite3.Error as e:
            log.error("cannot record the sync status: %s", e)

    def _pull_catalog(self, client: ApiClient) -> float:
        """One catalog pull that cannot end the round (the previous catalog stays live
        whatever happens here). Returns how soon to try again, in seconds."""
        retry_after = None
        try:
            result = catalog_pull.pull(self.ledger, client, self.cfg.device.id,
                                       self.cfg.images_dir, self.cfg.api.max_image_mb * 2**20)
        except AuthRefused:
            raise  # the token, not the catalog: stop sending and raise the alarm
        except ApiError as e:
            # Network trouble on the catalog or an image: try again sooner than the interval.
            self.catalog_refusal = f"catalog not updated: {e}"
            retry_after = getattr(e, "retry_after", None)
        except (OSError, sqlite3.Error) as e:
            self.catalog_refusal = f"catalog not updated: local storage problem: {e}"
        except Exception as e:  # noqa: BLE001 - a catalog must never stop donations
            log.exception("catalog pull failed")
            self.catalog_refusal = f"catalog not updated: {type(e).__name__}: {e}"[:500]
        else:
            self.catalog_backoff.reset()
            # A refusal is not a network failure: no backoff, the interval as usual.
            self.catalog_refusal = (f"catalog refused: {result.reason}"
                                    if result.outcome == "refused" else None)
            return float(self.cfg.api.catalog_interval_s)
        log.warning("%s", self.catalog_refusal)
        return self.catalog_backoff.next_delay(retry_after)

    def _succeeded(self) -> None:
        self.backoff.reset()
        self._outage_error = None
        self.online = True
        self.last_error = self.catalog_refusal
        self.last_success_at = utc_now()
        self.next_network_at = 0.0

    def backlog_count(self) -> int:
        return self.ledger.backlog().count

    def status(self) -> dict[str, Any]:
        return {"online": self.online, "last_success_at": self.last_success_at,
                "last_error": self.last_error, "alarms": [self._alarm] if self._alarm else [],
                "backlog_count": self.backlog_count()}

    def write_status(self) -> None:
        status = self.status()
        if status != self._written:
            self.ledger.set_service_status("sync", status)
            self._written = status

    # -- loops -----------------------------------------------------------------------------

    def run_once(self) -> int:
        self.cycle(force=True)
        return EXIT_OK if self.backlog_count() == 0 and not self._alarm else EXIT_PROBLEM

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.cycle(stop)
            wait = self.timing.poll_s
            if self.next_network_at:
                wait = min(wait, max(0.0, self.next_network_at - time.monotonic()))
            stop.wait(max(wait, 0.01))

    def close(self) -> None:
        if self.client:
            self.client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-sync", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true",
                        help="one round, then exit 0 if the backlog is empty, 1 otherwise")
    parser.add_argument("-v", "--verbose", action="store_true")
    add_config_argument(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="kiosk-sync: %(levelname)s %(message)s", stream=sys.stderr)
    cfg = load_config_or_exit(args)
    try:
        ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    except LedgerError as e:
        print(f"kiosk-sync: ledger problem: {e}", file=sys.stderr)
        return EXIT_PROBLEM
    service = SyncService(cfg, ledger)
    try:
        if args.once:
            return service.run_once()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        service.run_forever(stop)
        return EXIT_OK
    finally:
        service.close()
        ledger.close()


if __name__ == "__main__":
    sys.exit(main())
