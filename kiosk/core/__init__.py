"""Shared by every kiosk process: configuration, the ledger and its schema, the catalog, money,
receipts and translations. No Kivy, no network, no serial port.
"""
