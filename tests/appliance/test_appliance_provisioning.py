"""The Ansible playbook end to end over a real SSH connection, into a staging root.

Real: ansible-playbook, OpenSSH (an sshd on 127.0.0.1 with its own host key and a key made
here), the role's tasks, systemd-sysusers/tmpfiles/systemctl --root on the staged files, a
wheel built from this repository installed in a real virtualenv. Skipped with --skip-tags:
`packages` (apt would change this machine) and `systemd` (starting services needs systemd as
PID 1). Nothing is written outside the staging root and the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from central.testing.process import Running
from central.testing.process import start as start_central_api
from kiosk.core import pin
from kiosk.core.config import load
from kiosk.core.ledger import Ledger, Limits
from tests.appliance.fixtures import kiosk_wheels  # noqa: F401  (fixture)
from tests.appliance.sshd import SshTarget, running_sshd
from tests.appliance.systemd_tools import REPO, verify_strict

PLAYBOOK = REPO / "config/ansible/site.yml"
CENTRAL = "central-staging"
PI_CMDLINE = ("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
              "fsck.repair=yes rootwait cfg80211.ieee80211_regdom=FR\n")
PI_CONFIG_TXT = "# For more options and information see\n[all]\ndtparam=audio=on\n"
RECAP = re.compile(r"^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                   re.M)


def fresh_pi_os(root: Path) -> Path:
    """What the playbook finds on a freshly flashed card, as far as it looks."""
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/cmdline.txt").write_text(PI_CMDLINE)
    (root / "boot/firmware/config.txt").write_text(PI_CONFIG_TXT)
    (root / "etc").mkdir()
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n"
                                     "pi:x:1000:1000::/home/pi:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\ndialout:x:20:pi\nvideo:x:44:pi\n"
                                    "input:x:105:pi\nrender:x:106:pi\nsystemd-journal:x:999:\n"
                                    "pi:x:1000:\n")
    return root


def write_inventory(path: Path, target: SshTarget, root: Path, wheel: Path, house: Path,
                    api_url: str = "https://dons.example.org",
                    central: dict[str, object] | None = None, **overrides: object) -> Path:
    """One kiosk host over SSH; with ``central``, the central service's host too (its
    variables), and the kiosk gets its enrollment code from there."""
    host = {
        "ansible_host": target.host, "ansible_port": target.port, "ansible_user": target.user,
        "ansible_ssh_private_key_file": str(target.client_key),
        # One SSH connection reused by every task; it closes itself 5 s after the last one.
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={target.known_hosts} "
                                   "-o StrictHostKeyChecking=yes -o ControlMaster=auto "
                                   f"-o ControlPersist=5s -o ControlPath={target.control_dir}/%C",
        "ansible_python_interpreter": "/usr/bin/python3",
        "kiosk_become": False, "kiosk_root": str(root), "kiosk_wheel": str(wheel),
        # The interpreter the wheelhouse was built for (same Python version as the tests).
        "kiosk_python": getattr(sys, "_base_executable", sys.executable),
        "kiosk_pip_args": ["--no-index", f"--find-links={house}"],
        "kiosk_device_id": "staging-01", "kiosk_first_pin": "482193",
        # Paths inside the staging root, so that set-pin writes the staged ledger.
        "kiosk_config": {
            "device": {"data_dir": f"{root}/var/lib/kiosk"},
            "api": {"base_url": api_url,
                    "token_file": f"{root}/etc/kiosk/device-token"},
            "terminal": {"bridge_socket": f"{root}/run/kiosk/bridge.sock",
                         "journal": f"{root}/var/lib/firmware-bridge/journal.db"},
            "screen": {"rotation": 90},
        },
    }
    if central is not None:
        host["central_host"] = CENTRAL
    host.update(overrides)
    fleet: dict[str, object] = {"kiosks": {"hosts": {"kiosk-staging": host}}}
    if central is not None:
        fleet["central"] = {"hosts": {CENTRAL: central}}
    # JSON is YAML: no YAML library needed to write the inventory.
    path.write_text(json.dumps(fleet, indent=2))
    return path


def central_host(work: Path, database: Path) -> dict[str, object]:
    """This machine as the central service's host (a local connection: the delegated task
    really runs `central enroll-code` there), with an environment file as the service's
    unit reads it: production settings on the same database the running service uses."""
    env_file = work / "central.env"
    env_file.write_text("# as /etc/central/central.env\n"
                        "DJANGO_SETTINGS_MODULE=central.settings.production\n"
                        # A shell would choke on this key: the file is read, not sourced.
                        "DJANGO_SECRET_KEY='staging-$(x)&key-" + "k" * 40 + "'\n"
                        "DJANGO_ALLOWED_HOSTS=dons.example.org\n"
                        f"DATABASE_URL=sqlite:///{database}\n")
    return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "central_command": str(Path(sys.executable).parent / "central"),
            "central_env_file": str(env_file), "central_become": False}


def enrollment_codes(api: Running, device_id: str) -> int:
    """How many codes the central service ever made for the device (read with the ORM)."""
    done = api.manage("shell", "-v0", "-c", (
        "from central.devices.models import EnrollmentCode as E;"
        f"print(E.objects.filter(device__device_id={device_id!r}).count())"))
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def run_playbook(inventory: Path, work: Path) -> tuple[subprocess.CompletedProcess, tuple]:
    env = {**os.environ, "ANSIBLE_HOME": str(work / "ansible-home"),
           "ANSIBLE_LOCAL_TEMP": str(work / "ansible-local"),
           "ANSIBLE_REMOTE_TMP": str(work / "ansible-remote"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_PIPELINING": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
           "ANSIBLE_CONFIG": str(work / "no-ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "default"}
    playbook = Path(sys.executable).parent / "ansible-playbook"
    done = subprocess.run([str(playbook), "-i", str(inventory), str(PLAYBOOK),
                           "--skip-tags", "packages,systemd"],
                          capture_output=True, text=True, env=env, timeout=600)
    found = RECAP.search(done.stdout)
    return done, tuple(int(g) for g in found.groups()) if found else ()


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory,
                kiosk_wheels: dict[str, Path]):  # noqa: F811
    """One staging root provisioned once over SSH; the tests below look at it and re-run."""
    work = tmp_path_factory.mktemp("provisioning")
    # The central service on 127.0.0.1, which knows nothing of the device yet: the play asks
    # it for a code (`central enroll-code` on its host) and the kiosk enrolls with it.
    api = start_central_api(work / "central.db", device_id="staging-01")
    try:
        with running_sshd(work / "sshd") as target:
            root = fresh_pi_os(work / "root")
            inventory = write_inventory(work / "inventory.yml", target, root,
                                        kiosk_wheels["0.9.0"], kiosk_wheels["house"],
                                        api_url=api.url,
                                        central=central_host(work, work / "central.db"))
            first, recap = run_playbook(inventory, work)
            yield {"work": work, "target": target, "root": root, "inventory": inventory,
                   "first": first, "recap": recap, "wheels": kiosk_wheels, "api": api}
    finally:
        api.stop()


def test_first_run_builds_a_kiosk_in_the_staging_root(provisioned: dict) -> None:
    first, root = provisioned["first"], provisioned["root"]
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    ok, changed, unreachable, failed = provisioned["recap"]
    assert changed > 0 and unreachable == 0 and failed == 0

    # The application: a release virtualenv behind the "current" link.
    version = subprocess.run([root / "opt/kiosk/current/bin/kioskctl", "version"],
                             capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "0.9.0"
    # The configuration: valid, from the inventory.
    cfg = load(root / "etc/kiosk/kiosk.toml")
    assert cfg.device.id == "staging-01" and cfg.screen.rotation == 90
    # Users from sysusers.d, the shared data dir from tmpfiles.d.
    passwd = (root / "etc/passwd").read_text()
    assert all(f"\n{u}:" in passwd for u in ("kiosk", "kiosk-sync", "firmware-bridge"))
    assert oct((root / "var/lib/kiosk").stat().st_mode & 0o7777) == "0o2770"
    # Units in place, valid, enabled at boot.
    assert verify_strict(root).returncode == 0
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert sorted(p.name for p in wants.iterdir()) == [
        "firmware-bridge.service", "kiosk-sync.service", "kiosk-update-recover.service",
        "kiosk.service"]
    # OS fragments.
    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline.count("\n") == 1 and "console=tty3" in cmdline
    assert "console=tty1" not in cmdline
    for param in ("consoleblank=0", "vt.global_cursor_default=0", "quiet"):
        assert cmdline.split().count(param) == 1
    assert "dtparam=watchdog=on" in (root / "boot/firmware/config.txt").read_text()
    assert "SDL_VIDEODRIVER=kmsdrm" in (root / "etc/kiosk/screen.env").read_text()
    assert (root / "etc/systemd/journald.conf.d/kiosk.conf").exists()
    assert (root / "etc/NetworkManager/conf.d/kiosk-wifi-powersave-off.conf").exists()
    rules = sorted(p.name for p in (root / "etc/udev/rules.d").iterdir())
    assert rules == ["90-kiosk-backlight.rules", "99-payment-terminal.rules"]
    # The code was made on the central host by the delegated task, never shown.
    assert f"kiosk-staging -> {CENTRAL}" in first.stdout
    assert enrollment_codes(provisioned["api"], "staging-01") == 1
    # The first PIN, as a hash in the staged ledger; enrolled with the one-time code.
    ledger = Ledger.open(root / "var/lib/kiosk/kiosk.db", Limits(15000, 300000, 0))
    assert pin.verify_pin("482193", ledger.get_setting("pin_hash"))
    assert ledger.get_setting("receipt_key")
    ledger.close()
    token = root / "etc/kiosk/device-token"
    assert token.read_text().strip() and token.stat().st_mode & 0o777 == 0o600
    # The token is the central service's own for this device.
    assert provisioned["api"].store.device_for_token(token.read_text().strip()) == \
        ("staging-01", False)
    # tmpfiles.d handed the token to kiosk-sync (its uid in the staged passwd).
    sync_uid = next(int(line.split(":")[2]) for line in passwd.splitlines()
                    if line.startswith("kiosk-sync:"))
    assert token.stat().st_uid == sync_uid


def test_second_run_changes_nothing(provisioned: dict) -> None:
    second, recap = run_playbook(provisioned["inventory"], provisioned["work"])
    assert second.returncode == 0, second.stdout[-4000:]
    assert recap[1] == 0, "second run changed something:\n" + "\n".join(
        line for line in second.stdout.splitlines() if line.startswith("changed"))
    # An enrolled kiosk: no new code asked of the central service.
    assert enrollment_codes(provisioned["api"], "staging-01") == 1


def test_a_bad_configuration_is_refused_and_stops_the_fleet(provisioned: dict) -> None:
    root, work = provisioned["root"], provisioned["work"]
    before = (root / "etc/kiosk/kiosk.toml").read_text()
    bad_inventory = write_inventory(work / "bad-inventory.yml", provisioned["target"], root,
                                    provisioned["wheels"]["0.9.0"],
                                    provisioned["wheels"]["house"],
                                    api_url=provisioned["api"].url,
                                    kiosk_config_host={"donations": {"max_donation_cents": 0}})
    # A second kiosk in the fleet, fresh: the first batch (one host) fails, so it is never
    # touched (serial + max_fail_percentage: 0).
    fleet = json.loads(bad_inventory.read_text())
    second_root = fresh_pi_os(work / "second-root")
    second = json.loads(json.dumps(fleet["kiosks"]["hosts"]["kiosk-staging"])
                        .replace(str(root), str(second_root)))
    second.update(kiosk_root=str(second_root), kiosk_config_host={},
                  kiosk_device_id="staging-02")
    fleet["kiosks"]["hosts"]["kiosk-second"] = second
    bad_inventory.write_text(json.dumps(fleet, indent=2))

    bad, recap = run_playbook(bad_inventory, work)
    assert bad.returncode != 0 and recap[3] == 1
    assert "donations.max_donation_cents = 0" in bad.stdout
    assert (root / "etc/kiosk/kiosk.toml").read_text() == before
    assert tomllib.loads(before)["device"]["id"] == "staging-01"
    assert "kiosk-second" not in bad.stdout.split("PLAY RECAP")[1]
    assert not (second_root / "opt").exists() and not (second_root / "etc/kiosk").exists()


def test_a_new_wheel_goes_through_the_safe_update(provisioned: dict) -> None:
    root, work, wheels = provisioned["root"], provisioned["work"], provisioned["wheels"]
    restarts = work / "restarts.log"
    inventory = write_inventory(
        work / "update-inventory.yml", provisioned["target"], root, wheels["0.9.1"],
        wheels["house"], api_url=provisioned["api"].url, kiosk_update_deadline=30,
        kiosk_update_settle=0,
        # Stand-ins for systemctl restart and for the services' health (no systemd as PID 1).
        kiosk_update_restart_cmd=f"sh -c 'echo restart >> {restarts}'",
        kiosk_update_health_cmd=f"{{release}}/bin/kioskctl --config "
                                f"{root}/etc/kiosk/kiosk.toml self-test --no-terminal")
    done, recap = run_playbook(inventory, work)
    assert done.returncode == 0, done.stdout[-4000:]
    version = subprocess.run([root / "opt/kiosk/current/bin/kioskctl", "version"],
                             capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "0.9.1"
    assert (root / "opt/kiosk/previous").resolve().name.startswith("0.9.0-")
    assert restarts.read_text().splitlines() == ["restart"]


def test_no_secret_is_put_on_a_command_line_by_the_role() -> None:
    # ps shows every argument to every user: the PIN and the enrollment code go on stdin.
    import yaml

    tasks = yaml.safe_load((REPO / "config/ansible/roles/kiosk/tasks/first_run.yml").read_text())
    commands = {t["name"]: t for t in tasks if "ansible.builtin.command" in t}
    enroll = next(t for name, t in commands.items() if name.startswith("Enroll"))
    assert enroll["ansible.builtin.command"]["argv"][-2:] == ["enroll", "--stdin"]
    # The code from the central host when there is one, else the vault's.
    assert enroll["ansible.builtin.command"]["stdin"] == (
        "{{ kiosk_central_code.stdout if central_host | length > 0 else kiosk_enroll_code }}")
    asking = next(t for t in commands.values() if t.get("register") == "kiosk_central_code")
    assert asking["delegate_to"].startswith("{{ central_host if ")
    for task in commands.values():
        argv = task["ansible.builtin.command"]["argv"]
        assert task["no_log"] is True or "stdin" not in task["ansible.builtin.command"]
        assert not any(secret in str(argv) for secret in (
            "kiosk_enroll_code", "kiosk_first_pin", "kiosk_central_code"))
    assert asking["no_log"] is True
