"""The code base stays ruff clean, and CI calls exactly the README's test command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command_and_nothing_else():
    readme = (REPO / "README.md").read_text()
    assert "./dev test" in readme and "./dev demo" in readme
    commands = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert commands[-1] == "exec ./dev test"
    assert all(c.startswith(("set ", "cd ")) for c in commands[:-1])
