"""The kiosk's Kivy screen. Thin: decisions live in ``kiosk.donation_flow``."""
