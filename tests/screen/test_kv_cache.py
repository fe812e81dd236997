"""The screen's kept parses of its .kv files (kiosk/screen/ui/kv_cache.py): the rules Kivy gets
from a kept parse are those of a fresh parse, an edited file is parsed again, and a damaged
kept parse is only a miss. Each load runs in a real Kivy process of its own
(tests/screen/kv_cache_child.py)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "kiosk" / "screen" / "ui"


def child(tmp_path: Path, mode: str, kv: Path, cache_dir: Path | str) -> dict[str, Any]:
    home = tmp_path / "kivy-home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", KIVY_NO_CONFIG="1",
               KIVY_NO_FILELOG="1", KIVY_HOME=str(home), PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "tests.screen.kv_cache_child", mode, str(kv),
                           str(cache_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1])


@pytest.mark.parametrize("kv", [UI / "screens" / "attract.kv", UI / "widgets.kv"],
                         ids=["attract", "widgets"])
def test_a_kept_parse_gives_the_rules_of_a_fresh_parse(tmp_path, kv):
    cache = tmp_path / "screen-cache" / "kv"
    fresh = child(tmp_path, "load", kv, "-")
    first = child(tmp_path, "load", kv, cache)  # parsed, then kept
    again = child(tmp_path, "load", kv, cache)  # read back, Kivy's parser not run
    assert (fresh["parsed"], first["parsed"], again["parsed"]) == (1, 1, 0)
    assert fresh["rules"] and again["rules"] == first["rules"] == fresh["rules"]
    assert (cache / f"{kv.stem}.parsed").is_file()


def test_an_edited_kv_file_is_parsed_again(tmp_path):
    kv = tmp_path / "widgets.kv"
    shutil.copy(UI / "widgets.kv", kv)
    cache = tmp_path / "kv"
    child(tmp_path, "load", kv, cache)
    kv.write_text(kv.read_text(encoding="utf-8") + "\n<EditedLabel@Label>:\n    bold: True\n",
                  encoding="utf-8")
    edited = child(tmp_path, "load", kv, cache)
    assert edited["parsed"] == 1
    assert "editedlabel" in [name.lower() for name, _rule in edited["rules"]]
    assert child(tmp_path, "load", kv, cache)["parsed"] == 0


def test_a_damaged_kept_parse_is_parsed_again_and_kept_anew(tmp_path):
    # Hypothesis, in the Kivy process: any bytes, a truncated parse, another Kivy's parse.
    result = child(tmp_path, "damaged", UI / "widgets.kv", tmp_path / "kv")
    assert result["ok"] and result["parsed"] > 0


def test_an_unwritable_cache_directory_only_costs_the_parse(tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the cache directory would be")
    fresh = child(tmp_path, "load", UI / "widgets.kv", "-")
    loaded = child(tmp_path, "load", UI / "widgets.kv", blocked / "kv")
    assert loaded["parsed"] == 1 and loaded["rules"] == fresh["rules"]


def test_only_a_kept_parse_nobody_else_may_write_is_run(tmp_path):
    """The data directory is shared with kiosk-sync (group-writable): a kept parse is code the
    screen runs, so it is kept private and used only as the screen's own, unwritable by
    others; a symbolic link or a FIFO in its place is refused too (never waited on)."""
    kv, cache = UI / "widgets.kv", tmp_path / "kv"
    fresh = child(tmp_path, "load", kv, "-")
    child(tmp_path, "load", kv, cache)
    kept = cache / "widgets.parsed"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    kept.chmod(0o664)  # as the group's umask would leave it
    others_may_write = child(tmp_path, "load", kv, cache)
    assert others_may_write["parsed"] == 1 and others_may_write["rules"] == fresh["rules"]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # kept anew, private
    elsewhere = tmp_path / "elsewhere.parsed"
    kept.rename(elsewhere)
    kept.symlink_to(elsewhere)
    assert child(tmp_path, "load", kv, cache)["parsed"] == 1
    kept.unlink(missing_ok=True)
    os.mkfifo(kept)
    assert child(tmp_path, "load", kv, cache)["parsed"] == 1
