"""The offline catalog: ETag, images into the content-addressed cache, the switch in one
transaction, refusals that keep the previous catalog, and cleanup of unused images."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from central.catalog import demo as demo_catalog
from kiosk.core import catalog as screen_catalog
from kiosk.sync import catalog_pull
from tests.sync.conftest import Kiosk, make_kiosk
from tests.sync.helpers import DEVICE_ID, CatalogOverride


def jpeg(color: tuple[int, int, int], size: tuple[int, int] = (64, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def project(pid: str, data: bytes, **over: Any) -> dict[str, Any]:
    sha = hashlib.sha256(data).hexdigest()
    return {"id": pid, "association": f"Association {pid}", "title": f"Projet {pid}",
            "summary": "Un projet du quartier.", "goal_cents": 10000, "raised_cents": 2500,
            "currency": "EUR", "url": None, "starts_on": None, "ends_on": None, "active": True,
            "image": {"url": demo_catalog.image_url(sha), "sha256": sha, "bytes": len(data)},
            **over}


def publish(central: Any, version: str, projects: list[tuple[dict[str, Any], bytes]]) -> None:
    # (``version`` names the step in the test only: the service serves a hash of the projects.)
    central.store.set_catalog({"version": version, "projects": [p for p, _ in projects]},
                              {p["image"]["sha256"]: data for p, data in projects if p["image"]})


def live(kiosk: Kiosk) -> screen_catalog.Catalog:
    return screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)


def pull(kiosk: Kiosk) -> catalog_pull.PullResult:
    client = kiosk.client()
    try:
        return catalog_pull.pull(kiosk.ledger, client, DEVICE_ID, kiosk.cfg.images_dir, 1 << 20)
    finally:
        client.close()


def cached_files(kiosk: Kiosk) -> set[str]:
    return {p.name for p in kiosk.cfg.images_dir.iterdir()}


def test_never_synced_shows_the_demo_catalog_and_the_server_serves_the_same(
        kiosk: Kiosk) -> None:
    before = live(kiosk)
    assert before.source == "demo" and len(before.projects) >= 6
    assert all(p.image_path and p.image_path.exists() for p in before.projects)
    kiosk.central.store.set_catalog(*demo_catalog.load())
    assert pull(kiosk).outcome == "updated"
    after = live(kiosk)
    assert after.source == "server"
    assert after.version == kiosk.served_catalog()["version"]
    # The same projects; the service lists a shop's unfeatured projects by title.
    assert [p.title for p in after.projects] == sorted(p.title for p in before.projects)
    demo = {p.id: p for p in before.projects}
    assert sorted(demo) == sorted(p.id for p in after.projects)
    for synced in after.projects:
        assert synced.title == demo[synced.id].title
        assert synced.image_path.read_bytes() == demo[synced.id].image_path.read_bytes()


def test_demo_catalog_is_french_fictional_and_consistent() -> None:
    doc = json.loads(screen_catalog.DEMO_CATALOG.read_text(encoding="utf-8"))
    from kiosk.sync.catalog_parse import parse_catalog

    parsed = parse_catalog(doc, 8 << 20)
    assert len(parsed.projects) >= 6
    for p in parsed.projects:
        data = (screen_catalog.DEMO_CATALOG.parent / p.image.url).read_bytes()
        assert hashlib.sha256(data).hexdigest() == p.image.sha256 and len(data) == p.image.bytes
        with Image.open(io.BytesIO(data)) as im:
            assert im.size == (1280, 800)
    assert any("é" in p.summary or "à" in p.summary for p in parsed.projects)


def test_etag_gives_304_and_nothing_changes(kiosk: Kiosk) -> None:
    a = jpeg((200, 30, 30))
    publish(kiosk.central, "v1", [(project("a", a), a)])
    assert pull(kiosk).outcome == "updated"
    second = pull(kiosk)
    statuses = [e["status"] for e in kiosk.central.server.exchanges if e["route"] == "catalog"]
    assert statuses == [200, 304]
    images = [e for e in kiosk.central.server.exchanges if e["route"] == "image"]
    assert len(images) == 1  # a cached image is never fetched again
    assert second == catalog_pull.PullResult("not_modified", kiosk.served_catalog()["version"])


def bad_catalogs() -> list[tuple[str, Any, dict[str, bytes], str]]:
    good = jpeg((10, 120, 10))
    sha = hashlib.sha256(good).hexdigest()
    not_image = b"this is not an image at all" * 10
    ni_sha = hashlib.sha256(not_image).hexdigest()
    big = jpeg((1, 2, 3), (300, 300))
    big_sha = hashlib.sha256(big).hexdigest()
    return [
        ("missing field", {"version": "bad", "projects": [
            {k: v for k, v in project("p", good).items() if k != "title"}]},
         {sha: good}, "title"),
        ("wrong hash", {"version": "bad", "projects": [project("p", good, image={
            "url": demo_catalog.image_url(sha), "sha256": "0" * 64, "bytes": len(good)})]},
         {sha: good}, "does not match its sha256"),
        ("image does not decode", {"version": "bad", "projects": [project("p", not_image)]},
         {ni_sha: not_image}, "does not decode"),
        ("image larger than declared", {"version": "bad", "projects": [project("p", big, image={
            "url": demo_catalog.image_url(big_sha), "sha256": big_sha, "bytes": 100})]},
         {big_sha: big}, "larger than"),
        ("not an object", ["a", "list"], {}, "expected a JSON object"),
        ("duplicate ids", {"version": "bad", "projects": [project("p", good),
                                                          project("p", good)]},
         {sha: good}, "appears twice"),
    ]


@pytest.mark.parametrize(("name", "doc", "images", "reason"), bad_catalogs(),
                         ids=[c[0] for c in bad_catalogs()])
def test_bad_catalog_is_refused_and_the_previous_one_stays(
        tmp_path: Path, central: Any, caplog: Any, name: str, doc: Any,
        images: dict[str, bytes], reason: str) -> None:
    # The service cannot publish such catalogs: a proxy in front of it answers them.
    proxy = CatalogOverride(central.url)
    try:
        kiosk = make_kiosk(tmp_path, central, base_url=proxy.url)
        a = jpeg((200, 200, 30))
        publish(central, "good-1", [(project("a", a), a)])
        assert pull(kiosk).outcome == "updated"
        good = kiosk.served_catalog()["version"]
        proxy.catalog, proxy.images = doc, images
        result = pull(kiosk)
    finally:
        proxy.stop()
    assert result.outcome == "refused" and reason in result.reason
    assert "catalog refused" in caplog.text and reason in caplog.text
    still = live(kiosk)
    assert still.version == good and [p.id for p in still.projects] == ["a"]
    assert still.projects[0].image_path.read_bytes() == a
    # No file in the cache is named by a hash its content does not have.
    for f in kiosk.cfg.images_dir.iterdir():
        assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name


def test_corrupted_image_in_transit_is_refused(kiosk: Kiosk) -> None:
    a = jpeg((5, 5, 250))
    publish(kiosk.central, "v1", [(project("a", a), a)])
    kiosk.central.faults.add("corrupt_body", route="image")
    assert "does not match its sha256" in pull(kiosk).reason
    assert live(kiosk).source == "demo"
    assert pull(kiosk).outcome == "updated"


def test_unused_images_are_removed_one_switch_later(kiosk: Kiosk) -> None:
    a, b, c = jpeg((255, 0, 0)), jpeg((0, 255, 0)), jpeg((0, 0, 255))
    sha = {k: hashlib.sha256(v).hexdigest() for k, v in {"a": a, "b": b, "c": c}.items()}
    publish(kiosk.central, "v1", [(project("a", a), a), (project("b", b), b)])
    pull(kiosk)
    publish(kiosk.central, "v2", [(project("c", c), c)])
    pull(kiosk)
    # The screen may still show v1's images: they stay until the next switch.
    assert cached_files(kiosk) == {sha["a"], sha["b"], sha["c"]}
    publish(kiosk.central, "v3", [(project("c", c), c), (project("b2", b), b)])
    pull(kiosk)
    assert cached_files(kiosk) == {sha["b"], sha["c"]}
    # The service lists unfeatured projects by title: "Projet b2" before "Projet c".
    assert [p.id for p in live(kiosk).projects] == ["b2", "c"]


def test_catalog_switch_is_one_transaction(kiosk: Kiosk) -> None:
    """A failure inside the switch rolls back to the previous catalog whole."""
    from kiosk.sync.catalog_parse import parse_catalog

    a = jpeg((9, 9, 9))
    publish(kiosk.central, "v1", [(project("a", a), a)])
    pull(kiosk)
    v1 = kiosk.served_catalog()["version"]
    broken = parse_catalog({"version": "v2", "projects": [project("x", a), project("y", a)]},
                           1 << 20)
    # A CHECK constraint fails on the second row (negative cents cannot come from the parser).
    object.__setattr__(broken.projects[1], "goal_cents", -1)
    with pytest.raises(Exception, match="CHECK"):
        catalog_pull.switch(kiosk.ledger, broken, '"etag"', set())
    assert live(kiosk).version == v1 and [p.id for p in live(kiosk).projects] == ["a"]


def test_disk_full_while_storing_an_image_keeps_the_old_catalog(kiosk: Kiosk,
                                                                monkeypatch: Any) -> None:
    """A full disk cannot be made here without mounting a filesystem, so the image cache's
    fsync is made to fail with ENOSPC (the one mock in these tests); the HTTP is real."""
    import errno
    import os

    from kiosk.sync import image_cache

    a, b = jpeg((1, 100, 1)), jpeg((100, 1, 1))
    publish(kiosk.central, "v1", [(project("a", a), a)])
    service = kiosk.service()
    service.cycle(force=True)
    v1 = kiosk.served_catalog()["version"]
    publish(kiosk.central, "v2", [(project("b", b), b)])

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(image_cache.os, "fsync", full)
    service.cycle(force=True)
    status = service.status()
    assert "local storage problem" in status["last_error"]
    assert "No space left on device" in status["last_error"]
    assert live(kiosk).version == v1
    assert not [p for p in kiosk.cfg.images_dir.iterdir() if p.name.startswith(".part-")]
    monkeypatch.undo()
    service.next_network_at = 0
    service.cycle(force=True)
    assert live(kiosk).version == kiosk.served_catalog()["version"] != v1
    assert [p.id for p in live(kiosk).projects] == ["b"] and service.status()["last_error"] is None


def test_supporters_is_optional_and_read_leniently(tmp_path: Path, central: Any) -> None:
    # The service does not send supporters yet: a proxy in front of it answers the catalog.
    proxy = CatalogOverride(central.url)
    try:
        kiosk = make_kiosk(tmp_path, central, base_url=proxy.url)
        a, b, c, d = (jpeg((30 * i, 90, 90)) for i in range(1, 5))
        projects = [(project("a", a, supporters=47), a), (project("b", b), b),
                    (project("c", c, supporters="47"), c), (project("d", d, supporters=-1), d)]
        proxy.catalog = {"version": "v1", "projects": [p for p, _ in projects]}
        proxy.images = {p["image"]["sha256"]: data for p, data in projects}
        assert pull(kiosk).outcome == "updated"  # an odd count never costs the catalog
    finally:
        proxy.stop()
    assert [p.supporters for p in live(kiosk).projects] == [47, None, None, None]
