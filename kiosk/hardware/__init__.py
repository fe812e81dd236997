"""Adapters for the device's own hardware (the display's backlight); the payment terminal has its
own service, ``firmware_bridge``.
"""
