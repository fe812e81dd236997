"""Amounts written the French way, the gettext catalogs, and the screen's contrast and
touch-target sizes."""

from __future__ import annotations

import gettext
import io
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import i18n, money
from kiosk.core.config import CURRENCIES
from kiosk.core.money import format_cents
from kiosk.screen import donor_messages
from kiosk.screen.ui import theme

ROOT = Path(__file__).resolve().parents[2]
NNBSP, NBSP = "\u202f", "\xa0"


@pytest.mark.parametrize(("cents", "language", "shown"), [
    (500, "fr", f"5{NBSP}€"),
    (124000, "fr", f"1{NNBSP}240{NBSP}€"),
    (1250, "fr", f"12,50{NBSP}€"),
    (500, "en", "€5"),
    (124000, "en", "€1,240"),
])
def test_money_format(cents, language, shown):
    assert format_cents(cents, "EUR", language) == shown


@given(cents=st.integers(min_value=-10**12, max_value=10**12),
       currency=st.sampled_from(sorted(CURRENCIES) + ["JPY", "SEK"]),
       language=st.sampled_from(sorted(money.BABEL_LOCALES)))
def test_money_table_writes_every_amount_as_babel_does(cents, currency, language):
    assert format_cents(cents, currency, language) == money.format_with_babel(
        cents, currency, language)


def test_money_table_is_what_babel_says():
    # Stale after a Babel upgrade or a new currency: `python -m kiosk.core.i18n` rewrites it.
    assert json.loads(money.FORMATS_FILE.read_text(encoding="utf-8")) == money.extract_formats()


def test_money_table_covers_every_configurable_currency():
    for language in money.BABEL_LOCALES:
        assert set(money.extract_formats()[language]["symbols"]) == set(CURRENCIES)


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        format_cents(5.0, "EUR", "fr")  # type: ignore[arg-type]


def _catalog(language: str) -> dict[str, str]:
    path = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "kiosk.po"
    with path.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


def used_message_ids() -> set[str]:
    """Every message id the screens use: app.tr('…') in .kv/.py files, the stage texts and
    the donor messages."""
    ids: set[str] = set()
    for path in (ROOT / "kiosk").rglob("*"):
        if path.suffix in (".kv", ".py"):
            ids |= set(re.findall(r"""\btr\(\s*'([^']+)'""", path.read_text()))
    from kiosk.screen.ui.app import STAGES

    ids |= set(STAGES.values()) | {"Cancelling…", "Between {low} and {high}",
                                   "Time left: {time}"}
    for m in donor_messages.OUTCOME_MESSAGES.values():
        ids |= {m.title, m.body}
    ids |= {donor_messages.THANKS_TITLE, donor_messages.THANKS_BODY, donor_messages.THANKS_QR,
            donor_messages.THANKS_NO_QR}
    return ids


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_screen_text_is_translated(language):
    catalog = _catalog(language)
    missing = sorted(i for i in used_message_ids() if not catalog.get(i))
    assert missing == []
    for msgid, text in catalog.items():
        placeholders = set(re.findall(r"{\w+}", msgid))
        assert set(re.findall(r"{\w+}", text)) == placeholders, msgid


def test_french_is_really_french():
    assert i18n.tr("I give", "fr") == "Je donne"
    assert i18n.tr("{raised} raised of {goal}", "fr") == "{raised} collectés sur {goal}"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_committed_mo_matches_po(language):
    po = i18n.LOCALE_DIR / language / "LC_MESSAGES" / "kiosk.po"
    committed = gettext.GNUTranslations(io.BytesIO(po.with_suffix(".mo").read_bytes()))
    fresh = gettext.GNUTranslations(io.BytesIO(i18n.compiled(po)))
    # Compare the messages, not the bytes: Babel stamps the header with the compile time.
    assert {k: v for k, v in committed._catalog.items() if k} == \
        {k: v for k, v in fresh._catalog.items() if k}, "run: python -m kiosk.core.i18n"


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="unsupported"):
        i18n.translation("de")


@pytest.mark.parametrize("pair", sorted(theme.CONTRAST_PAIRS))
def test_wcag_aa_contrast(pair):
    fg, bg = theme.CONTRAST_PAIRS[pair]
    assert theme.contrast_ratio(fg, bg) >= 4.5


# (width px, height px, diagonal inches) of the three supported displays
DISPLAYS = [(800, 480, 7.0), (720, 1280, 7.0), (1920, 1080, 21.5)]


@pytest.mark.parametrize(("w", "h", "inches"), DISPLAYS)
def test_touch_targets_at_least_9_mm(w, h, inches):
    px_per_mm = (w * w + h * h) ** 0.5 / (inches * 25.4)
    smallest_px = theme.MIN_TARGET * theme.layout_scale(w, h)
    assert smallest_px / px_per_mm >= theme.MIN_TARGET_MM


def test_bundled_assets():
    """The font covers French (and the narrow no-break space Babel uses in « 1 240 € »); the
    committed chime is what its script makes."""
    import importlib.util

    from PIL import ImageFont

    font = ImageFont.truetype(str(ROOT / "assets" / "fonts" / "DejaVuSans.ttf"), 20)
    notdef = font.getmask("\uffff").getbbox()
    for ch in "àâæçéèêëîïôœùûüÿÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸ«»€’\u202f\xa0⌫":
        assert font.getmask(ch).getbbox() != notdef or ch in "\u202f\xa0", repr(ch)
    assert (ROOT / "assets" / "fonts" / "LICENSE-DejaVu.txt").exists()
    spec = importlib.util.spec_from_file_location(
        "make_thanks_sound", ROOT / "assets" / "sounds" / "make_thanks_sound.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import struct
    import wave

    with wave.open(str(ROOT / "assets" / "sounds" / "thanks.wav")) as w:
        frames = w.readframes(w.getnframes())
        assert (w.getframerate(), w.getnchannels()) == (module.RATE, 1)
    assert list(struct.unpack(f"<{len(frames) // 2}h", frames)) == module.samples()


def test_touch_input_is_one_provider_with_inversion():
    from kiosk.screen.ui.hardening import input_providers

    assert input_providers(invert_x=False, invert_y=False, dev_mouse=False) == \
        {"touchscreen": "probesysfs,provider=mtdev"}
    assert input_providers(invert_x=True, invert_y=True, dev_mouse=True) == {
        "touchscreen": "probesysfs,provider=mtdev,param=invert_x=1,param=invert_y=1",
        "mouse": "mouse,disable_multitouch"}
