"""Colours and sizes of the kiosk screen (plain Python, so contrast is unit-tested).

Every text colour is paired with the background it is drawn on; ``CONTRAST_PAIRS`` lists the
pairs the screens use, and the tests hold each to WCAG AA (4.5:1).
"""

from __future__ import annotations

BACKGROUND = "#102A43"     # dark navy
TEXT = "#FFFFFF"
TEXT_MUTED = "#D9E2EC"
CTA = "#FFC845"            # the one call to action: warm yellow, dark text
CTA_TEXT = "#102A43"
BUTTON = "#F0F4F8"         # amount and keypad buttons: light, dark text
BUTTON_TEXT = "#102A43"
BUTTON_TEXT_MUTED = "#486581"  # second line on a light button (the grid's association)
SECONDARY = "#334E68"      # back, finish, language: quiet
SECONDARY_TEXT = "#FFFFFF"
DISABLED = "#243B53"
DISABLED_TEXT = "#D9E2EC"
DANGER = "#B42318"         # cancel
DANGER_TEXT = "#FFFFFF"
SUCCESS = "#1B6E45"        # thank-you band
WARNING = "#8A4B00"        # outcome band when money may have been taken
OFFLINE_TEXT = "#FFD8A8"

CONTRAST_PAIRS = {
    "text": (TEXT, BACKGROUND),
    "muted": (TEXT_MUTED, BACKGROUND),
    "cta": (CTA_TEXT, CTA),
    "button": (BUTTON_TEXT, BUTTON),
    "button-muted": (BUTTON_TEXT_MUTED, BUTTON),
    "secondary": (SECONDARY_TEXT, SECONDARY),
    "disabled": (DISABLED_TEXT, DISABLED),
    "danger": (DANGER_TEXT, DANGER),
    "success": (TEXT, SUCCESS),
    "warning": (TEXT, WARNING),
    "offline": (OFFLINE_TEXT, BACKGROUND),
}

# Layout unit: 1.0 at the 480 px short side of the official 7" display. Touch targets are at
# least MIN_TARGET units tall: 64 px there (about 12 mm on a 7" 800x480 panel).
REFERENCE_SHORT_SIDE = 480
MIN_TARGET = 64
MIN_TARGET_MM = 9.0


def rgba(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)


def _luminance(hex_colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b, _ = rgba(hex_colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio between two colours."""
    hi, lo = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def layout_scale(width: int, height: int) -> float:
    return min(width, height) / REFERENCE_SHORT_SIDE
