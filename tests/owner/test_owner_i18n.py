"""Every word the owner's settings show has a French and an English translation.

The screen's own check finds ``tr('…')`` in .kv files; the settings also build messages in
Python (``msg("…")``, ``self.tr("…")``, ``FeaturedRefused("…")``), found here with ``ast``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.core import i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "kiosk" / "owner").glob("*.py")),
           ROOT / "kiosk/screen/ui/owner_panel.py",
           *sorted((ROOT / "kiosk" / "screen" / "ui" / "screens").glob("owner_*.py"))]
KV = [*sorted((ROOT / "kiosk" / "screen" / "ui" / "screens").glob("owner_*.kv")),
      ROOT / "kiosk/screen/ui/owner_widgets.kv"]
CALLS = {"tr", "msg", "FeaturedRefused"}


def owner_message_ids() -> set[str]:
    ids: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                ids.add(first.value)
    for path in KV:
        ids |= set(re.findall(r"""\btr\(\s*'([^']+)'""", path.read_text(encoding="utf-8")))
    return ids


def test_the_scan_finds_the_settings_words():
    ids = owner_message_ids()
    assert {"Wrong PIN.", "Shop settings", "ended on {date}", "Synchronise now"} <= ids
    assert len(ids) > 50


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_settings_word_is_translated(language):
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "kiosk.po"
    with path.open("rb") as f:
        catalog = {m.id: m.string for m in read_po(f) if m.id}
    assert sorted(i for i in owner_message_ids() if not catalog.get(i)) == []


def test_french_settings_are_really_french():
    assert i18n.tr("Wrong PIN.", "fr") == "Code erroné."
    assert i18n.tr("Synchronise now", "fr") == "Synchroniser maintenant"
    assert i18n.tr("Test the terminal", "fr") == "Tester le terminal"
