"""The only kiosk-side code that knows the payment bridge: its socket client, the payment port the
donor flow pays through, the runner and start-up recovery.
"""
