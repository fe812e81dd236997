"""Device API: the donation batch."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from central.common.decode import Invalid, TooLarge
from central.common.http import ApiError, api_endpoint, json_response, now_rfc3339, read_json
from central.devices.auth import authenticated_device
from central.donations import services, validation


@api_endpoint("POST")
def batch(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    try:
        items = validation.batch_body(read_json(request))
    except TooLarge as e:
        raise ApiError(413, "too_large", str(e)) from None
    except Invalid as e:
        raise ApiError(400, "bad_request", str(e)) from None
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
