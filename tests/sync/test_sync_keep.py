"""What must keep holding in the sync client, against real servers on 127.0.0.1: TLS is not
weakened by the environment, redirects are not followed, the device token never goes to
another origin. (The token file's 0600 is tested in test_sync_enroll_and_auth.py.)"""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kiosk.sync.client import ApiClient, ApiError, InsecureUrl, Refused, Transient

TOKEN = "secret-device-token"


class Recorder(ThreadingHTTPServer):
    """Answers every request with ``reply(handler)`` and keeps (method, path, headers)."""

    def __init__(self, reply: Any):
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.reply = reply

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.server.seen.append((self.command, self.path, dict(self.headers)))
                self.server.reply(self)

            do_GET = do_POST = do_PUT = _any

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def ok_json(handler: BaseHTTPRequestHandler) -> None:
    body = b'{"ok": true}'
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve(server: ThreadingHTTPServer) -> Iterator[Any]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def elsewhere() -> Iterator[Recorder]:
    """Another origin (another port): it must never see the token."""
    yield from serve(Recorder(ok_json))


@pytest.fixture
def redirecting(elsewhere: Recorder) -> Iterator[Recorder]:
    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(307)
        handler.send_header("Location", elsewhere.url + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    yield from serve(Recorder(redirect))


@pytest.mark.parametrize("path", ["v1/devices/d-1/donations:batch", "v1/catalog"])
def test_redirects_are_not_followed(redirecting: Recorder, elsewhere: Recorder,
                                    path: str) -> None:
    client = ApiClient(redirecting.url, TOKEN)
    with pytest.raises(ApiError):
        client.call("POST", path, body={"donations": []})
    client.close()
    assert len(redirecting.seen) == 1
    assert elsewhere.seen == []  # neither the request nor the token went there


def test_the_token_is_never_sent_to_another_origin(elsewhere: Recorder) -> None:
    own = Recorder(ok_json)
    for _ in serve(own):
        client = ApiClient(own.url, TOKEN)
        client.call("GET", "v1/catalog")
        assert own.seen[0][2]["Authorization"] == f"Bearer {TOKEN}"
        # Plain http to another origin is refused before any connection is made.
        for auth in (True, False):
            with pytest.raises(InsecureUrl):
                client.call("GET", f"{elsewhere.url}/images/abc", auth=auth)
        assert elsewhere.seen == []
        client.close()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Recorder, Path]]:
    key, cert = tmp_path / "ca.key", tmp_path / "ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=keep", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = Recorder(ok_json)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    for s in serve(server):
        yield s, cert


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"])
def test_tls_trust_is_not_taken_from_the_environment(tls_server: tuple[Recorder, Path],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     variable: str) -> None:
    """An environment variable naming the server's own CA would make it trusted if the
    client read the environment: it must not; only api.ca_bundle pins a CA."""
    server, cert = tls_server
    url = f"https://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv(variable, str(cert))
    client = ApiClient(url, TOKEN)
    with pytest.raises(Transient, match="TLS verification"):
        client.call("GET", "v1/catalog")
    client.close()
    assert server.seen == []  # the token never left the client
    pinned = ApiClient(url, TOKEN, ca_bundle=str(cert))
    pinned.call("GET", "v1/catalog")  # the same CA through the configuration is accepted
    pinned.close()
    assert len(server.seen) == 1


def test_a_proxy_in_the_environment_is_not_used(elsewhere: Recorder,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would see the token: HTTP(S)_PROXY pointing at a recorder gets nothing."""
    own = Recorder(ok_json)
    for _ in serve(own):
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, elsewhere.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = ApiClient(own.url, TOKEN)
        client.call("GET", "v1/catalog")
        client.close()
        assert elsewhere.seen == [] and len(own.seen) == 1


def test_an_image_on_another_https_origin_goes_without_the_token(
        tls_server: tuple[Recorder, Path]) -> None:
    """The token is refused for another (https) origin; what the image cache does for an
    image there: no token at all."""
    elsewhere, cert = tls_server
    own = Recorder(ok_json)
    for _ in serve(own):
        client = ApiClient(own.url, TOKEN, ca_bundle=str(cert))
        url = f"https://127.0.0.1:{elsewhere.server_address[1]}/images/abc"
        with pytest.raises(Refused, match="another site"):
            client.call("GET", url, auth=True)
        assert elsewhere.seen == []
        client.call("GET", url, auth=client.same_origin(url))
        client.close()
    assert [s[1] for s in elsewhere.seen] == ["/images/abc"]
    assert not any(k.lower() == "authorization" for k in elsewhere.seen[0][2])
