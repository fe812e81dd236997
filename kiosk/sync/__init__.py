"""kiosk-sync: the only process that talks to the central API (see docs/internal-apis.md)."""
