"""HTTP client for the central API: one ``requests.Session``, strict TLS, bounded calls.

- https always, with verification on (a CA bundle may pin the server's CA); plain http only to
  a loopback address (the demo and the tests), and then only to ``base_url``'s own origin (a
  catalog must not make the service fetch other local ports). There is no switch that turns
  verification off.
- Every call has connect and read timeouts plus an overall deadline, and a cap on the size of
  the answer, so a slow or hostile server cannot hang or bloat the service.
- Errors are sorted into what the caller must do: :class:`Transient` (retry later, perhaps
  after ``retry_after``), :class:`AuthRefused` (stop and raise an alarm), :class:`TooLarge`
  (send fewer), :class:`Refused` (a 4xx the server will keep giving).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import requests
import urllib3

from kiosk.core.config import is_loopback_host
from kiosk.sync.backoff import parse_retry_after

MAX_JSON_BYTES = 1 << 20
USER_AGENT = "kiosk-sync"


class ApiError(Exception):
    """Base class; the message is plain words for the operator's status page."""


class Transient(ApiError):
    """Try again later (network down, timeout, 5xx, 429, a garbled answer)."""

    def __init__(self, message: str, retry_after: float | None = None):
        self.retry_after = retry_after
        super().__init__(message)


class AuthRefused(ApiError):
    """401/403: the token is missing, unknown or revoked. Sending must stop."""

    def __init__(self, message: str, status: int):
        self.status = status
        super().__init__(message)


class TooLarge(ApiError):
    """413: the request was too big for the server."""


class Refused(ApiError):
    """Another 4xx answer (400, 404, 409...)."""

    def __init__(self, message: str, status: int, code: str | None = None):
        self.status, self.code = status, code
        super().__init__(message)


