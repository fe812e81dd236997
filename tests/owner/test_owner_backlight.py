"""Brightness through a temporary directory shaped like /sys/class/backlight."""

from __future__ import annotations

import pytest

from kiosk.hardware.backlight import Backlight, BacklightError


def _device(root, name="10-0045", max_raw=255, now=128):
    dev = root / name
    dev.mkdir(parents=True)
    (dev / "max_brightness").write_text(f"{max_raw}\n")
    (dev / "brightness").write_text(f"{now}\n")
    return dev


def test_no_backlight_means_no_brightness(tmp_path):
    assert Backlight.find(tmp_path / "missing") is None
    (tmp_path / "empty").mkdir()
    assert Backlight.find(tmp_path / "empty") is None


def test_reads_and_sets_percent_with_a_floor(tmp_path):
    dev = _device(tmp_path, max_raw=31, now=31)
    light = Backlight.find(tmp_path)
    assert light is not None and light.percent() == 100
    assert light.set_percent(50) == 50
    assert (dev / "brightness").read_text() == "16\n"
    assert light.set_percent(0) == 10  # the owner cannot black the screen out
    assert light.set_percent(5, floor=5) == 5  # the idle dim may go lower
    assert light.set_percent(250) == 100


def test_a_broken_device_is_skipped_for_a_good_one(tmp_path):
    bad = tmp_path / "0-bad"
    bad.mkdir()
    (bad / "max_brightness").write_text("0\n")
    _device(tmp_path, "1-good")
    assert Backlight.find(tmp_path).device.name == "1-good"


def test_write_refused_names_the_file(tmp_path):
    dev = _device(tmp_path)
    light = Backlight(dev)
    (dev / "brightness").unlink()
    (dev / "brightness").mkdir()  # writing a directory fails like a read-only sysfs file
    with pytest.raises(BacklightError, match="brightness"):
        light.set_percent(50)
