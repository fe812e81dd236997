"""Receipt signatures: the thank-you QR code carries an HMAC the server can check.

Lowercase hex HMAC-SHA256 keyed with the device's receipt key (the bytes its hex encodes) over
``{device_id}|{donation_id}|{amount_cents}|{currency}|{project_id}``: see kiosk/core/receipt.py.
"""

from __future__ import annotations

import hmac
import html
import re

from kiosk.core.receipt import BadReceiptKey, signature

# One definition of the signature for both sides: the screen signs with it, this server checks.
sign = signature


def verify(receipt_key: str | None, device_id: str, donation_id: str, amount: str,
           currency: str, project_id: str, sig: str) -> bool:
    if not receipt_key or re.fullmatch(r"[0-9]{1,12}", amount) is None:
        return False
    try:
        expected = sign(receipt_key, device_id, donation_id, int(amount), currency, project_id)
    except BadReceiptKey:
        return False
    # compare_digest refuses non-ASCII str: compare bytes, so any query string is just invalid.
    return hmac.compare_digest(expected.encode(), sig.lower().encode("utf-8", "replace"))


def page(valid: bool, amount: str, currency: str, received: bool) -> str:
    """A small bilingual page for the donor who scanned the QR code."""
    if valid:
        euros = f"{int(amount) // 100},{int(amount) % 100:02d} {html.escape(currency)}"
        title = "Reçu valide — Valid receipt"
        body = (f"<p>Merci pour votre don de <strong>{euros}</strong>.</p>"
                f"<p>Thank you for your donation of {euros}.</p>")
        if not received:
            body += ("<p>Le don sera confirmé dès que la borne aura transmis ses données.</p>"
                     "<p>It will be confirmed as soon as the kiosk has sent its data.</p>")
    else:
        title = "Reçu non valide — Invalid receipt"
        body = ("<p>La signature de ce reçu ne correspond pas.</p>"
                "<p>This receipt's signature does not match.</p>")
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width">'
            f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>")
