"""kioskctl status [--json]"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.core.config import Config
from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, load_config_or_exit
from kiosk.core.ledger import (
    OUT_OF_SERVICE_MARKER,
    Ledger,
    LedgerError,
    Limits,
    free_disk_bytes,
    out_of_service_reason,
    quick_check,
)
from kiosk.ops import reconcile, services, updater
from kiosk.ops.kioskctl.common import euros
from kiosk.payment.client import BridgeClient, BridgeClientError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help="everything an operator needs at a glance")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--base", default=str(updater.DEFAULT_BASE), help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def collect(cfg: Config, base: Path = updater.DEFAULT_BASE) -> dict[str, Any]:
    """The status document; ``problems`` lists what needs an operator, in plain words."""
    problems: list[str] = []
    info: dict[str, Any] = {"version": __version__, "device_id": cfg.device.id,
                            "hostname": socket.gethostname(), "data_dir": str(cfg.data_dir)}
    _appliance(cfg, base, info, problems)
    if (cfg.data_dir / OUT_OF_SERVICE_MARKER).exists():
        problems.append(out_of_service_reason(cfg.data_dir))
        info["database"] = {"ok": False}
        info["problems"] = problems
        return info
    try:
        # Read-only: a status must never create (or migrate) the ledger as a side effect.
        ledger = Ledger.open_readonly(cfg.ledger_path, Limits.from_config(cfg))
    except LedgerError as e:
        problems.append(str(e))
        info["database"] = {"ok": False}
        info["problems"] = problems
        return info
    try:
        free = free_disk_bytes(cfg.data_dir)
        info["disk_free_bytes"] = free
        if free < cfg.device.min_free_disk_mb * 2**20:
            problems.append(f"disk nearly full: {free // 2**20} MiB free, "
                            f"{cfg.device.min_free_disk_mb} MiB needed to take donations")
        check = quick_check(ledger.db)
        info["database"] = {"ok": not check, "quick_check": check or ["ok"],
                            "path": str(cfg.ledger_path)}
        if check:
            problems.append(f"database check failed: {check[:3]}")
        summary = ledger.summary()
        info.update(summary)
        oldest = summary["backlog"]["oldest_created_at"]
        info["backlog"]["oldest_age_s"] = _age_seconds(oldest)
        unknown = len(reconcile.unresolved(ledger))
        info["unreconciled"] = unknown
        if unknown:
            problems.append(f"{unknown} donation(s) with an unknown outcome need reconciling "
                            "against the acquirer's report ('kioskctl reconcile')")
        quarantined = summary["by_sync_state"]["quarantined"]
        if quarantined:
            problems.append(f"{quarantined} donation(s) were refused by the central API and are "
                            "kept in quarantine")
        services = ledger.service_status()
        info["services"] = services
        for name, status in services.items():
            for alarm in status.get("alarms", []):
                problems.append(f"{name}: {alarm}")
    finally:
        ledger.close()
    info["problems"] = problems
    return info


def _appliance(cfg: Config, base: Path, info: dict[str, Any], problems: list[str]) -> None:
    """Systemd units, the terminal, the clock and updates: what the ledger cannot tell."""
    release = updater.current_release(base)
    info["release"] = release.name if release else None
    cut_short = updater.interrupted(base)
    if cut_short:
        problems.append(f"an update was cut short ({cut_short}); run 'kioskctl update --recover'")
    booted = services.systemd_booted()
    if booted:
        units = services.unit_states()
        problems.extend(services.unit_problems(units))
    else:
        # A development machine or a container: nothing an operator must fix.
        units = {"available": False, "units": {},
                 "error": "systemd is not PID 1 here (not a kiosk device)"}
    info["systemd"] = units
    try:
        terminal = BridgeClient(cfg.terminal.bridge_socket, timeout_s=3).status()
        info["terminal"] = terminal.as_dict()
        if not terminal.connected:
            problems.append("the payment terminal does not answer: "
                            f"{terminal.last_error or 'no answer yet'}")
    except BridgeClientError as e:
        info["terminal"] = {"connected": False, "error": str(e)}
        problems.append(f"terminal: {e}")
    info["clock_synchronised"] = services.clock_synchronised() if booted else None
    if booted and not info["clock_synchronised"]:
        problems.append("the clock is not synchronised (no time server reached yet)")


def _age_seconds(created_at: str | None) -> float | None:
    if not created_at:
        return None
    then = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    return round((dt.datetime.now(dt.UTC) - then).total_seconds(), 1)


def run(args: argparse.Namespace) -> int:
    cfg = load_config_or_exit(args)
    info = collect(cfg, Path(args.base))
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
    else:
        print(render(info))
    return EXIT_PROBLEM if info["problems"] else EXIT_OK


def render(info: dict[str, Any]) -> str:
    lines = [f"kiosk {info['device_id']} (version {info['version']}, host {info['hostname']})"]
    for name, unit in info.get("systemd", {}).get("units", {}).items():
        lines.append(f"service {name}: {unit['state']}, restarts {unit.get('restarts')}")
    terminal = info.get("terminal", {})
    lines.append("terminal: " + ("connected" if terminal.get("connected") else "NOT connected"))
    clock = info.get("clock_synchronised")
    lines.append("clock: " + {True: "synchronised", False: "NOT synchronised",
                              None: "unknown (not under systemd)"}[clock])
    free = info.get("disk_free_bytes")
    lines.append(f"disk free: {free // 2**20} MiB" if free is not None else "disk free: ?")
    db = info.get("database", {})
    lines.append(f"database: {'ok' if db.get('ok') else 'PROBLEM'}")
    if "by_state" in info:
        lines.append("donations by state:")
        for state, v in info["by_state"].items():
            lines.append(f"  {state:<10} {v['count']:>7}  {euros(v['cents']):>12}")
        b = info["backlog"]
        age = b.get("oldest_age_s")
        lines.append(f"unsynced backlog: {b['count']} donation(s), {euros(b['cents'])}"
                     + (f", oldest {age / 3600:.1f} h ago (device clock)" if age else ""))
    for name, status in info.get("services", {}).items():
        brief = ", ".join(f"{k}={v}" for k, v in status.items() if k != "alarms")
        lines.append(f"{name}: {brief}")
    if info["problems"]:
        lines.append("NEEDS ATTENTION:")
        lines.extend(f"  - {p}" for p in info["problems"])
    else:
        lines.append("no problems found")
    return "\n".join(lines)
