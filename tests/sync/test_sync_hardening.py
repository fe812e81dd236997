"""What a hostile or broken catalog cannot do to a kiosk: decompression bombs (pixels and
compressed HTTP bodies), image URLs pointing elsewhere, numbers SQLite cannot hold, bodies that
nest without end, images that are missing, and images that would fill the data disk. In every
case the catalog is refused (or left for later) with a reason, and donations and the heartbeat
go on. Real parts throughout: the central service over HTTP on 127.0.0.1, real ledgers,
real files, a real small filesystem."""

from __future__ import annotations

import contextlib
import errno
import functools
import gzip
import hashlib
import http.server
import io
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from central.catalog import demo as demo_catalog
from kiosk.core import catalog as screen_catalog
from kiosk.core import config as configmod
from kiosk.core.catalog import MAX_IMAGE_PIXELS
from kiosk.core.ledger import Ledger, Limits
from kiosk.sync import catalog_pull
from kiosk.sync.catalog_parse import MAX_CENTS, CatalogRefused, ImageRef, parse_catalog
from kiosk.sync.client import ApiClient, Refused, Transient
from kiosk.sync.enroll import enroll
from kiosk.sync.image_cache import ImageCache, prove_image
from kiosk.sync.service import SyncService, main, make_client
from kiosk.sync.token_file import read_token
from tests.helpers.image_bombs import REPO, peak_rss_mib, png_bomb, png_header
from tests.sync.conftest import ENROLL_CODE, FAST, Kiosk, make_kiosk
from tests.sync.helpers import (
    DEVICE_ID,
    CatalogOverride,
    add_donations,
    assert_invariant,
    served_catalog,
)


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (64, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def noise_png(seed: int, size: tuple[int, int]) -> bytes:
    """An image that does not compress: its file is about 3 bytes per pixel."""
    out = io.BytesIO()
    pixels = hashlib.shake_256(str(seed).encode()).digest(size[0] * size[1] * 3)
    Image.frombytes("RGB", size, pixels).save(out, "PNG", compress_level=0)
    return out.getvalue()


def project(pid: str, data: bytes | None, **over: Any) -> dict[str, Any]:
    image = None
    if data is not None:
        sha = hashlib.sha256(data).hexdigest()
        image = {"url": demo_catalog.image_url(sha), "sha256": sha, "bytes": len(data)}
    return {"id": pid, "association": f"Association {pid}", "title": f"Projet {pid}",
            "summary": "Un projet du quartier.", "goal_cents": 10000, "raised_cents": 2500,
            "currency": "EUR", "url": None, "starts_on": None, "ends_on": None, "active": True,
            "image": image, **over}


def publish(central: Any, version: str, projects: list[dict[str, Any]],
            images: dict[str, bytes]) -> None:
    central.store.set_catalog({"version": version, "projects": projects}, images)


def live(kiosk: Kiosk) -> screen_catalog.Catalog:
    return screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)


# -- 1. pixel bombs -------------------------------------------------------------------------


def test_an_image_declaring_too_many_pixels_is_refused_from_its_header(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb"
    # Only the header: were the decoder run, the missing pixel data would be the error.
    bomb.write_bytes(png_header(12000, 12000))
    with pytest.raises(CatalogRefused, match="12000 x 12000 pixels"):
        prove_image(bomb)
    ok = tmp_path / "ok"
    ok.write_bytes(jpeg((1, 2, 3), (4096, 4096)))
    prove_image(ok)  # the cap itself is allowed


def test_kiosk_sync_refuses_a_pixel_bomb_without_decoding_it(kiosk: Kiosk) -> None:
    """The real kiosk-sync --once in its own process: the catalog is refused and its peak
    memory stays far below the ~600 MB that decoding the 12 000 x 12 000 image took."""
    bomb = png_bomb()
    sha = hashlib.sha256(bomb).hexdigest()
    add_donations(kiosk.ledger, 5)
    publish(kiosk.central, "bomb", [project("bomb", bomb)], {sha: bomb})
    peak, out = peak_rss_mib("import sys; from kiosk.sync.service import main;"
                             " rc = main(sys.argv[1:]); print('exit', rc)",
                             "--config", str(kiosk.cfg.path), "--once")
    assert "exit 0" in out and "Traceback" not in out, out
    assert peak < 150, f"kiosk-sync peaked at {peak:.0f} MiB"
    status = kiosk.ledger.service_status()["sync"]
    assert status["online"] is True
    assert "12000 x 12000 pixels" in status["last_error"], status
    assert live(kiosk).source == "demo"
    assert not list(kiosk.cfg.images_dir.iterdir())  # nothing of it is kept
    assert_invariant(kiosk.central, kiosk.ledger)


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 2**31 - 1), height=st.integers(1, 2**31 - 1),
       idat=st.binary(max_size=64))
