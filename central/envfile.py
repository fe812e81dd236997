"""The service's environment file (``/etc/central/central.env``, systemd's EnvironmentFile
syntax), read by ``central --env-file FILE`` so that a command run outside the unit (by an
operator, or by Ansible asking for an enrollment code) sees the same settings as the service.

Read, never sourced by a shell: a Django secret key holds ``$``, ``&`` and parentheses."""

from __future__ import annotations

import re
from pathlib import Path

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOUBLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "$": "$", "`": "`"}


class EnvFileError(ValueError):
    """A line that is not ``KEY=VALUE``, a comment or blank; the message names the line."""


def parse(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines; blank lines and lines starting with ``#`` or ``;`` are skipped.
    A value in single quotes is taken as written; in double quotes, ``\\"``, ``\\\\``,
    ``\\n``, ``\\t``, ``\\$`` and ``\\``` are unescaped; otherwise it is the text after
    ``=``, trimmed. Anything else is refused rather than guessed."""
    found: dict[str, str] = {}
    # Lines end at \n only (as systemd reads them), not at every separator Python knows.
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        key, sep, value = stripped.partition("=")
        key = key.strip()
        if not sep or not _KEY.fullmatch(key):
            raise EnvFileError(f"line {number}: expected KEY=VALUE")
        found[key] = _value(value.strip(), number)
    return found


def _value(raw: str, number: int) -> str:
    if not raw or raw[0] not in "'\"":
        return raw
    quote = raw[0]
    if len(raw) < 2 or raw[-1] != quote:
        raise EnvFileError(f"line {number}: unterminated {quote} quote")
    inner = raw[1:-1]
    if quote == "'":
        if "'" in inner:
            raise EnvFileError(f"line {number}: a ' inside '...'")
        return inner
    out, chars = [], iter(inner)
    for c in chars:
        if c == '"':
            raise EnvFileError(f'line {number}: an unescaped " inside "..."')
        if c == "\\":
            escaped = next(chars, None)
            if escaped not in _DOUBLE_ESCAPES:
                raise EnvFileError(f"line {number}: unknown escape \\{escaped or ''}")
            c = _DOUBLE_ESCAPES[escaped]
        out.append(c)
    return "".join(out)


def load(path: Path | str) -> dict[str, str]:
    try:
        return parse(Path(path).read_text(encoding="utf-8"))
    except EnvFileError as e:
        raise EnvFileError(f"{path}: {e}") from None
