"""Device API: the catalog (with ETag), the featured order, catalog images."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse

from central.catalog import selectors, validation
from central.common.decode import Invalid
from central.common.http import JSON_TYPE, ApiError, api_endpoint, read_json
from central.devices import services as device_services
from central.devices.auth import authenticated_device


@api_endpoint("GET")
def catalog(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    doc = selectors.device_catalog(device)
    etag = f'"{doc["version"]}"'
    asked = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in asked:
        response = HttpResponse(status=304)
    else:
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        response = HttpResponse(body, content_type=JSON_TYPE)
    response["ETag"] = etag
    return response


@api_endpoint("PUT")
def featured(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    try:
        ids = validation.featured_body(read_json(request))
    except Invalid as e:
        raise ApiError(400, "bad_request", str(e)) from None
    device_services.set_featured(device, ids)
    return HttpResponse(status=204)


@api_endpoint("GET")
def image(request: HttpRequest, sha256: str) -> HttpResponse:
    authenticated_device(request)
    found = selectors.image(sha256)
    if found is None:
        raise ApiError(404, "not_found", "no such image")
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["Cache-Control"] = "max-age=31536000, immutable"
    return response
