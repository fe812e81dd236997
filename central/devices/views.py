"""Device API: enrollment and heartbeats (thin: decode, call a service, answer)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from central.common.http import (
    ApiError,
    api_endpoint,
    client_address,
    decoded_body,
    json_response,
    now_rfc3339,
)
from central.devices import services, validation
from central.devices.auth import authenticated_device
from central.insights import validation as insights_validation
from central.reconciliation import services as reconciliation


@api_endpoint("POST")
def enroll(request: HttpRequest) -> HttpResponse:
    code, device_id = decoded_body(request, validation.enroll_body)
    try:
        done = services.enroll_device(code, device_id, client_address(request))
    except services.EnrollThrottled as e:
        raise ApiError(429, "throttled", str(e), Retry_After=str(e.retry_after)) from None
    except services.EnrollRefused as e:
        raise ApiError(404, "unknown_code", str(e)) from None
    return json_response({"device_id": done.device_id, "token": done.token,
                          "receipt_key": done.receipt_key})


def _heartbeat_parts(doc: Any) -> tuple[dict[str, Any], list[Any]]:
    body = validation.heartbeat_body(doc)
    # Stored as counts, not in the heartbeat's history: they would fill it.
    return body, insights_validation.engagement_rows(body.pop("engagement", []))


@api_endpoint("POST")
def heartbeat(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    body, counts = decoded_body(request, _heartbeat_parts)
    services.record_heartbeat(device, body, counts=counts)
    # Decisions on its unknown outcomes ride on the answer until the kiosk's audit log says
    # it applied or refused them (an older kiosk ignores the field).
    answer: dict[str, object] = {"server_time": now_rfc3339()}
    decisions = reconciliation.deliveries(device)
    if decisions:
        answer["decisions"] = decisions
    return json_response(answer)
