"""Money shown to donors, formatted the way their language writes it (« 5 € », « 1 240 € »).

Amounts are integer cents everywhere; whole amounts are shown without decimals, because a
donor reads « 5 € » faster than « 5,00 € ».

    >>> format_cents(124000, "EUR", "fr")
    '1\u202f240\xa0€'
    >>> format_cents(1250, "EUR", "en")
    '€12.50'

The formats are Babel's (CLDR data), read once from a small table: ``python -m kiosk.core.i18n``
extracts, for each screen language and each currency the configuration accepts, the currency
pattern's prefix and suffix, the group and decimal signs and the currency symbol into
``kiosk/core/locale/money.json``. Importing Babel and unpickling its locale data took ~25 ms on the
UI thread before the first attract frame. Tests check that the table is what Babel says and
that every amount comes out exactly as Babel writes it; anything the table does not hold
(another currency, a negative amount) is formatted by Babel itself.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

# Babel locale for each screen language: French as written in France, English as in the UK
# (euro sign before the number, comma grouping).
BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
FORMATS_FILE = Path(__file__).resolve().parent / "locale" / "money.json"


def format_cents(cents: int, currency: str = "EUR", language: str = "fr") -> str:
    """Format ``cents`` for a donor reading ``language`` ("fr" or "en")."""
    if type(cents) is not int:
        raise TypeError(f"amounts are whole numbers of cents, got {cents!r}")
    formats = _formats()
    fmt = formats.get(language) or formats["fr"]
    symbol = fmt["symbols"].get(currency)
    if symbol is None or cents < 0:
        return format_with_babel(cents, currency, language)
    whole, fraction = divmod(cents, 100)
    number = f"{whole:,}".replace(",", fmt["group"])
    if fraction:
        number += f"{fmt['decimal']}{fraction:02d}"
    return fmt["prefix"].replace("¤", symbol) + number + fmt["suffix"].replace("¤", symbol)


@lru_cache(maxsize=1)
def _formats() -> dict[str, Any]:
    return json.loads(FORMATS_FILE.read_text(encoding="utf-8"))


def format_with_babel(cents: int, currency: str = "EUR", language: str = "fr") -> str:
    """The reference: Babel formatting ``cents`` directly."""
    from babel.numbers import format_currency

    locale = BABEL_LOCALES.get(language, BABEL_LOCALES["fr"])
    if cents % 100 == 0:
        return format_currency(cents // 100, currency, format=_whole_pattern(locale),
                               locale=locale, currency_digits=False)
    return format_currency(Decimal(cents) / 100, currency, locale=locale)


@lru_cache(maxsize=8)
def _whole_pattern(locale: str) -> str:
    from babel import Locale

    return Locale.parse(locale).currency_formats["standard"].pattern.replace(".00", "")


def extract_formats() -> dict[str, Any]:
    """The table ``format_cents`` reads, from Babel (written by ``python -m kiosk.core.i18n``)."""
    from babel import Locale
    from babel.numbers import get_currency_symbol, get_decimal_symbol, get_group_symbol

    from kiosk.core.config import CURRENCIES

    table: dict[str, Any] = {}
    for language, locale_name in BABEL_LOCALES.items():
        pattern = Locale.parse(locale_name).currency_formats["standard"]
        if pattern.grouping != (3, 3) or pattern.frac_prec != (2, 2):
            raise ValueError(f"{locale_name}: the currency pattern {pattern.pattern!r} does "
                             "not group by thousands with two decimals; format_cents cannot "
                             "write it from a table")
        table[language] = {
            "prefix": pattern.prefix[0], "suffix": pattern.suffix[0],
            "group": get_group_symbol(locale_name), "decimal": get_decimal_symbol(locale_name),
            "symbols": {code: get_currency_symbol(code, locale_name)
                        for code in sorted(CURRENCIES)}}
    return table


def write_formats(path: Path = FORMATS_FILE) -> Path:
    path.write_text(json.dumps(extract_formats(), ensure_ascii=False, indent=1, sort_keys=True)
                    + "\n", encoding="utf-8")
    return path
