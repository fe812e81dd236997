"""CPU used by the attract loop over 60 s (six full-HD photos, a slide every 2 s) against a bare
Kivy app sliding the same photos with the same transition at the same pace, in the same run.
Both pace their frames as the kiosk does (kiosk.screen.ui.frame_pacing), so both draw every
frame as they make it ("frames paced": the waits for the frame before).
Goal: ≤ 1.2× the bare app. ``BENCH_ATTRACT_S`` shortens the window for a quick look."""

from __future__ import annotations

import os

from tests.benchmarks._screen_run import child
from tests.benchmarks._table import print_table

SLIDE_S = 2.0


def main() -> None:
    duration = float(os.environ.get("BENCH_ATTRACT_S", "60"))
    bare = child("bare-attract", duration, SLIDE_S)
    kiosk = child("attract", duration, SLIDE_S)
    print_table(
        ["app", "window s", "CPU s", "CPU %", "frames paced", "ratio", "goal"],
        [["bare Kivy slider", bare["wall_s"], bare["cpu_s"],
          100 * bare["cpu_s"] / bare["wall_s"], bare["paced"], 1.0, ""],
         ["kiosk attract loop", kiosk["wall_s"], kiosk["cpu_s"],
          100 * kiosk["cpu_s"] / kiosk["wall_s"], kiosk["paced"], kiosk["cpu_s"] / bare["cpu_s"],
          "<= 1.2"]])


if __name__ == "__main__":
    main()
