"""Device API: enrollment and heartbeats (thin: decode, call a service, answer)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from central.common.decode import Invalid
from central.common.http import (
    ApiError,
    api_endpoint,
    client_address,
    json_response,
    now_rfc3339,
    read_json,
)
from central.devices import services, validation
from central.devices.auth import authenticated_device
from central.insights import validation as insights_validation
from central.reconciliation import services as reconciliation


@api_endpoint("POST")
def enroll(request: HttpRequest) -> HttpResponse:
    try:
        code, device_id = validation.enroll_body(read_json(request))
    except Invalid as e:
        raise ApiError(400, "bad_request", str(e)) from None
    try:
        done = services.enroll_device(code, device_id, client_address(request))
    except services.EnrollThrottled as e:
        raise ApiError(429, "throttled", str(e), Retry_After=str(e.retry_after)) from None
    except services.EnrollRefused as e:
        raise ApiError(404, "unknown_code", str(e)) from None
    return json_response({"device_id": done.device_id, "token": done.token,
                          "receipt_key": done.receipt_key})


@api_endpoint("POST")
def heartbeat(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    try:
        body = validation.heartbeat_body(read_json(request))
        # Stored as counts, not in the heartbeat's history: they would fill it.
        counts = insights_validation.engagement_rows(body.pop("engagement", []))
    except Invalid as e:
        raise ApiError(400, "bad_request", str(e)) from None
    services.record_heartbeat(device, body, counts=counts)
    # Decisions on its unknown outcomes ride on the answer until the kiosk's audit log says
    # it applied or refused them (an older kiosk ignores the field).
    answer: dict[str, object] = {"server_time": now_rfc3339()}
    decisions = reconciliation.deliveries(device)
    if decisions:
        answer["decisions"] = decisions
    return json_response(answer)
