"""Anonymous engagement counts: how many times, per project and per UTC hour, the kiosk showed
a slide, was tapped, had an amount chosen and saw a payment start, succeed or be abandoned.

Counts only. No event of one person is kept, nothing finer than the hour, no card data and no
amount beyond whether it was a preset or a typed one. The ledger keeps one row per (hour,
project, counter) (:mod:`kiosk.core.ledger.engagement`); the heartbeat carries them as
absolute snapshots, so the central service replaces a count rather than adding to it and a
re-sent hour is never counted twice.
"""

from __future__ import annotations

import datetime as dt
import enum

RETENTION_DAYS = 30  # hours the central service confirmed are kept this long, then pruned
MAX_PER_HEARTBEAT = 500  # rows per heartbeat, oldest first; the rest go with the next one


class Counter(enum.StrEnum):
    """The only things the kiosk counts (the device contract lists the same names)."""

    SLIDE_SHOWN = "slide_shown"              # a project's slide came on the attract loop
    GIVE_TAPPED = "give_tapped"              # « Je donne »: the amount screen opened
    PARTICIPATE_TAPPED = "participate_tapped"  # « Je participe »: the ask's QR opened
    AMOUNT_PRESET = "amount_preset"          # a preset amount was chosen
    AMOUNT_CUSTOM = "amount_custom"          # an amount typed on the keypad was chosen
    PAYMENT_STARTED = "payment_started"      # the pending donation is committed
    PAYMENT_APPROVED = "payment_approved"    # recorded approved: the thank-you
    ABANDONED_TIMEOUT = "abandoned_timeout"  # the amount or keypad screen timed out
    ABANDONED_BACK = "abandoned_back"        # « Retour » from the amount or keypad screen
    ABANDONED_CANCEL = "abandoned_cancel"    # the payment was cancelled (donor or time limit)


def hour_of(at: dt.datetime) -> str:
    """``at`` truncated to its UTC hour, as the ledger and the contract write it."""
    if at.tzinfo is None:
        raise ValueError("an aware datetime is needed: the hour is UTC")
    hour = at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return f"{hour.year:04d}-{hour.month:02d}-{hour.day:02d}T{hour.hour:02d}:00:00Z"


def current_hour() -> str:
    return hour_of(dt.datetime.now(dt.UTC))
