"""Loopback-only administration of the reference server, for tests and the demo: faults,
enrollment codes, revoking a token, and reading what a device sent."""

from __future__ import annotations

import json
from typing import Any

from central_api.replies import Reply, error_reply, json_reply


class AdminRoutes:
    """Mixed into the request handler, which calls :meth:`admin_refusal` first."""

    server: Any
    raw_body: bytes
    client_address: tuple[str, int]

    def _is_loopback_client(self) -> bool:
        return self.client_address[0] in ("127.0.0.1", "::1")

    def admin_refusal(self) -> Reply | None:
        """403 for a client that is not on this machine (checked before any admin route)."""
        if not self._is_loopback_client():
            return error_reply(403, "forbidden", "administration only from loopback")
        return None

    def route_admin_add_fault(self) -> Reply:
        try:
            self.server.faults.add_json(json.loads(self.raw_body or b"null"))
        except ValueError as e:
            return error_reply(400, "bad_request", str(e))
        return Reply(204)

    def route_admin_clear_faults(self) -> Reply:
        self.server.faults.clear()
        return Reply(204)

    def route_admin_add_code(self) -> Reply:
        try:
            code = json.loads(self.raw_body or b"{}").get("code")
        except (ValueError, AttributeError):
            code = None
        if not isinstance(code, str) or not code:
            return error_reply(400, "bad_request", "code: expected text")
        self.server.store.add_enroll_code(code)
        return Reply(204)

    def route_admin_revoke(self, device_id: str) -> Reply:
        self.server.store.revoke(device_id)
        return Reply(204)

    def route_admin_donations(self, device_id: str) -> Reply:
        return json_reply(200, {"donations": self.server.store.donations(device_id)})
