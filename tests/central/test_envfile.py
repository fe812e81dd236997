"""``central --env-file``: the service's environment file read as systemd reads it (never
sourced by a shell), property-tested as the outside input it is, and used by a real
``central`` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from central.envfile import EnvFileError, parse

KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
# Any one-line text: a secret key's $, &, quotes and backslashes included.
VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                 max_size=60).filter(lambda v: "\n" not in v and "\r" not in v)


def double_quoted(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
               .replace("`", "\\`").replace("\t", "\\t"))
    return f'"{escaped}"'


@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_double_quoted_values_come_back_as_written(env: dict[str, str]) -> None:
    text = "# the service's settings\n\n" + "".join(
        f"{k}={double_quoted(v)}\n" for k, v in env.items())
    assert parse(text) == env


@given(st.dictionaries(KEYS, VALUES.filter(lambda v: "'" not in v), max_size=8))
def test_single_quoted_values_are_taken_as_written(env: dict[str, str]) -> None:
    assert parse("".join(f"{k}='{v}'\n" for k, v in env.items())) == env


@given(KEYS, VALUES.map(str.strip).filter(lambda v: not v.startswith(("'", '"'))))
def test_a_bare_value_is_the_trimmed_text_after_the_sign(key: str, value: str) -> None:
    assert parse(f"  {key} = {value}  \n; a comment\n") == {key: value}


@given(st.text(max_size=300))
def test_any_text_parses_or_is_refused_with_its_line(text: str) -> None:
    try:
        parsed = parse(text)
    except EnvFileError as e:
        assert str(e).startswith("line ")
    else:
        assert all(isinstance(v, str) for v in parsed.values())


@pytest.mark.parametrize("bad", ["no equals sign", "1KEY=x", "K-EY=x", 'K="open',
                                 "K='it's'", 'K="a"b"', 'K="\\q"'])
def test_what_is_not_key_equals_value_is_refused(bad: str) -> None:
    with pytest.raises(EnvFileError, match="line 2"):
        parse(f"OK=1\n{bad}\n")


def test_central_reads_its_settings_from_the_file(tmp_path: Path) -> None:
    secret = "k$(rm -rf x)&`id`'\"" + "s" * 40  # would break `. central.env` in a shell
    env_file = tmp_path / "central.env"
    env_file.write_text(f"DJANGO_SECRET_KEY={double_quoted(secret)}\n"
                        "DJANGO_ALLOWED_HOSTS=dons.example.org\n"
                        f"DATABASE_URL=sqlite:///{tmp_path / 'central.sqlite3'}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    shown = subprocess.run(
        [sys.executable, "-m", "central", "--env-file", str(env_file), "shell", "-v0", "-c",
         "from django.conf import settings as s; print(s.SECRET_KEY); print(s.ALLOWED_HOSTS)"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [secret, "['dons.example.org']"]
    missing = subprocess.run([sys.executable, "-m", "central", "--env-file",
                              str(tmp_path / "absent.env"), "check"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "absent.env" in missing.stderr
