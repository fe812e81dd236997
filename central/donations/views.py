"""Device API: the donation batch."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from central.common.decode import Invalid
from central.common.http import api_endpoint, decoded_body, json_response, now_rfc3339
from central.devices.auth import authenticated_device
from central.donations import services, validation


@api_endpoint("POST")
def batch(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    items = decoded_body(request, validation.batch_body)
    results: list[dict[str, Any] | None] = [None] * len(items)
    valid: list[tuple[int, dict[str, Any]]] = []
    for n, item in enumerate(items):
        try:
            valid.append((n, validation.donation_item(item)))
        except Invalid as e:
            # One bad row is refused on its own, in its place; the others go through.
            raw_id = item.get("id") if isinstance(item, dict) else None
            results[n] = {"id": str(raw_id), "status": "rejected",
                          "error": {"code": "invalid_donation", "retryable": False,
                                    "message": str(e)}}
    statuses = services.ingest_batch(device, [v for _, v in valid])
    for (n, item), status in zip(valid, statuses, strict=True):
        results[n] = {"id": item["id"], "status": status, "error": None}
    return json_response({"results": results, "server_time": now_rfc3339()})
