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


def test_kivys_own_style_parse_is_kept_too_and_read_back_the_same(tmp_path):
    """Kivy parses its own style.kv (~1 300 lines) as kivy.lang is first imported; with the
    hook installed before that import, the parse is kept and read back, and Kivy's builder is
    left as Kivy made it."""
    cache = tmp_path / "kv"
    kept = cache / "kivy-style.parsed"
    fresh = child(tmp_path, "style", "-", "-")
    first = child(tmp_path, "style", "-", cache)
    assert first["hooked"] and kept.is_file()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    written = kept.stat().st_mtime_ns
    again = child(tmp_path, "style", "-", cache)
    assert kept.stat().st_mtime_ns == written  # read back, not parsed and written again
    assert fresh["rules"] and len(fresh["rules"]) > 50
    assert again["rules"] == first["rules"] == fresh["rules"]
    for run in (first, again):
        assert run["builder_parser_is_kivys"] and run["source_readable"] and run["builder_ok"]
        assert run["finders_left"] == 0


@pytest.mark.parametrize("damage", ["truncated", "others-may-write", "another-kivy"])
def test_a_damaged_or_foreign_kept_kivy_style_is_parsed_as_usual(tmp_path, damage):
    cache = tmp_path / "kv"
    kept = cache / "kivy-style.parsed"
    fresh = child(tmp_path, "style", "-", "-")
    child(tmp_path, "style", "-", cache)
    if damage == "truncated":
        kept.write_bytes(kept.read_bytes()[:5000])
    elif damage == "others-may-write":
        kept.chmod(0o664)
    else:  # the stamp names the Kivy version: an upgraded Kivy parses its own file again
        data = kept.read_bytes()
        version = kivy_version(tmp_path)
        assert version.encode() in data
        kept.write_bytes(data.replace(version.encode(), b"9" * len(version), 1))
    before = kept.stat().st_mtime_ns
    damaged = child(tmp_path, "style", "-", cache)
    assert damaged["rules"] == fresh["rules"] and damaged["builder_ok"]
    assert kept.stat().st_mtime_ns != before  # parsed again and kept anew
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def kivy_version(tmp_path: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", "import kivy; print(kivy.__version__)"],
                          env={**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONFIG": "1",
                               "KIVY_HOME": str(tmp_path / "kivy-home")},
                          capture_output=True, text=True, check=True)
    return proc.stdout.strip().splitlines()[-1]


def test_the_hook_installed_too_late_changes_nothing(tmp_path):
    late = child(tmp_path, "style-late", "-", tmp_path / "kv")
    assert late["hooked"] is False and late["finders_left"] == 0 and late["rules"]
    assert not (tmp_path / "kv" / "kivy-style.parsed").exists()
