"""What a fleet row shows, worked out in Python once per device: with 50 rows, the
template's per-row include, blocktranslate and filters were most of the page's time (its
SQL takes a few ms). The template only prints these strings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from central.backoffice.selectors import PROBLEMS
from central.backoffice.templatetags.backoffice import money
from central.devices.models import Device

PROBLEM_LABELS = {"silent": gettext_lazy("Silent"), "backlog": gettext_lazy("Old backlog"),
                  "unknown": gettext_lazy("Unknown outcomes"), "disk": gettext_lazy("Low disk"),
                  "revoked": gettext_lazy("Revoked")}


@dataclass(frozen=True)
class FleetRow:
    problems: list[str]  # the badges' words; none means OK
    heard: str = ""
    backlog: str = ""
    waiting: str = ""
    terminal: str = ""
    disk: str = ""
    clock: str = ""
    error: str = ""
    missing: str = ""  # instead of the heartbeat's cells: not enrolled, or never heard from


def fleet_row(device: Device, now: dt.datetime) -> FleetRow:
    """``device`` as :func:`central.backoffice.selectors.fleet` annotates it."""
    problems = [str(PROBLEM_LABELS[p]) for p in PROBLEMS if getattr(device, f"is_{p}")]
    state = getattr(device, "state", None)
    if state is None:
        return FleetRow(problems, missing=_("No heartbeat received yet.") if
                        device.token_sha256 else _("Not enrolled yet."))
    terminal = state.body.get("terminal") if isinstance(state.body, dict) else None
    return FleetRow(
        problems,
        heard=_("%(age)s ago") % {"age": timesince(state.received_at, now)},
        backlog=f"{state.backlog_count} · {money(state.backlog_cents)}",
        waiting=_("waiting %(age)s") % {"age": timesince(device.backlog_since, now)}
        if device.backlog_since else "",
        terminal=(_("connected") if isinstance(terminal, dict) and terminal.get("connected")
                  else _("not connected")) if terminal else "—",
        disk=filesizeformat(state.disk_free_bytes),
        clock=_("synchronized,not synchronized").split(",")[
            0 if state.clock_synchronized else 1],
        error=state.last_error or "—")
