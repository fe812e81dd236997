"""The counters a kiosk may send: its closed list (kiosk.core.funnel.Counter), the same names
as the device contract. Plain Python, so the decoder needs no Django."""

COUNTERS = ("slide_shown", "give_tapped", "participate_tapped", "amount_preset",
            "amount_custom", "payment_started", "payment_approved", "abandoned_timeout",
            "abandoned_back", "abandoned_cancel")
