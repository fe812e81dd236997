"""The systemd units, checked by systemd's own offline tools on a staged root.

Real: systemd-analyze verify/security, systemd-sysusers, systemd-tmpfiles (Debian's systemd
package). Not possible here: starting the units, since systemd is not PID 1 on this machine.
"""

from __future__ import annotations

import configparser
import shutil
import stat
from pathlib import Path

import pytest

from tests.appliance.systemd_tools import (
    ALL_UNITS,
    MAX_EXPOSURE,
    RECOVER_UNIT,
    SYSTEMD_DIR,
    UNITS,
    run_tool,
    security,
    stage_root,
    verify_strict,
)


def unit_options(name: str) -> dict[str, dict[str, list[str]]]:
    """Every section's options; a key given twice keeps all its values, as systemd does."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (SYSTEMD_DIR / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, value = line.split("=", 1)
        current.setdefault(key, []).append(value)
    return sections


def test_units_verify_without_warnings(tmp_path: Path) -> None:
    root = stage_root(tmp_path / "root")
    result = verify_strict(root)
    assert result.returncode == 0, result.stderr


def test_verify_check_fails_on_an_unknown_key(tmp_path: Path) -> None:
    # Plain `systemd-analyze verify` can exit 0 on an unknown key; ours must not.
    units = tmp_path / "units"
    shutil.copytree(SYSTEMD_DIR, units)
    broken = units / "kiosk-sync.service"
    broken.write_text(broken.read_text().replace("[Service]", "[Service]\nRestartSecc=5"))
    result = verify_strict(stage_root(tmp_path / "root", units))
    assert result.returncode != 0
    assert "RestartSecc" in result.stderr


def test_verify_check_fails_when_a_binary_is_missing(tmp_path: Path) -> None:
    root = stage_root(tmp_path / "root")
    (root / "opt/kiosk/current/bin/kiosk-sync").unlink()
    result = verify_strict(root)
    assert result.returncode != 0
    assert "kiosk-sync" in result.stderr


@pytest.mark.parametrize("unit", ALL_UNITS)
def test_security_exposure_within_limit(unit: str) -> None:
    result, exposure = security(SYSTEMD_DIR / unit, MAX_EXPOSURE[unit])
    assert result.returncode == 0, result.stdout
    assert exposure <= MAX_EXPOSURE[unit]


def test_security_threshold_rejects_an_unhardened_unit(tmp_path: Path) -> None:
    plain = tmp_path / "plain.service"
    plain.write_text("[Service]\nExecStart=/bin/true\nUser=nobody\n")
    result, exposure = security(plain, 3.0)
    assert exposure > 3.0
    assert result.returncode != 0


def test_screen_is_a_watchdogged_notify_service_on_tty1() -> None:
    unit = unit_options("kiosk.service")
    service = unit["Service"]
    assert service["Type"] == ["notify"]
    assert int(service["WatchdogSec"][0]) > 0
    assert service["Restart"] == ["always"]
    assert "getty@tty1.service" in unit["Unit"]["Conflicts"]
    assert service["TTYPath"] == ["/dev/tty1"]
    assert {"video", "render", "input"} <= set(" ".join(service["SupplementaryGroups"]).split())
    assert service["User"] == ["kiosk"]


def test_bridge_has_the_terminal_and_no_network() -> None:
    service = unit_options("firmware-bridge.service")["Service"]
    assert service["Type"] == ["notify"]
    assert int(service["WatchdogSec"][0]) > 0
    assert service["IPAddressDeny"] == ["any"]
    assert service["RestrictAddressFamilies"] == ["AF_UNIX"]
    assert service["DevicePolicy"] == ["closed"]
    assert all(d.startswith("char-tty") for d in service["DeviceAllow"])
    assert service["User"] == ["firmware-bridge"]


def test_sync_is_ordered_after_network_and_clock_without_requiring_them() -> None:
    unit = unit_options("kiosk-sync.service")["Unit"]
    after = " ".join(unit["After"]).split()
    assert "network-online.target" in after and "time-sync.target" in after
    assert "Requires" not in unit and "Requisite" not in unit and "BindsTo" not in unit


def test_sync_yields_cpu_and_io_to_the_screen() -> None:
    sync = unit_options("kiosk-sync.service")["Service"]
    screen = unit_options("kiosk.service")["Service"]
    assert int(sync["Nice"][0]) >= 10 > int(screen.get("Nice", ["0"])[0])
    assert int(sync["CPUWeight"][0]) < int(screen.get("CPUWeight", ["100"])[0])
    # Lowest best-effort, not idle: sync fsyncs while holding the ledger's write lock.
    assert sync["IOSchedulingClass"] == ["best-effort"]
    assert sync["IOSchedulingPriority"] == ["7"]
    assert "IOSchedulingClass" not in screen


def test_only_sync_may_read_the_token() -> None:
    for name in ("kiosk.service", "firmware-bridge.service"):
        service = unit_options(name)["Service"]
        assert "-/etc/kiosk/device-token" in service["InaccessiblePaths"]
    tmpfiles = (SYSTEMD_DIR / "tmpfiles.d/kiosk.conf").read_text()
    assert "/etc/kiosk/device-token   0600 kiosk-sync" in tmpfiles


@pytest.mark.parametrize("unit", UNITS)
def test_every_unit_runs_as_its_own_user_with_strict_hardening(unit: str) -> None:
    service = unit_options(unit)["Service"]
    assert service["User"][0] not in ("root", "0")
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "yes",
                       "PrivateTmp": "yes", "ProtectHome": "yes",
                       "SystemCallFilter": "@system-service", "UMask": "0007"}.items():
        assert value in service[key], f"{unit}: {key}"


def test_sysusers_and_tmpfiles_build_the_shared_data_dir(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for sub in ("sysusers.d", "tmpfiles.d"):
        (root / "etc" / sub).mkdir(parents=True)
        shutil.copy(SYSTEMD_DIR / sub / "kiosk.conf", root / "etc" / sub / "kiosk.conf")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc/group").write_text("root:x:0:\nsystemd-journal:x:101:\n")
    result = run_tool("systemd-sysusers", f"--root={root}", "kiosk.conf")
    assert result.returncode == 0, result.stderr
    users = {line.split(":")[0]: line.split(":") for line in
             (root / "etc/passwd").read_text().splitlines()}
    assert {"kiosk", "kiosk-sync", "firmware-bridge"} <= set(users)
    assert all(users[u][6] == "/usr/sbin/nologin" for u in ("kiosk", "kiosk-sync"))
    groups = {line.split(":")[0]: line.split(":") for line in
              (root / "etc/group").read_text().splitlines()}
    assert groups["kiosk"][3].split(",") == ["kiosk-sync"]
    assert "kiosk" not in groups["firmware-bridge"][3]

    result = run_tool("systemd-tmpfiles", f"--root={root}", "--create", "kiosk.conf")
    assert result.returncode == 0, result.stderr
    data = (root / "var/lib/kiosk").stat()
    assert stat.S_IMODE(data.st_mode) == 0o2770
    assert data.st_gid == int(groups["kiosk"][2])


def test_os_drop_ins_parse_and_bound_what_they_must() -> None:
    def read(rel: str) -> configparser.ConfigParser:
        parser = configparser.ConfigParser()
        parser.read_string((SYSTEMD_DIR / rel).read_text())
        return parser

    journal = read("journald.conf.d/kiosk.conf")["Journal"]
    assert journal["SystemMaxUse"].endswith("M") and int(journal["SystemMaxUse"][:-1]) <= 128
    manager = read("system.conf.d/kiosk-watchdog.conf")["Manager"]
    # The Pi's hardware watchdog cannot count past about 15 s.
    assert 0 < int(manager["RuntimeWatchdogSec"]) <= 15
    assert "Time" in read("timesyncd.conf.d/kiosk.conf")


def test_an_interrupted_update_is_undone_at_boot_before_the_services() -> None:
    unit = unit_options(RECOVER_UNIT)
    assert unit["Unit"]["ConditionPathExists"] == ["/opt/kiosk/update-state.json"]
    assert set(" ".join(unit["Unit"]["Before"]).split()) == set(UNITS)
    service = unit["Service"]
    assert service["Type"] == ["oneshot"]
    assert "update --recover" in service["ExecStart"][0]
    assert service["ReadWritePaths"] == ["/opt/kiosk"]
