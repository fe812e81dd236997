"""The screen's health checks: when they run, on which thread, and what they bring back.

Every ``health_interval_s`` on the attract loop (never while a donor is choosing or paying: the
I/O thread stays free for the payment), and at once after a refused payment: the terminal's
status on the side thread, then on the I/O thread (so never beside a payment) the catalog
re-read, recovery of pending donations and the ledger guards. One check at a time. Results
come back on the UI thread through ``on_health`` and ``on_projects``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from kivy.clock import Clock, mainthread

from kiosk.payment.recovery import resolve_pending
from kiosk.screen.health import Health, check_health, read_terminal

if TYPE_CHECKING:
    from kiosk.core.catalog import Project
    from kiosk.screen.catalog_watch import CatalogWatch
    from kiosk.screen.ui.app import KioskContext

log = logging.getLogger("kiosk.screen")


class HealthSchedule:
    def __init__(self, context: KioskContext, catalog: CatalogWatch, *, io: ThreadPoolExecutor,
                 side: ThreadPoolExecutor, idle: Callable[[], bool],
                 on_health: Callable[[Health], None],
                 on_projects: Callable[[str, list[Project]], None]):
        self.context, self.catalog = context, catalog
        self._io, self._side = io, side
        self._idle = idle  # True on the attract loop: periodic checks only then
        self._on_health, self._on_projects = on_health, on_projects
        self.health: Health | None = None  # the latest check's answer
        self._running = False

    def start(self) -> None:
        """The first check (already started before Kivy by kiosk.screen.startup, or now), then
        one every ``health_interval_s``."""
        first = self.context.first_health
        if first is not None:
            self._running = True
            first.add_done_callback(self._first_done)
        else:
            self.check_now()
        Clock.schedule_interval(self._periodic, self.context.health_interval_s)

    def check_now(self, *_args: object) -> None:
        if self._running:
            return  # one check at a time; a payment may hold the I/O thread for minutes
        self._running = True
        self._side.submit(self._terminal_status_worker)

    def _periodic(self, _dt: float) -> None:
        if self._idle():
            self.check_now()

    def _first_done(self, future: Future) -> None:
        try:
            health = future.result()
        except Exception:  # noqa: BLE001 - logged; the periodic check tries again
            log.exception("the first health check failed")
            Clock.schedule_once(lambda _dt: setattr(self, "_running", False), 0)
            return
        self._done(health)

    def _terminal_status_worker(self) -> None:
        ctx = self.context
        terminal = read_terminal(ctx.port)
        min_amount = ctx.flow_settings.smallest_amount_cents
        previous = self.health.status_row if self.health else None
        if self.catalog.enabled:
            self._io.submit(self.catalog.read).add_done_callback(self._projects_read)
        if terminal is not None and terminal.reachable:
            self._io.submit(self._recover_pending)
        future = self._io.submit(check_health, ctx.ledger, terminal, min_amount,
                                 ctx.port is not None, previous)
        future.add_done_callback(lambda f: self._done(f.result()))

    def _recover_pending(self) -> None:
        """Donations left pending by a crash or a lost answer: ask the bridge what became of
        them and record it; never pay again. On the I/O thread, so never beside a payment."""
        ledger = self.context.ledger
        try:
            if not ledger.pending():
                return
            outcome = resolve_pending(ledger, self.context.port)
        except Exception:  # noqa: BLE001 - logged; asked again at the next health check
            log.exception("cannot resolve pending donations")
            return
        for donation_id, state in outcome.resolved.items():
            log.info("recovered donation %s: %s", donation_id, state)
        if outcome.error:
            log.warning("pending donations not resolved yet: %s", outcome.error)

    def _projects_read(self, future: Future) -> None:
        try:
            version, projects = future.result()
        except Exception as e:  # noqa: BLE001 - a broken catalog: keep showing the last one
            log.warning("cannot re-read the catalog: %s", e)
            return
        self._projects_back(version, projects)

    @mainthread
    def _projects_back(self, version: str, projects: list[Project]) -> None:
        self._on_projects(version, projects)

    @mainthread
    def _done(self, health: Health) -> None:
        self._running = False
        previous, self.health = self.health, health
        if previous is not None and (previous.available, previous.reason) != (
                health.available, health.reason):  # the journal tells when and why it changed
            if health.available:
                log.info("giving is available again")
            else:
                log.warning("giving is unavailable: %s", health.reason)
        self._on_health(health)
