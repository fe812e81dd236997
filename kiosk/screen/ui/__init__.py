"""The kiosk's Kivy screen. Thin: decisions live in ``kiosk.screen.donation_flow``."""
