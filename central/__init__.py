"""The central service: a Django application serving the device API (``central_api/openapi.yaml``),
the back office and the receipt page. ``central`` (:mod:`central.cli`) is its command."""
