"""kioskctl self-test [--services] [--no-terminal] [--json]: can this kiosk take donations?

Also the health check of ``kioskctl update`` (with ``--services``): exit 0 only when every
check passes. Warnings (not enrolled yet, clock not synchronised) do not fail it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass

from kiosk.core.config import Config
from kiosk.core.config_args import EXIT_OK, EXIT_PROBLEM, load_config_or_exit
from kiosk.core.ledger import Ledger, LedgerError, Limits, free_disk_bytes
from kiosk.core.schema import MIGRATIONS
from kiosk.ops import services
from kiosk.payment.client import BridgeClient, BridgeClientError


@dataclass
class Check:
    name: str
    level: str  # "ok", "warn" or "fail"
    detail: str


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("self-test", help="check that this kiosk can take donations")
    parser.add_argument("--services", action="store_true",
                        help="also require the three systemd services to be running")
    parser.add_argument("--no-terminal", action="store_true",
                        help="skip asking the bridge about the terminal")
    parser.add_argument("--terminal-may-be-off", action="store_true",
                        help="the bridge must answer, but a terminal that is switched off is "
                             "only a warning (the update's health check: updates at night)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def _data_dir(cfg: Config) -> Check:
    try:
        with tempfile.NamedTemporaryFile(dir=cfg.data_dir, prefix=".self-test-"):
            pass
    except OSError as e:
        return Check("data directory", "fail", f"cannot write in {cfg.data_dir}: {e}")
    free = free_disk_bytes(cfg.data_dir)
    if free < cfg.device.min_free_disk_mb * 2**20:
        return Check("data directory", "fail", f"only {free // 2**20} MiB free, "
                     f"{cfg.device.min_free_disk_mb} MiB needed to take donations")
    return Check("data directory", "ok", f"{cfg.data_dir} writable, {free // 2**20} MiB free")


def _ledger(cfg: Config) -> Check:
    try:
        ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg), check=False)
    except LedgerError as e:
        return Check("ledger", "fail", str(e))
    try:
        problems = ledger.quick_check()
        version = ledger.schema_version()
    finally:
        ledger.close()
    if problems:
        return Check("ledger", "fail", f"quick_check: {problems[:3]}")
    if version < len(MIGRATIONS):
        return Check("ledger", "fail", f"schema {version}, this release needs {len(MIGRATIONS)}")
    return Check("ledger", "ok", f"{cfg.ledger_path} schema {version}, quick_check ok")


def _token(cfg: Config) -> Check:
    path = cfg.api.token_file
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return Check("enrollment", "warn", f"not enrolled yet (no {path}): run "
                     "'kioskctl enroll --stdin'")
    except PermissionError:
        return Check("enrollment", "ok", f"{path} present (not readable by this user)")
    if mode & 0o077:
        return Check("enrollment", "fail", f"{path} is readable by others (mode "
                     f"{mode:o}); it must be 0600")
    return Check("enrollment", "ok", f"{path} present, mode 0600")


def _terminal(cfg: Config, may_be_off: bool = False) -> Check:
    try:
        status = BridgeClient(cfg.terminal.bridge_socket, timeout_s=3).status()
    except BridgeClientError as e:
        return Check("terminal", "fail", str(e))
    if not status.connected:
        return Check("terminal", "warn" if may_be_off else "fail",
                     "the bridge runs but the terminal does not answer: "
                     f"{status.last_error or 'no answer yet'}")
    return Check("terminal", "ok", f"{status.protocol} on {status.device}")


def _services() -> Check:
    problems = services.unit_problems(services.unit_states())
    if problems:
        return Check("services", "fail", "; ".join(problems))
    return Check("services", "ok", "kiosk, firmware-bridge and kiosk-sync are running")


def _clock() -> Check:
    if services.clock_synchronised():
        return Check("clock", "ok", "synchronised")
    return Check("clock", "warn", "not synchronised yet (timestamps are informative only)")


def checks(cfg: Config, *, with_services: bool, with_terminal: bool,
           terminal_may_be_off: bool = False) -> list[Check]:
    todo: list[Callable[[], Check]] = [lambda: _data_dir(cfg), lambda: _ledger(cfg),
                                       lambda: _token(cfg), _clock]
    if with_terminal:
        todo.append(lambda: _terminal(cfg, terminal_may_be_off))
    if with_services:
        todo.append(_services)
    return [check() for check in todo]


def run(args: argparse.Namespace) -> int:
    cfg = load_config_or_exit(args)
    results = [Check("configuration", "ok", f"{cfg.path} is valid")]
    results += checks(cfg, with_services=args.services, with_terminal=not args.no_terminal,
                      terminal_may_be_off=args.terminal_may_be_off)
    failed = any(c.level == "fail" for c in results)
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in results]}, indent=2))
    else:
        for c in results:
            print(f"{c.level.upper():<4}  {c.name}: {c.detail}")
        print("self-test FAILED" if failed else "self-test passed")
    return EXIT_PROBLEM if failed else EXIT_OK
