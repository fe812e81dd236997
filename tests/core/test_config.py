"""Configuration: the example is valid; every kind of bad file names file, key, value and
what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core import config as configmod
from kiosk.core.config import ConfigError
from tests.conftest import write_config

REPO = Path(__file__).resolve().parents[2]


def test_example_file_is_valid_and_documents_every_key() -> None:
    example = REPO / "config" / "kiosk.example.toml"
    cfg = configmod.load(example)
    text = example.read_text(encoding="utf-8")
    lines = text.splitlines()
    for section, keys in configmod.SCHEMA.items():
        assert f"[{section}]" in text
        for key in keys:
            index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
            while " = " in lines[index - 1] and not lines[index - 1].startswith("#"):
                index -= 1  # a group of related keys shares one comment
            assert lines[index - 1].startswith("#"), (
                f"{section}.{key} has no comment above it in the example file")
    assert cfg.donations.currency == "EUR"


def test_defaults_fill_in_and_env_var_names_the_file(tmp_path, monkeypatch) -> None:
    path = write_config(tmp_path)
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    cfg = configmod.load()
    assert cfg.path == path
    assert cfg.screen.language == "fr"
    assert cfg.donations.preset_amounts_cents == [200, 500, 1000, 2000]
    assert cfg.ledger_path == tmp_path / "data" / "kiosk.db"
    assert cfg.receipt_base_url == "http://127.0.0.1:9"


def test_default_path_without_env(monkeypatch) -> None:
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    assert configmod.default_path() == Path("/etc/kiosk/kiosk.toml")


def _error(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        configmod.load(path)
    assert str(path) in str(info.value)
    return info.value


BASE = '[device]\nid = "k1"\n[api]\nbase_url = "https://api.example.org"\n'


@pytest.mark.parametrize(
    ("extra", "key", "shown", "expected"),
    [
        ("[donations]\ncurrency = 'XYZ'\n", "donations.currency", "'XYZ'", "one of EUR"),
        ("[donations]\nmax_donation_cents = 0\n", "donations.max_donation_cents", "0",
         "cents > 0"),
        ("[donations]\nmax_donation_cents = 12.5\n", "donations.max_donation_cents", "12.5",
         "whole number"),
        ("[donations]\nmax_donation_cents = true\n", "donations.max_donation_cents", "True",
         "whole number"),
        ("[donations]\nmax_donation_cents = '5000'\n", "donations.max_donation_cents",
         "'5000'", "whole number"),
        ("[donations]\npreset_amounts_cents = [500, 500]\n", "donations.preset_amounts_cents",
         "[500, 500]", "distinct"),
        ("[donations]\npreset_amounts_cents = []\n", "donations.preset_amounts_cents", "[]",
         "1 to 6"),
        ("[donations]\ncustom_min_cents = 20000\ncustom_max_cents = 100\n",
         "donations.custom_min_cents", "20000", "at most donations.custom_max_cents"),
        ("[donations]\npreset_amounts_cents = [100000]\n", "donations.preset_amounts_cents",
         "[100000]", "max_donation_cents"),
        ("[donations]\noffline_cap_cents = 100\n", "donations.max_donation_cents", "15000",
         "offline_cap_cents"),
        ("[donations]\nmax_donation_cents = 1000\n", "donations.custom_max_cents", "15000",
         "max_donation_cents"),
        ("[donations]\ncurrancy = 'EUR'\n", "donations.currancy", "'EUR'",
         "unknown keys are errors"),
        ("[donatoins]\ncurrency = 'EUR'\n", "donatoins", "{'currency': 'EUR'}",
         "unknown sections are errors"),
        ("[terminal]\nprotocol = 'concert-v4'\n", "terminal.protocol", "'concert-v4'",
         "concert-v2"),
        ("[terminal]\nparity = 'X'\n", "terminal.parity", "'X'", "N, E, O"),
        ("[terminal]\nbaudrate = 9601\n", "terminal.baudrate", "9601", "baud rate"),
        ("[terminal]\nport = 70000\n", "terminal.port", "70000", "1 to 65535"),
        ("[terminal]\ndevice = 'ttyUSB0'\n", "terminal.device", "'ttyUSB0'", "serial device"),
        ("[terminal]\nregister_id = '12'\n", "terminal.register_id", "'12'", "twelve digits"),
        # A rule between [terminal] keys, from the bridge's own reader (firmware_bridge).
        ("[terminal]\ntransport = 'tcp'\n", "terminal.protocol", "'concert-v2'",
         "'concert-v3' (Caisse-AP IP)"),
        ("[screen]\nlanguage = 'de'\n", "screen.language", "'de'", "fr, en"),
        ("[screen]\nrotation = 45\n", "screen.rotation", "45", "0, 90, 180 or 270"),
        ("[screen]\nopening_time = '7h'\n", "screen.opening_time", "'7h'", "HH:MM"),
        ("[screen]\nidle_timeout_s = 1\n", "screen.idle_timeout_s", "1", "from 10 to 600"),
        ("[screen]\nfullscreen = 'yes'\n", "screen.fullscreen", "'yes'", "true or false"),
        ("[device]\ndata_dir = 'relative/dir'\n", "device.data_dir", "'relative/dir'",
         "absolute"),
    ],
)
def test_bad_values_name_key_value_and_expectation(tmp_path, extra, key, shown, expected):
    text = BASE + extra
    if extra.startswith("[device]"):
        text = '[device]\nid = "k1"\n' + extra.split("\n", 1)[1] + \
            '[api]\nbase_url = "https://api.example.org"\n'
    err = _error(tmp_path, text)
    assert err.key == key
    assert f"{key} = {shown}" in str(err)
    assert expected in str(err)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.example.org", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("http://api.example.org", False),
        ("http://192.168.1.10", False),
        ("ftp://api.example.org", False),
        ("api.example.org", False),
    ],
)
def test_plain_http_only_to_loopback(tmp_path, url, ok):
    text = f'[device]\nid = "k1"\n[api]\nbase_url = "{url}"\n'
    if ok:
        path = tmp_path / "ok.toml"
        path.write_text(text)
        assert configmod.load(path).api.base_url == url
    else:
        err = _error(tmp_path, text)
        assert err.key == "api.base_url"
        assert "loopback" in str(err)


def test_missing_required_key(tmp_path):
    err = _error(tmp_path, '[api]\nbase_url = "https://a.example"\n')
    assert err.key == "device.id"
    assert "(missing)" in str(err) and "required" in str(err)


def test_section_that_is_not_a_table(tmp_path):
    err = _error(tmp_path, 'device = 3\n')
    assert err.key == "device"


def test_syntax_error_is_reported_with_position(tmp_path):
    err = _error(tmp_path, '[device]\nid = "unterminated\n')
    assert err.key == "(syntax)"
    assert "line 2" in str(err)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[device]\nid = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        configmod.load(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="an existing configuration file"):
        configmod.load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not a directory"):
        configmod.load(tmp_path)


def test_empty_file_names_the_first_required_key(tmp_path):
    err = _error(tmp_path, "")
    assert err.key == "device.id"


def test_render_round_trips(tmp_path):
    path = write_config(tmp_path, donations={"preset_amounts_cents": [300, 700]},
                        screen={"fullscreen": False, "slide_duration_s": 6.5,
                                "opening_time": "08:30"})
    cfg = configmod.load(path)
    assert cfg.donations.preset_amounts_cents == [300, 700]
    assert cfg.screen.fullscreen is False
    assert cfg.screen.slide_duration_s == 6.5
    again = tmp_path / "again"
    again.mkdir()
    (again / "kiosk.toml").write_text(configmod.render_toml(cfg.as_dict()))
    assert configmod.load(again / "kiosk.toml").as_dict() == cfg.as_dict()


@pytest.mark.parametrize("key", ["api.connect_timeout_s", "api.read_timeout_s",
                                 "api.call_deadline_s", "terminal.byte_timeout_s",
                                 "screen.slide_duration_s"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e300"])
def test_every_float_is_finite_and_bounded(tmp_path, key, value):
    section, name = key.split(".")
    path = write_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    if f"[{section}]" in text:
        text = text.replace(f"[{section}]\n", f"[{section}]\n{name} = {value}\n", 1)
    else:
        text += f"[{section}]\n{name} = {value}\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        configmod.load(path)
    assert info.value.key == key and str(path) in str(info.value)
    if value != "1e300":
        assert "finite" in str(info.value)


@pytest.mark.parametrize("key", ["api.heartbeat_interval_s", "api.catalog_interval_s",
                                 "api.max_backoff_s", "terminal.probe_interval_s"])
def test_intervals_have_an_upper_bound(tmp_path, key):
    section, name = key.split(".")
    with pytest.raises(ConfigError) as info:
        configmod.load(write_config(tmp_path, **{section: {name: 10**15}}))
    assert info.value.key == key and "at most 86400" in str(info.value)


def test_ca_bundle_must_exist(tmp_path):
    missing = tmp_path / "no-such-ca.pem"
    with pytest.raises(ConfigError) as info:
        configmod.load(write_config(tmp_path, api={"ca_bundle": str(missing)}))
    assert info.value.key == "api.ca_bundle"
    assert f"{missing} does not exist" in str(info.value)
    with pytest.raises(ConfigError) as info:
        configmod.load(write_config(tmp_path, api={"ca_bundle": str(tmp_path)}))
    assert info.value.key == "api.ca_bundle" and "is not a file" in str(info.value)
    with pytest.raises(ConfigError) as info:
        configmod.load(write_config(tmp_path, api={"ca_bundle": "ca.pem"}))
    assert info.value.key == "api.ca_bundle"
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert configmod.load(write_config(tmp_path, api={"ca_bundle": str(bundle)})) \
        .api.ca_bundle == str(bundle)


@pytest.mark.parametrize(("section", "key", "target", "owner"), [
    ("terminal", "bridge_socket", "journal.db", "terminal.journal"),
    ("terminal", "bridge_socket", "journal.db-wal", "terminal.journal"),
    ("terminal", "bridge_socket", "data/kiosk.db", "device.data_dir (kiosk.db)"),
    ("terminal", "bridge_socket", "data/kiosk.db-wal", "device.data_dir (kiosk.db-wal)"),
    ("terminal", "bridge_socket", "data", "device.data_dir"),
    ("terminal", "bridge_socket", "token", "api.token_file"),
    ("terminal", "journal", "data/kiosk.db", "device.data_dir (kiosk.db)"),
    ("terminal", "journal", "data/images/journal.db", "device.data_dir"),
    ("terminal", "journal", "data/./catalog.lock", "device.data_dir (catalog.lock)"),
    ("terminal", "journal", "token", "api.token_file"),
    ("api", "token_file", "data/kiosk.db", "device.data_dir (kiosk.db)"),
    ("api", "token_file", "bridge.sock", "terminal.bridge_socket"),
    ("api", "token_file", "journal.db-shm", "terminal.journal"),
])
def test_no_two_keys_share_a_file(tmp_path, section, key, target, owner):
    path = tmp_path / target
    with pytest.raises(ConfigError) as info:
        configmod.load(write_config(tmp_path, **{section: {key: str(path)}}))
    err = str(info.value)
    # The message names both keys and the shared file, whichever of the two is reported.
    assert f"{section}.{key}" in err and owner in err and "a file of its own" in err
    assert str(path).replace("/./", "/").rstrip("/") in err
