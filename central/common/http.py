"""The device API's plumbing: JSON errors in the contract's shape, capped JSON bodies, and a
decorator that turns :class:`ApiError` into its answer."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from central.common.decode import Invalid, TooLarge

MAX_BODY_BYTES = 1 << 20
JSON_TYPE = "application/json"
T = TypeVar("T")


class ApiError(Exception):
    """An answer other than success: status, a code for machines and a message for people."""

    def __init__(self, status: int, code: str, message: str, **headers: str):
        self.status, self.code, self.headers = status, code, headers
        super().__init__(message)

    def response(self) -> JsonResponse:
        return error_response(self.status, self.code, str(self), **self.headers)


def error_response(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def json_response(doc: Any, status: int = 200) -> HttpResponse:
    # ensure_ascii=False: project texts are French; UTF-8 is the contract's encoding.
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    return HttpResponse(body, status=status, content_type=JSON_TYPE)


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def declared_length(request: HttpRequest) -> int:
    """The Content-Length, refusing a negative or non-numeric one (absent counts as 0: the
    WSGI server then hands Django no body at all)."""
    raw = request.META.get("CONTENT_LENGTH") or "0"
    if not raw.isdigit():
        raise ApiError(400, "bad_request", "Content-Length: expected a whole number of bytes")
    length = int(raw)
    if length > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
    return length


def read_json(request: HttpRequest) -> Any:
    """The body as JSON, after the size and content type checks; never reads past the cap."""
    declared_length(request)
    ctype = (request.content_type or "").lower()
    if ctype != JSON_TYPE:
        raise ApiError(400, "bad_request", "Content-Type: expected application/json")
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ApiError(400, "bad_request", f"body: not valid JSON ({e})") from None



def decoded_body(request: HttpRequest, decode: Callable[[Any], T]) -> T:
    """The JSON body as ``decode`` reads it: what it refuses is answered 400 (413 when it is
    too large), in the contract's error shape."""
    try:
        return decode(read_json(request))
    except TooLarge as e:
        raise ApiError(413, "too_large", str(e)) from None
    except Invalid as e:
        raise ApiError(400, "bad_request", str(e)) from None

def api_endpoint(*methods: str) -> Callable[[Callable[..., HttpResponse]],
                                             Callable[..., HttpResponse]]:
    """A device API view: CSRF does not apply (no cookies, a bearer token), other methods get
    a JSON 405, and an :class:`ApiError` raised anywhere below becomes its answer."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(405, "method_not_allowed",
                                          f"{request.method} is not allowed here")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except ApiError as e:
                return e.response()

        return wrapped

    return wrap


def client_address(request: HttpRequest) -> str:
    """The client's address for throttling: REMOTE_ADDR, or the header a trusted reverse proxy
    sets (CENTRAL_CLIENT_IP_HEADER). Used to count, never to grant anything."""
    from django.conf import settings

    header = settings.CENTRAL_CLIENT_IP_HEADER
    if header and request.META.get(header):
        return str(request.META[header]).strip()[:64]
    return str(request.META.get("REMOTE_ADDR", ""))
