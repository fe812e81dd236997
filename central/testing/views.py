"""Administration routes for the tests and the demo (``/admin/*``),
allowed only with the X-Central-Admin-Token header (CENTRAL_TEST_ADMIN_TOKEN), never by
client address."""

from __future__ import annotations

import base64
import functools
import hmac
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from central.catalog.models import Shop
from central.catalog.services import publish_catalog
from central.common.http import ApiError, api_endpoint, json_response
from central.devices import selectors as device_selectors
from central.devices import services as device_services
from central.devices.models import Device
from central.donations import selectors as donation_selectors
from central.donations import services as donation_services
from central.donations import validation as donation_validation
from central.insights import selectors as insights_selectors
from central.testing import faults
from central.testing.models import Exchange, Fault, FiredFault

TEST_SHOP = "Test shop"
HEADER = "X-Central-Admin-Token"


def admin_route(*methods: str) -> Callable[[Callable[..., HttpResponse]],
                                           Callable[..., HttpResponse]]:
    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            expected = settings.CENTRAL_TEST_ADMIN_TOKEN
            given = request.headers.get(HEADER, "")
            if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
                raise ApiError(403, "forbidden", f"administration needs the {HEADER} header")
            return view(request, *args, **kwargs)

        return api_endpoint(*methods)(guarded)

    return wrap


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError as e:
        raise ApiError(400, "bad_request", str(e)) from None


def _device(device_id: str) -> Device:
    device = Device.objects.filter(device_id=device_id).first()
    if device is None:
        raise ApiError(404, "not_found", f"no device {device_id}")
    return device


@admin_route("POST", "DELETE", "GET")
def admin_faults(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return json_response({"pending": Fault.objects.count(), "fired": [
            [f.route, f.kind] for f in FiredFault.objects.all()]})
    if request.method == "DELETE":
        Fault.objects.all().delete()
        return HttpResponse(status=204)
    try:
        faults.parse_fault(_body(request)).save()
    except ValueError as e:
        raise ApiError(400, "bad_request", str(e)) from None
    return HttpResponse(status=204)


@admin_route("POST")
def admin_enroll_codes(request: HttpRequest) -> HttpResponse:
    doc = _body(request)
    if not isinstance(doc, dict) or not isinstance(doc.get("device_id"), str):
        raise ApiError(400, "bad_request", "device_id: expected text")
    code = doc.get("code")
    if code is not None and (not isinstance(code, str) or not 1 <= len(code) <= 128):
        raise ApiError(400, "bad_request", "code: expected text")
    shop, _ = Shop.objects.get_or_create(name=doc.get("shop") or TEST_SHOP)
    try:
        made = device_services.create_enrollment_code(doc["device_id"], shop=shop, code=code)
    except device_services.AlreadyEnrolled as e:
        raise ApiError(409, "already_enrolled", str(e)) from None
    except Exception as e:  # a device id the model refuses
        raise ApiError(400, "bad_request", str(e)) from None
    return HttpResponse(status=204) if code else json_response({"code": made})


@admin_route("POST")
def admin_revoke(request: HttpRequest, device_id: str) -> HttpResponse:
    try:
        device_services.revoke_device(device_id)
    except Device.DoesNotExist:
        raise ApiError(404, "not_found", f"no device {device_id}") from None
    return HttpResponse(status=204)


@admin_route("GET", "POST")
def admin_donations(request: HttpRequest, device_id: str) -> HttpResponse:
    if request.method == "POST":  # store items directly, as a device would have
        items = [donation_validation.donation_item(i) for i in _body(request)["donations"]]
        return json_response({"statuses": donation_services.ingest_batch(_device(device_id),
                                                                         items)})
    return json_response({"donations": donation_selectors.device_donations(device_id)})


@admin_route("GET")
def admin_device(request: HttpRequest, device_id: str) -> HttpResponse:
    device = _device(device_id)
    return json_response({
        "device_id": device.device_id, "token_sha256": device.token_sha256,
        "revoked": device.revoked_at is not None,
        "receipt_keys": device_selectors.receipt_keys(device_id),
        "featured": device.featured_project_ids if device.featured_project_ids else None,
        "heartbeats": device_selectors.heartbeat_bodies(device),
        "audit": device_selectors.audit_rows(device),
        "engagement": [[*key, n] for key, n in
                       insights_selectors.device_counts(device.device_id).items()]})


@admin_route("POST")
def admin_token_owner(request: HttpRequest) -> HttpResponse:
    doc = _body(request)
    device = device_selectors.device_for_token(str((doc or {}).get("token", "")))
    if device is None:
        raise ApiError(404, "not_found", "no device has this token")
    return json_response({"device_id": device.device_id, "revoked": device.revoked_at is not None})


@admin_route("PUT")
def admin_catalog(request: HttpRequest) -> HttpResponse:
    doc = _body(request)
    shop, _ = Shop.objects.get_or_create(name=doc.get("shop") or TEST_SHOP)
    images = {sha: base64.b64decode(data) for sha, data in doc.get("images", {}).items()}
    publish_catalog(shop, doc["catalog"], images)
    return HttpResponse(status=204)


@admin_route("GET", "DELETE")
def admin_exchanges(request: HttpRequest) -> HttpResponse:
    if request.method == "DELETE":
        Exchange.objects.all().delete()
        return HttpResponse(status=204)
    return json_response({"exchanges": list(Exchange.objects.values(
        "at", "method", "route", "path", "request", "status", "content_type", "response",
        "headers", "fault"))})
