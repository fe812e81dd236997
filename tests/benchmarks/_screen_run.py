"""Run the measured side of a screen benchmark in a fresh process and read its JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


HELLO = ROOT / "tests" / "benchmarks" / "_hello.py"


def hello_argv(workdir: Path, mode: str) -> list[str]:
    """The bare Kivy hello-world, run as a script: nothing of the project or the test suite is
    imported (``mode``: ``ready`` or ``memory``, see _hello.py)."""
    return [sys.executable, str(HELLO), str(workdir), mode]


def screen_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT),
               **(extra_env or {}))
    return env


def hello_memory() -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-hello-"))
    proc = subprocess.run(hello_argv(workdir, "memory"), cwd=ROOT, env=screen_env(),
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the hello-world failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def child(mode: str, *args: object, workdir: Path | None = None, timeout_s: float = 300,
          extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    workdir = workdir or Path(tempfile.mkdtemp(prefix=f"bench-{mode}-"))
    env = screen_env(extra_env)
    proc = subprocess.run([sys.executable, "-m", "tests.benchmarks._screen_child", mode,
                           str(workdir), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout_s)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark child {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])
