"""An amount in French words, as a tax receipt writes it: « douze euros et cinquante
centimes ». num2words spells the numbers; the units and their agreement are ours (its own
currency mode reads an int as cents and writes « zéro euros »)."""

from __future__ import annotations

from num2words import num2words

# Currencies a kiosk may take, with their unit and hundredth in French (singular, plural).
UNITS = {"EUR": (("euro", "euros"), ("centime", "centimes")),
         "CHF": (("franc suisse", "francs suisses"), ("centime", "centimes"))}


def _count(n: int, unit: tuple[str, str]) -> str:
    words = num2words(n, lang="fr")
    if n == 1:
        return f"{words} {unit[0]}"
    # « un million d'euros », « deux milliards d'euros »
    joiner = " d'" if words.endswith(("million", "millions", "milliard", "milliards")) \
        and unit[1][0] in "aeiouy" else " de " if words.endswith(
            ("million", "millions", "milliard", "milliards")) else " "
    return f"{words}{joiner}{unit[1]}"


def amount_in_words(cents: int, currency: str = "EUR") -> str:
    major, minor = UNITS[currency]
    whole, hundredths = divmod(cents, 100)
    if whole and hundredths:
        return f"{_count(whole, major)} et {_count(hundredths, minor)}"
    if hundredths:
        return _count(hundredths, minor)
    return _count(whole, major)