def test_any_declared_size_is_checked_before_decoding(tmp_path_factory: Any, width: int,
                                                      height: int, idat: bytes) -> None:
    path = tmp_path_factory.mktemp("hdr") / "image"
    path.write_bytes(png_header(width, height, idat))
    try:
        prove_image(path)
    except CatalogRefused as e:
        # Over the cap: refused for its size, whatever (garbage) pixel data follows.
        assert ("pixels" in str(e)) == (width * height > MAX_IMAGE_PIXELS), str(e)
        return
    assert width * height <= MAX_IMAGE_PIXELS


JPEG = jpeg((200, 30, 30))


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(
    st.binary(max_size=2048),
    st.lists(st.tuples(st.integers(0, len(JPEG) - 1), st.integers(0, 255)), max_size=12)
    .map(lambda edits: _edited(JPEG, edits)),
    st.tuples(st.integers(0, 70000), st.integers(0, 70000), st.binary(max_size=200))
    .map(lambda t: png_header(*t))))
def test_whatever_bytes_an_image_holds_it_is_proved_or_refused(tmp_path_factory: Any,
                                                               data: bytes) -> None:
    path = tmp_path_factory.mktemp("img") / "image"
    path.write_bytes(data)
    try:
        prove_image(path)
    except CatalogRefused as e:
        assert str(e).startswith("image ")
        return
    with Image.open(path) as im:
        assert im.width * im.height <= MAX_IMAGE_PIXELS


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(JPEG) - 1), st.integers(0, 255)), max_size=12),
       st.integers(0, len(JPEG)))
def test_a_jpeg_proved_at_reduced_scale_also_decodes_at_full_size(
        tmp_path_factory: Any, edits: list[tuple[int, int]], keep: int) -> None:
    """The proof decodes JPEGs at 1/8 scale; whatever it accepts, the screen's full-size
    decode must read too (edited bytes, cut anywhere)."""
    path = tmp_path_factory.mktemp("img") / "image"
    path.write_bytes(_edited(JPEG, edits)[:keep])
    try:
        prove_image(path)
    except CatalogRefused:
        return
    with Image.open(path) as im:
        im.load()


def test_a_truncated_full_hd_jpeg_is_still_refused(tmp_path: Path) -> None:
    whole = jpeg((200, 40, 90), (1920, 1080))
    path = tmp_path / "image"
    path.write_bytes(whole)
    prove_image(path)
    path.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(CatalogRefused, match="does not decode"):
        prove_image(path)


