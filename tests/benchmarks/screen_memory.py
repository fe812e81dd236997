"""Resident memory with 30 projects whose photos are 1920×1080, after the attract loop has
shown every one of them, against a bare Kivy hello-world and a naive Kivy slider (Image
widgets loading the full-HD files) in the same run, all in an 800×480 window. Photos are scaled
to the screen once and at most a few textures are kept; the kiosk keeps at most one frame
queued to the GPU (kiosk.screen.ui.frame_pacing: "frames paced" counts its waits, "no" if the
GL context had no fences). Goal (issue 17): peak RSS ≤ 200 MB; the RSS at the end (steady) is
printed beside it.

Without a GPU, Mesa's llvmpipe keeps per-thread tiles and JIT-compiled shaders in the
process; the last row renders on the UI thread only (LP_NUM_THREADS=0), closer to a device."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks._screen_run import child, hello_memory
from tests.benchmarks._table import print_table
from tests.screen.screen_fixtures import make_projects

PROJECTS = 30


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    make_projects(workdir / "photos", PROJECTS, (1920, 1080))
    hello = hello_memory()
    naive = child("bare-memory", PROJECTS, workdir=workdir)
    kiosk = child("memory", PROJECTS, workdir=workdir)
    kiosk_one = child("memory", PROJECTS, workdir=workdir, extra_env={"LP_NUM_THREADS": "0"})
    print_table(
        ["app", "slides shown", "frames paced", "RSS MB", "peak RSS MB", "ratio", "goal"],
        [["bare Kivy hello-world", 0, "", hello["rss_mb"], "", 1.0, ""],
         ["naive Kivy slider, 30 full-HD photos", naive["slides_shown"], "",
          naive["rss_mb"], naive["max_rss_mb"], naive["rss_mb"] / hello["rss_mb"], ""],
         ["kiosk, 30 full-HD photos", kiosk["slides_shown"], kiosk["paced"], kiosk["rss_mb"],
          kiosk["max_rss_mb"], kiosk["rss_mb"] / hello["rss_mb"], "peak <= 200 MB"],
         ["kiosk, GL on UI thread", kiosk_one["slides_shown"], kiosk_one["paced"],
          kiosk_one["rss_mb"], kiosk_one["max_rss_mb"], kiosk_one["rss_mb"] / hello["rss_mb"],
          "peak <= 200 MB"]])


if __name__ == "__main__":
    main()
