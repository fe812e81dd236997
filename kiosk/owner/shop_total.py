"""Whether the attract loop shows the shop's own total for the month (« Ce commerce a
collecté 1 240 € pour le quartier ce mois-ci »): the owner's choice, on by default, kept in
the ledger's settings (setting ``show_shop_total``) and audited when changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.core.ledger import Ledger

SETTING = "show_shop_total"
AUDIT_ACTION = "shop_total_shown_changed"


def shown(ledger: Ledger) -> bool:
    """The owner's choice; anything but an explicit ``false`` (unset, damaged) shows it."""
    return ledger.get_setting(SETTING, True) is not False
