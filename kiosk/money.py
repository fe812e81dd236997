"""Money shown to donors, formatted the way their language writes it (« 5 € », « 1 240 € »).

Amounts are integer cents everywhere; whole amounts are shown without decimals, because a
donor reads « 5 € » faster than « 5,00 € ».

    >>> format_cents(124000, "EUR", "fr")
    '1\u202f240\xa0€'
    >>> format_cents(1250, "EUR", "en")
    '€12.50'
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency

# Babel locale for each screen language: French as written in France, English as in the UK
# (euro sign before the number, comma grouping).
BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@lru_cache(maxsize=8)
def _whole_pattern(locale: str) -> str:
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    return pattern.replace(".00", "")


def format_cents(cents: int, currency: str = "EUR", language: str = "fr") -> str:
    """Format ``cents`` for a donor reading ``language`` ("fr" or "en")."""
    if type(cents) is not int:
        raise TypeError(f"amounts are whole numbers of cents, got {cents!r}")
    locale = BABEL_LOCALES.get(language, BABEL_LOCALES["fr"])
    if cents % 100 == 0:
        return format_currency(cents // 100, currency, format=_whole_pattern(locale),
                               locale=locale, currency_digits=False)
    return format_currency(Decimal(cents) / 100, currency, locale=locale)