class InsecureUrl(ValueError):
    """A URL that would send the token in clear text over a network."""


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and is_loopback_host(parts.hostname):
        return url
    raise InsecureUrl(f"refusing {url!r}: https is required (plain http only to loopback)")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON, checking the content type first (a captive portal's HTML page
        must not pass as an answer)."""
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Transient(f"the server answered {ctype or 'no content type'} instead of JSON")
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            # RecursionError: a body of deeply nested [ (json has no depth limit of its own).
            raise Transient(f"the server's answer is not valid JSON ({e})") from None


class ApiClient:
    def __init__(self, base_url: str, token: str | None, *, ca_bundle: str = "",
                 connect_timeout_s: float = 5, read_timeout_s: float = 20,
                 deadline_s: float = 60, max_json_bytes: int = MAX_JSON_BYTES):
        self.base_url = check_url(base_url.rstrip("/") + "/")
        self.token = token
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.deadline_s = deadline_s
        self.max_json_bytes = max_json_bytes
        self.session = requests.Session()
        self.session.verify = ca_bundle or True  # never False
        self.session.trust_env = False  # no proxy or netrc from the environment
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        """``path`` resolved against ``base_url``; InsecureUrl (a ValueError) if it may not be
        fetched, ValueError if it is not a URL at all."""
        url = check_url(urljoin(self.base_url, path.lstrip("/") if "://" not in path else path))
        # Loopback http is for the demo and the tests; any other local port (a router's page,
        # another service's API) must not be reachable through a catalog's image URL.
        if urlsplit(url).scheme == "http" and not self.same_origin(url):
            raise InsecureUrl(f"refusing {url!r}: plain http only to {self.base_url}")
        return url

    def same_origin(self, url: str) -> bool:
        a, b = urlsplit(self.base_url), urlsplit(url)
        return (a.scheme, a.hostname, _port(a)) == (b.scheme, b.hostname, _port(b))

    def call(self, method: str, path: str, *, body: Any = None, auth: bool = True,
             headers: dict[str, str] | None = None, max_bytes: int | None = None,
             sink: Callable[[bytes], None] | None = None, identity: bool = False) -> Answer:
        """One request. With ``sink``, a 200 body is streamed into it instead of kept (an
        exception the sink raises, e.g. ENOSPC, propagates as it is: it is not the network's).
        ``identity`` asks for the body uncompressed and refuses a compressed answer rather than
        decoding it (image downloads: a few bytes of gzip can stand for gigabytes)."""
        url = self.url(path)
        deadline = time.monotonic() + self.deadline_s
        sent_headers = dict(headers or {})
        if identity:
            sent_headers["Accept-Encoding"] = "identity"
        if auth:
            if not self.token:
                raise AuthRefused("this kiosk is not enrolled (no device token)", 401)
            if not self.same_origin(url):
                raise Refused(f"refusing to send the device token to another site: {url}", 0)
            sent_headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            sent_headers["Content-Type"] = "application/json"
        try:
            resp = self.session.request(
                method, url, data=data, headers=sent_headers, stream=True,
                allow_redirects=False,
                timeout=(self.connect_timeout_s, min(self.read_timeout_s, self.deadline_s)))
        except requests.exceptions.SSLError as e:
            raise Transient(f"TLS verification of {urlsplit(url).hostname} failed: {e}") from None
        except requests.Timeout:
            raise Transient(f"{method} {path}: no answer in time") from None
        except requests.RequestException as e:
            raise Transient(f"{method} {path}: network error ({type(e).__name__})") from None
        try:
            encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
            if identity and encoding not in ("", "identity"):
                raise Refused(f"{method} {path}: the server sent Content-Encoding: {encoding} "
                              "to a request for an uncompressed answer", resp.status_code)
            answer = self._read(resp, deadline, max_bytes or self.max_json_bytes,
                                sink if resp.status_code == 200 else None,
                                decode=not identity)
        finally:
            resp.close()
        self._raise_for_status(method, path, answer)
        return answer

    def _read(self, resp: requests.Response, deadline: float, max_bytes: int,
              sink: Callable[[bytes], None] | None, decode: bool = True) -> Answer:
        headers = {k.lower(): v for k, v in resp.headers.items()}
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                # read1: whatever has arrived, at most one socket read. (iter_content would
                # block until 64 KiB came in, so a server trickling bytes under the read
                # timeout could hold the call far past its deadline.) Decoding is bounded by
                # the amount asked for only with urllib3 >= 2.6 (setup.cfg).
                chunk = resp.raw.read1(64 * 1024, decode_content=decode)
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
                raise Transient(f"the answer was cut off ({type(e).__name__})") from None
            if not chunk:
                break
            size += len(chunk)
            if sink is not None:
                # First: the sink knows the declared size and says so. Outside the network's
                # try: a full disk while writing is this side's problem, not the network's.
                sink(chunk)
            if size > max_bytes:
                raise Transient(f"the server's answer is larger than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise Transient(f"the server's answer took more than {self.deadline_s} s")
            if sink is None:
                chunks.append(chunk)
        return Answer(resp.status_code, headers, b"".join(chunks))

    @staticmethod
    def _raise_for_status(method: str, path: str, answer: Answer) -> None:
        status = answer.status
        if status < 300 or status == 304:
            return
        detail = _error_detail(answer)
        what = f"{method} {path}: HTTP {status}" + (f" ({detail[1]})" if detail[1] else "")
        if status in (401, 403):
            raise AuthRefused(what, status)
        if status == 413:
            raise TooLarge(what)
        if status in (429, 503):
            raise Transient(what, parse_retry_after(answer.headers.get("retry-after"),
                                                    answer.headers.get("date")))
        if 400 <= status < 500 and status != 408:
            raise Refused(what, status, detail[0])
        raise Transient(what)


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _error_detail(answer: Answer) -> tuple[str | None, str | None]:
    try:
        error = json.loads(answer.body)["error"]
        return str(error.get("code")), str(error.get("message"))[:200]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None