def _edited(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for at, value in edits:
        out[at] = value
    return bytes(out)


# -- 2 and 10. a bad catalog never ends the round -------------------------------------------


def reply(request: http.server.BaseHTTPRequestHandler, status: int, body: bytes = b"",
          **headers: str) -> None:
    """Answer ``request`` with ``status``, ``headers`` (``_`` for ``-``) and ``body``."""
    request.send_response(status)
    for name, value in headers.items():
        request.send_header(name.replace("_", "-"), value)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


@contextlib.contextmanager
def local_server(answer: Callable[[http.server.BaseHTTPRequestHandler], None]
                 ) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that answers every GET with ``answer``; its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def other_port() -> Iterator[tuple[int, list[str]]]:
    """Another local service on 127.0.0.1 (a router page, an internal API): records any hit."""
    hits: list[str] = []

    def answer(request: http.server.BaseHTTPRequestHandler) -> None:
        hits.append(request.path)
        reply(request, 200, b"hi")

    with local_server(answer) as url:
        yield int(url.rsplit(":", 1)[1]), hits


def bad_projects(port: int) -> list[tuple[str, dict[str, Any], str]]:
    img = {"sha256": "a" * 64, "bytes": 100}
    return [
        ("file url", project("p", None, image={"url": "file:///etc/passwd", **img}),
         "image.url"),
        ("lan http", project("p", None, image={"url": "http://192.168.1.1/x.jpg", **img}),
         "https is required"),
        ("bad ipv6", project("p", None, image={"url": "http://[::1/x", **img}),
         "not a URL"),
        ("other loopback port", project("p", None, image={
            "url": f"http://127.0.0.1:{port}/internal?x=1", **img}), "plain http only to"),
        ("huge goal", project("p", None, goal_cents=10**20), "goal_cents"),
        ("missing image", project("p", jpeg((9, 9, 9))), "HTTP 404"),
    ]


@pytest.mark.parametrize("case", range(6), ids=[c[0] for c in bad_projects(1)])
def test_a_bad_project_is_a_refused_catalog_and_the_round_goes_on(
        tmp_path: Path, central: Any, other_port: tuple[int, list[str]], case: int,
        caplog: Any) -> None:
    port, hits = other_port
    # The service never serves such projects: a proxy in front of it answers the catalog.
    proxy = CatalogOverride(central.url)
    kiosk = make_kiosk(tmp_path, central, base_url=proxy.url)
    good = jpeg((10, 200, 10))
    good_sha = hashlib.sha256(good).hexdigest()
    publish(central, "good", [project("a", good)], {good_sha: good})
    service = kiosk.service()
    service.cycle(force=True)
    good_version = kiosk.served_catalog()["version"]
    assert live(kiosk).version == good_version
    name, bad, reason = bad_projects(port)[case]
    proxy.catalog = {"version": "bad", "projects": [project("a", good), bad]}
    add_donations(kiosk.ledger, 12)
    heartbeats = len(central.store.heartbeats(DEVICE_ID))
    try:
        rc = main(["--config", str(kiosk.cfg.path), "--once"])
    finally:
        proxy.stop()
    assert rc == 0 and "Traceback" not in caplog.text, caplog.text
    assert "catalog refused" in caplog.text and reason in caplog.text, caplog.text
    status = kiosk.ledger.service_status()["sync"]
    assert status["online"] is True and reason in status["last_error"], status
    assert "'p'" in status["last_error"]  # names the project
    assert live(kiosk).version == good_version  # the previous catalog stays live
    assert len(central.store.heartbeats(DEVICE_ID)) == heartbeats + 1
    assert_invariant(central, kiosk.ledger)
    assert hits == []  # nothing reached the other local port
    kiosk.ledger.close()


def test_an_endlessly_nested_catalog_body_is_refused(tmp_path: Path, central: Any) -> None:
    """400 KB of '[': json's recursion limit, on a real HTTP answer."""
    body = b"[" * 400_000
    with local_server(lambda r: reply(r, 200, body, Content_Type="application/json")) as url:
        kiosk = make_kiosk(tmp_path, central)
        client = ApiClient(url, "token")
        result = catalog_pull.pull(kiosk.ledger, client, DEVICE_ID, kiosk.cfg.images_dir,
                                   1 << 20)
        client.close()
    assert result.outcome == "refused" and "not valid JSON" in result.reason
    kiosk.ledger.close()


def test_an_image_that_fails_to_download_does_not_stop_donations_or_heartbeat(
        kiosk: Kiosk) -> None:
    """A 500 on an image is the catalog's trouble only: the round succeeds, the catalog is
    tried again soon (not only at the next catalog interval)."""
    good = jpeg((10, 20, 200))
    sha = hashlib.sha256(good).hexdigest()
    publish(kiosk.central, "v1", [project("a", good)], {sha: good})
    kiosk.central.faults.add("status", route="image", times=None, code=500)
    add_donations(kiosk.ledger, 8)
    service = kiosk.service()
    assert service.run_once() == 0
    status = service.status()
    assert status["online"] is True and "catalog not updated" in status["last_error"]
    assert kiosk.central.store.heartbeats(DEVICE_ID)
    assert_invariant(kiosk.central, kiosk.ledger)
    assert service.next_catalog_at - service.next_heartbeat_at < 0  # sooner than 300 s
    kiosk.central.faults.clear()
    service.cycle(force=True)
    assert live(kiosk).version == kiosk.served_catalog()["version"]
    assert [p.id for p in live(kiosk).projects] == ["a"]
    assert service.status()["last_error"] is None


# -- the catalog decoder, any JSON shape ----------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5), max_leaves=30)
texts = st.text(max_size=6) | st.sampled_from(["\ud800", " ", "x" * 3000])
image_urls = st.sampled_from(["v1/images/x", "https://cdn.example.org/a.jpg",
                              "http://[::1/x", "file:///etc/passwd", "http://h:99999/",
                              "gopher://x", "//h/x", ""]) | st.text(max_size=8)
numbers = st.integers() | st.sampled_from([10**20, MAX_CENTS, MAX_CENTS + 1, -1]) | st.floats()
near_projects = st.fixed_dictionaries({
    "id": texts, "association": texts, "title": texts, "summary": texts,
    "image": st.none() | json_values | st.fixed_dictionaries({
        "url": image_urls, "sha256": st.sampled_from(["a" * 64, "b" * 64, "A" * 64, 3]),
        "bytes": numbers}),
    "goal_cents": numbers, "raised_cents": numbers,
    "currency": st.sampled_from(["EUR", "eur", 1]), "url": st.none() | texts,
    "starts_on": st.none() | st.sampled_from(["2026-01-01", "2026-13-01", "20260101"]) | numbers,
    "ends_on": st.none() | json_values, "active": st.booleans() | json_values,
}) | json_values


@settings(max_examples=400, deadline=None)
@given(version=json_values | st.sampled_from([10**30, 10**5000, "\udfff", "v"]),
       projects=st.lists(near_projects, max_size=5) | json_values)
def test_any_catalog_shape_parses_to_a_storable_catalog_or_a_named_refusal(
        version: Any, projects: Any) -> None:
    try:
        doc = parse_catalog({"version": version, "projects": projects}, 8 << 20, 10 << 20)
    except CatalogRefused as e:
        assert str(e).startswith(("catalog", "projects[", "project "))
        return
    # What the parser accepts, SQLite and the client can take as it is.
    doc.version.encode("utf-8")
    for p in doc.projects:
        for text in (p.id, p.association, p.title, p.summary, p.url or "x"):
            text.encode("utf-8")
        assert 0 <= p.goal_cents <= MAX_CENTS and 0 <= p.raised_cents <= MAX_CENTS
        if p.image:
            from urllib.parse import urlsplit

            assert urlsplit(p.image.url).scheme in ("", "http", "https")
            urlsplit(p.image.url).port  # noqa: B018 - must not raise


def test_a_catalog_whose_images_total_too_much_is_refused() -> None:
    projects = [project(f"p{n}", None, image={"url": f"v1/images/{n:064x}",
                                              "sha256": f"{n:064x}", "bytes": 8 << 20})
                for n in range(500)]
    with pytest.raises(CatalogRefused, match="images total 4194304000 bytes"):
        parse_catalog({"version": "v", "projects": projects}, 8 << 20)


# -- 3. the data disk -----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 6 MiB filesystem (tmpfs) under tmp_path."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(mount)],
                   check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def small_disk_kiosk(tmp_path: Path, central: Any, data_dir: Path,
                     min_free_disk_mb: int) -> tuple[configmod.Config, Ledger]:
    """An enrolled kiosk whose data directory is ``data_dir``, with the ledger's disk reserve
    set from the configuration as on a device."""
    values = {"device": {"id": DEVICE_ID, "data_dir": str(data_dir),
                         "min_free_disk_mb": min_free_disk_mb},
              "api": {"base_url": central.url, "token_file": str(tmp_path / "device-token"),
                      "connect_timeout_s": 2, "read_timeout_s": 2, "call_deadline_s": 5},
              "donations": {"offline_cap_cents": 10**9}}
    path = tmp_path / "kiosk.toml"
    path.write_text(configmod.render_toml(values))
    cfg = configmod.load(path)
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    client = make_client(cfg, None)
    enroll(cfg, ledger, ENROLL_CODE, client)
    client.close()
    return cfg, ledger


def test_images_that_would_fill_the_disk_are_not_downloaded(
        tmp_path: Path, central: Any, small_disk: Path) -> None:
    """Eight 856 KiB images on a 6 MiB data disk with a 2 MiB donation reserve: before, they
    filled the disk and the ledger then refused donations with disk_full."""
    cfg, ledger = small_disk_kiosk(tmp_path, central, small_disk, 2)
    assert ledger.limits.min_free_disk_bytes == 2 << 20
    images = {}
    projects = []
    for n in range(8):
        data = noise_png(n, (505, 578))  # 856 KiB
        images[hashlib.sha256(data).hexdigest()] = data
        projects.append(project(f"p{n}", data))
    assert all(850 << 10 < len(d) < 860 << 10 for d in images.values())
    publish(central, "heavy", projects, images)
    add_donations(ledger, 5)
    service = SyncService(cfg, ledger, timing=FAST)
    assert service.run_once() == 0
    status = service.status()
    assert status["online"] is True
    assert "catalog refused" in status["last_error"]
    assert "not enough local storage" in status["last_error"]
    assert not list(cfg.images_dir.iterdir())  # no image was started
    assert central.store.heartbeats(DEVICE_ID)
    # Donations can still be recorded and are still sent.
    donation = ledger.create_pending("proj-1", 500, "EUR")
    ledger.finish(donation.id, "approved", auth_code="A1", card_suffix="4242")
    assert service.run_once() == 0
    assert_invariant(central, ledger)
    ledger.close()


def test_a_full_disk_while_writing_an_image_is_local_storage_not_network(
        tmp_path: Path, central: Any, small_disk: Path) -> None:
    """The real ENOSPC of a real filesystem, met inside the download's sink, reaches the
    caller as the OSError it is (it was turned into « the answer was cut off (OSError) », a
    network error), and the service reports it as local storage."""
    cfg, ledger = small_disk_kiosk(tmp_path, central, small_disk, 0)
    data = noise_png(99, (1200, 1000))  # 3.4 MiB
    sha = hashlib.sha256(data).hexdigest()
    publish(central, "v", [project("a", data)], {sha: data})
    (small_disk / "filler").write_bytes(b"\0" * (3 << 20))  # 3 MiB left: too few
    served = served_catalog(central, Path(cfg.api.token_file))
    ref = parse_catalog(served, 8 << 20).projects[0].image
    client = make_client(cfg, read_token(Path(cfg.api.token_file)))
    with pytest.raises(OSError) as raised:
        ImageCache(cfg.images_dir).fetch(client, ref)
    client.close()
    assert raised.value.errno == errno.ENOSPC
    assert not list(cfg.images_dir.iterdir())  # the .part file is gone
    ledger.close()


# -- 5. compressed answers ------------------------------------------------------------------


@functools.cache
def gzip_gzip_bomb(mib: int = 1024) -> bytes:
    """``mib`` MiB of zeros, gzipped twice: under 2 KB."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as f:
        zeros = b"\0" * (1 << 20)
        for _ in range(mib):
            f.write(zeros)
    return gzip.compress(out.getvalue(), compresslevel=9)


@pytest.fixture
def bomb_server() -> Iterator[str]:
    body = gzip_gzip_bomb()
    # Content-Encoding gzip twice, whatever was asked for.
    with local_server(lambda r: reply(r, 200, body, Content_Type="application/json",
                                      Content_Encoding="gzip, gzip")) as url:
        yield url


BOMB_CLIENT = """
import sys
from kiosk.sync.client import ApiClient, ApiError
client = ApiClient(sys.argv[1], "token")
for identity in (False, True):
    try:
        client.call("GET", "v1/anything", identity=identity, max_bytes=8 << 20)
        print("accepted", identity)
    except ApiError as e:
        print(type(e).__name__, identity, e)
"""


def test_a_gzip_gzip_bomb_keeps_the_process_bounded(bomb_server: str) -> None:
    """1 GiB of zeros in a ~1 KB answer: the JSON call stops at its size cap while decoding
    (urllib3 >= 2.6 decodes only what is asked for), the image call refuses to decode."""
    assert len(gzip_gzip_bomb()) < 4096
    peak, out = peak_rss_mib(BOMB_CLIENT, bomb_server)
    assert "Transient False the server's answer is larger than" in out, out
    assert "Refused True" in out and "Content-Encoding: gzip, gzip" in out, out
    assert peak < 120, f"peaked at {peak:.0f} MiB\n{out}"


def test_setup_cfg_requires_a_urllib3_that_bounds_decoding() -> None:
    line = [x.strip() for x in (REPO / "setup.cfg").read_text().splitlines()
            if x.strip().startswith("urllib3")]
    assert line == ["urllib3>=2.6.3"]
    from importlib.metadata import version

    assert tuple(int(x) for x in version("urllib3").split(".")[:2]) >= (2, 6)


def test_image_downloads_ask_for_identity(tmp_path: Path) -> None:
    data = jpeg((3, 3, 3))
    seen: list[str | None] = []

    def answer(request: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(request.headers.get("Accept-Encoding"))
        reply(request, 200, data, Content_Type="image/jpeg")

    with local_server(answer) as url:
        client = ApiClient(url, "token")
        try:
            ref = ImageRef("v1/images/x", hashlib.sha256(data).hexdigest(), len(data))
            assert ImageCache(tmp_path / "images").fetch(client, ref).read_bytes() == data
        finally:
            client.close()
    assert seen == ["identity"]


# -- what holds: redirects, the token, the environment ---------------------------------------


def test_redirects_are_not_followed_and_the_token_stays_home(
        other_port: tuple[int, list[str]], monkeypatch: Any) -> None:
    port, hits = other_port

    # Proxy and CA variables of the environment are not used (no proxy gets the token, no
    # bundle replaces the configured trust).
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent")
    with local_server(lambda r: reply(r, 302, Location=f"http://127.0.0.1:{port}/stolen")
                      ) as url:
        client = ApiClient(url, "secret-token")
        try:
            with pytest.raises(Transient, match="HTTP 302"):
                client.call("GET", "v1/devices/d/catalog")
            with pytest.raises(Refused, match="refusing to send the device token"):
                client.call("GET", "https://elsewhere.example.org/x")
            assert client.session.verify is True and client.session.trust_env is False
        finally:
            client.close()
    assert hits == []
