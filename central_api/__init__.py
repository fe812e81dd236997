"""The device contract: ``openapi.yaml``, the HTTP/JSON API between kiosks and the central
service (``central/``). Kiosks in the field depend on it, so it only grows compatibly."""

from pathlib import Path

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
