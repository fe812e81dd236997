"""Error pages: under the device API (/v1/) errors are JSON in the contract's shape, as every
other answer there; elsewhere Django's own pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from central.common.http import error_response

API_PREFIX = "/v1/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return error_response(404, "not_found", f"no such route: {request.path}")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return error_response(500, "server_error", "the server failed; try again later")
    return defaults.server_error(request)
