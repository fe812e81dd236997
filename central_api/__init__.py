"""The reference central API: the server side of the contract in ``openapi.yaml``.

A real HTTP server with its own SQLite store, used by the demo and the tests on loopback, with
switchable faults. A real deployment points the kiosk at the organisation's own server.
"""

from pathlib import Path

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
