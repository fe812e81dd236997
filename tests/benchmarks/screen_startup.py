"""Start-up: from process start to the first attract frame with its photo, against a bare Kivy
hello-world's first frame, in the same run (5 runs each, alternated). Goal: ≤ 1.5×."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks._screen_run import child
from tests.benchmarks._table import median, p95, print_table
from tests.screen_fixtures import make_projects

RUNS = 5


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    make_projects(workdir / "photos", 6)  # on disk before the clock starts, as on a device
    hello, kiosk = [], []
    for _ in range(RUNS):
        hello.append(child("hello")["first_frame_s"] * 1000)
        kiosk.append(child("startup", workdir=workdir)["first_frame_s"] * 1000)
    print_table(
        ["app", "runs", "median ms", "p95 ms", "median ratio", "goal"],
        [["bare Kivy hello-world", RUNS, median(hello), p95(hello), 1.0, ""],
         ["kiosk first attract frame", RUNS, median(kiosk), p95(kiosk),
          median(kiosk) / median(hello), "<= 1.5"]])


if __name__ == "__main__":
    main()
