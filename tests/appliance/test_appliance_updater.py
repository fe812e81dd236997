"""Safe updates with kiosk/ops/updater.py through `kioskctl update`.

Real: wheels built from this repository, fresh virtualenvs, pip, the symlink switch, the health
check (the new release's own `kioskctl self-test` on a real ledger file). Stand-in: the restart
command, which only records its calls, because systemd is not PID 1 here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.core.ledger import Ledger, Limits
from kiosk.ops import updater
from tests.appliance.fixtures import kiosk_wheels  # noqa: F401  (fixture)
from tests.appliance.kiosk_config import write_config
from tests.appliance.wheels import build_wheel

BROKEN_MIGRATION = '''

def _broken(conn):  # the kind of mistake an update can ship: it fails on the device
    conn.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER")


MIGRATIONS.append(_broken)
'''


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory,
             kiosk_wheels: dict[str, Path]) -> dict[str, Path]:  # noqa: F811
    work = tmp_path_factory.mktemp("broken-wheel")
    broken = build_wheel(work, "0.9.2", {"kiosk/core/schema.py": BROKEN_MIGRATION})
    return {**kiosk_wheels, "0.9.2": broken}


def kioskctl_update(base: Path, wheel: Path, house: Path, config: Path, restarts: Path,
                    deadline: float = 20) -> subprocess.CompletedProcess:
    record = f"{sys.executable} -c \"open('{restarts}', 'a').write('restart\\n')\""
    health = f"{{release}}/bin/kioskctl --config {config} self-test --no-terminal"
    return subprocess.run(
        [sys.executable, "-m", "kiosk.ops.kioskctl", "--config", str(config), "update", str(wheel),
         "--base", str(base), "--pip-arg=--no-index", f"--pip-arg=--find-links={house}",
         "--restart-cmd", record, "--health-cmd", health, f"--deadline={deadline}",
         "--settle=0.5", "--poll=0.2"],
        capture_output=True, text=True, timeout=600)


def test_update_switches_then_a_failing_release_rolls_back(
        tmp_path: Path, releases: dict[str, Path]) -> None:
    base, restarts = tmp_path / "opt-kiosk", tmp_path / "restarts.log"
    config = write_config(tmp_path)
    house = releases["house"]

    first = kioskctl_update(base, releases["0.9.0"], house, config, restarts)
    assert first.returncode == 0, first.stderr
    assert updater.current_release(base).name.startswith("0.9.0-")

    # A donation taken on 0.9.0 must survive everything below.
    ledger = Ledger.open(tmp_path / "data/kiosk.db", Limits(15000, 300000, 0))
    donation = ledger.create_pending("proj-1", 500, "EUR")
    ledger.finish(donation.id, "approved", auth_code="A1", card_suffix="4242")
    ledger.close()

    good = kioskctl_update(base, releases["0.9.1"], house, config, restarts)
    assert good.returncode == 0, good.stderr
    assert "updated to 0.9.1" in good.stdout
    assert updater.current_release(base).name.startswith("0.9.1-")
    assert (base / "previous").resolve().name.startswith("0.9.0-")
    assert len(list((base / "releases").iterdir())) == 2  # current and previous only
    on_good = subprocess.run([base / "current/bin/kioskctl", "version"],
                             capture_output=True, text=True, check=True)
    assert on_good.stdout.strip() == "0.9.1"

    restarts.write_text("")
    bad = kioskctl_update(base, releases["0.9.2"], house, config, restarts, deadline=3)
    assert bad.returncode == 1
    assert "rolled back" in bad.stderr and "no_such_table" in bad.stderr
    assert updater.current_release(base).name.startswith("0.9.1-")
    # Restarted once onto the new release, once back onto the old one.
    assert restarts.read_text().splitlines() == ["restart", "restart"]
    assert not any(p.name.startswith("0.9.2-") for p in (base / "releases").iterdir())
    assert updater.interrupted(base) is None
    log = [json.loads(line) for line in (base / "updates.log").read_text().splitlines()]
    assert [(e["version"], e["ok"], e["rolled_back"]) for e in log] == [
        ("0.9.0", True, False), ("0.9.1", True, False), ("0.9.2", False, True)]

    # The previous release still works on the ledger, with the donation in it.
    health = subprocess.run([base / "current/bin/kioskctl", "--config", config, "self-test",
                             "--no-terminal"], capture_output=True, text=True)
    assert health.returncode == 0, health.stdout
    ledger = Ledger.open(tmp_path / "data/kiosk.db", Limits(15000, 300000, 0))
    assert ledger.get(donation.id).state == "approved"
    ledger.close()


def test_a_release_that_does_not_install_changes_nothing(
        tmp_path: Path, releases: dict[str, Path]) -> None:
    base = tmp_path / "opt-kiosk"
    config = write_config(tmp_path)
    empty_house = tmp_path / "empty-house"
    empty_house.mkdir()
    # No dependencies reachable: pip fails before anything is switched.
    done = kioskctl_update(base, releases["0.9.1"], empty_house, config, tmp_path / "r.log")
    assert done.returncode == 1
    assert "nothing changed" in done.stderr
    assert updater.current_release(base) is None
    assert list((base / "releases").iterdir()) == []


def cut_short_update(base: Path) -> Path:
    """``base`` as a power cut leaves it mid-update: switched from 0.9.0-a to 0.9.1-b, with the
    state update() writes before switching still there; the release to go back to."""
    old, new = base / "releases/0.9.0-a", base / "releases/0.9.1-b"
    old.mkdir(parents=True)
    new.mkdir()
    updater.switch(base, "current", new)
    (base / "update-state.json").write_text(json.dumps({"release": new.name,
                                                        "previous": old.name}))
    return old


def test_recover_goes_back_after_an_update_cut_short(tmp_path: Path) -> None:
    base = tmp_path / "opt-kiosk"
    old = cut_short_update(base)
    marker = tmp_path / "restarted"
    message = updater.recover(base, [sys.executable, "-c", f"open('{marker}', 'w')"])
    assert "back on 0.9.0-a" in message
    assert updater.current_release(base) == old.resolve()
    assert marker.exists() and updater.interrupted(base) is None


def test_wheel_names_are_checked() -> None:
    assert updater.wheel_version(Path("donation_kiosk-1.2.3-py3-none-any.whl")) == "1.2.3"
    with pytest.raises(updater.UpdateError, match="not a wheel"):
        updater.wheel_version(Path("../../etc/passwd"))


def test_health_must_hold_for_the_settle_time(tmp_path: Path) -> None:
    # A crash loop passes between two crashes; it must not count as healthy.
    flag = tmp_path / "flip"
    flip = [sys.executable, "-c",
            f"import os,sys; p={str(flag)!r}; n=os.path.exists(p); "
            "open(p,'w') if not n else os.remove(p); sys.exit(0 if n else 1)"]
    healthy, _ = updater.wait_healthy(flip, deadline_s=1.5, settle_s=0.6, poll_s=0.1)
    assert not healthy
    ok, _ = updater.wait_healthy([sys.executable, "-c", "pass"], deadline_s=5, settle_s=0.3,
                                 poll_s=0.1)
    assert ok


def test_a_health_command_that_cannot_run_rolls_back(tmp_path: Path) -> None:
    # After the switch nothing may escape as an exception: a missing health program is a
    # failed health check, and the previous release comes back.
    base = tmp_path / "opt-kiosk"
    old = base / "releases/0.9.0-a"
    old.mkdir(parents=True)
    updater.switch(base, "current", old)
    new = base / "releases/0.9.1-b"
    new.mkdir()
    plan = updater.Plan(wheel=Path("donation_kiosk-0.9.1-py3-none-any.whl"), base=base,
                        restart_cmd=[sys.executable, "-c", "pass"],
                        health_cmd=[str(tmp_path / "no-such-program")],
                        health_deadline_s=0.3, settle_s=0, poll_s=0.1)
    updater.switch(base, "current", new)
    outcome = updater._restart_and_check(plan, new, old.resolve(), "0.9.1", lambda _s: None)
    assert outcome.rolled_back and "no-such-program" in outcome.detail
    assert updater.current_release(base) == old.resolve()


def test_only_one_update_at_a_time(tmp_path: Path) -> None:
    with updater._locked(tmp_path), pytest.raises(updater.UpdateError, match="another update"):
        with updater._locked(tmp_path):
            pass


def test_the_boot_unit_command_undoes_an_interrupted_update(tmp_path: Path) -> None:
    # The command line of systemd/kiosk-update-recover.service, on a staged /opt/kiosk.
    repo = Path(__file__).resolve().parents[2]
    unit = (repo / "systemd/kiosk-update-recover.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    argv = exec_start.split("=", 1)[1].split()[1:]  # after .../bin/kioskctl
    base = tmp_path / "opt-kiosk"
    old = cut_short_update(base)
    done = subprocess.run([sys.executable, "-m", "kiosk.ops.kioskctl", *argv, "--base", str(base)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "back on 0.9.0-a" in done.stdout
    assert updater.current_release(base) == old.resolve()
    again = subprocess.run([sys.executable, "-m", "kiosk.ops.kioskctl", *argv, "--base", str(base)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "no interrupted update" in again.stdout
