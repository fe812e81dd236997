"""``kiosk --demo`` on a machine without a display: it says so plainly, keeps the services
running for ``kioskctl``, and SIGTERM (like Ctrl-C) stops every child it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose; /proc tells.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_demo_without_display_runs_services_and_stops_them_all_on_sigterm():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 90
    try:
        for line in proc.stdout:
            lines.append(line)
            if "No display here" in line or time.monotonic() > deadline:
                break
        text = "".join(lines)
        assert "No display here" in text, text
        pids = [int(p) for p in re.findall(r"running \(pid (\d+)\)", text)]
        assert len(pids) >= 4, text  # central API, simulator, bridge, sync
        config = re.search(r"kioskctl --config (\S+) ", text).group(1)
        status = subprocess.run([sys.executable, "-m", "kiosk.ops.kioskctl", "--config", config,
                                 "status", "--json"], cwd=ROOT, capture_output=True, text=True)
        assert '"device_id": "demo-kiosk"' in status.stdout, status.stderr
        assert all(_alive(pid) for pid in pids)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    gone = time.monotonic() + 15
    while any(_alive(pid) for pid in pids) and time.monotonic() < gone:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)], "children left running after SIGTERM"
