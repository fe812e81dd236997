"""Opening hours and the low-power idle: plain hours, hours across midnight, wake on touch."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.owner.opening_hours import IdleClock, OpeningHours, parse_hhmm


def t(text: str) -> dt.time:
    return parse_hhmm(text)


@pytest.mark.parametrize(("opens", "closes", "at", "is_open"), [
    ("07:00", "21:00", "06:59", False), ("07:00", "21:00", "07:00", True),
    ("07:00", "21:00", "20:59", True), ("07:00", "21:00", "21:00", False),
    ("18:00", "02:00", "17:59", False), ("18:00", "02:00", "18:00", True),
    ("18:00", "02:00", "23:59", True), ("18:00", "02:00", "00:00", True),
    ("18:00", "02:00", "01:59", True), ("18:00", "02:00", "02:00", False),
    ("00:00", "00:00", "03:00", True),
])
def test_inside_and_outside(opens, closes, at, is_open):
    assert OpeningHours.parse(opens, closes).is_open(t(at)) is is_open


@pytest.mark.parametrize("bad", ["7:00", "24:00", "12:60", "", "noon", None, "12:00 "])
def test_bad_times_are_named(bad):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(bad)


@given(st.text(max_size=8))
def test_parse_never_crashes_on_any_text(text):
    try:
        parsed = parse_hhmm(text)
    except ValueError:
        return
    assert parsed.strftime("%H:%M") == text


@given(st.times(), st.times(), st.times())
def test_open_and_closed_partition_the_day(opens, closes, at):
    hours = OpeningHours(opens.replace(second=0, microsecond=0),
                         closes.replace(second=0, microsecond=0))
    inverse = OpeningHours(hours.closes, hours.opens)
    if hours.opens != hours.closes:
        assert hours.is_open(at) != inverse.is_open(at)


def test_owner_hours_override_config_and_damage_falls_back(ledger, cfg):
    def hours() -> OpeningHours:
        return OpeningHours.for_kiosk(ledger, cfg.screen.opening_time, cfg.screen.closing_time)

    assert hours() == OpeningHours.parse("07:00", "21:00")
    ledger.set_setting("opening_hours", OpeningHours.parse("18:00", "02:00").as_setting())
    assert hours() == OpeningHours.parse("18:00", "02:00")
    ledger.set_setting("opening_hours", {"opens": "25:00", "closes": "02:00"})
    assert hours() == OpeningHours.parse("07:00", "21:00")


def test_idle_dims_after_closing_and_a_touch_wakes_it_for_a_while():
    idle = IdleClock(OpeningHours.parse("07:00", "21:00"), wake_for_s=60)
    assert idle.tick(t("20:59"), 0) is False
    assert idle.tick(t("21:00"), 1) is True
    assert idle.touched(t("21:00"), 2) is True  # the waking touch is swallowed
    assert idle.tick(t("21:00"), 30) is False
    assert idle.touched(t("21:00"), 40) is False  # awake: this touch counts
    assert idle.tick(t("21:01"), 99) is False  # 60 s after the last touch
    assert idle.tick(t("21:01"), 100) is True
    assert idle.tick(t("07:00"), 5000) is False  # opening time wakes it by itself
    assert idle.touched(t("07:01"), 5001) is False


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.none() | st.text(max_size=6) | st.integers()
       | st.dictionaries(st.sampled_from(["opens", "closes", "x"]),
                         st.none() | st.integers() | st.text(max_size=6), max_size=3))
def test_any_stored_hours_value_falls_back_or_parses(ledger, stored):
    ledger.set_setting("opening_hours", stored)
    hours = OpeningHours.for_kiosk(ledger, "07:00", "21:00")
    if hours != OpeningHours.parse("07:00", "21:00"):
        assert hours.as_setting() == stored  # only a well-formed value is ever used
