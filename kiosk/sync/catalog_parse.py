"""Checking a catalog body from the central API before anything of it is used.

A catalog that fails here is refused whole, with a reason naming the project and field, and
the previous catalog stays live.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from kiosk.core.catalog import Ask, Pledge, ShopTotal, Sponsor

MAX_PROJECTS = 500
# The sum of a catalog's image sizes (distinct images): 500 images of 8 MiB would be 4 GiB on
# the data disk that donations are recorded on.
MAX_CATALOG_IMAGE_BYTES = 256 * 2**20
# Cents fit SQLite's 64-bit integers with room to add; nothing local is this large.
MAX_CENTS = 2**53 - 1
MAX_SHOP_NAME = 200  # the central service's Shop.name
MAX_ASKS = 20  # per project: a kiosk shows the soonest one

log = logging.getLogger("kiosk.sync.catalog")
T = TypeVar("T")


class CatalogRefused(Exception):
    """The catalog (or one of its images) is not acceptable; the message says why."""


@dataclass(frozen=True)
class ImageRef:
    url: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class ProjectEntry:
    id: str
    association: str
    title: str
    summary: str
    image: ImageRef | None
    goal_cents: int
    raised_cents: int
    currency: str
    url: str | None
    starts_on: str | None
    ends_on: str | None
    active: bool
    supporters: int | None = None
    asks: tuple[Ask, ...] = ()
    sponsor: Sponsor | None = None
    pledge: Pledge | None = None


@dataclass(frozen=True)
class CatalogDoc:
    version: str
    projects: list[ProjectEntry]
    shop_total: ShopTotal | None = None


def _is_utf8(v: str) -> bool:
    # JSON can carry lone surrogates ("\ud800"), which SQLite cannot store.
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(p: dict[str, Any], key: str, where: str, max_len: int, nullable: bool = False) -> Any:
    v = p.get(key)
    if v is None and nullable:
        return None
    if not isinstance(v, str) or not v.strip() or len(v) > max_len or not _is_utf8(v):
        raise CatalogRefused(f"{where}.{key}: expected text of 1 to {max_len} characters")
    return v


def _cents(p: dict[str, Any], key: str, where: str) -> int:
    v = p.get(key)
    if type(v) is not int or not 0 <= v <= MAX_CENTS:
        raise CatalogRefused(f"{where}.{key}: expected a whole number of cents from 0 to "
                             f"{MAX_CENTS}")
    return v


def _supporters(p: dict[str, Any]) -> int | None:
    """Optional and read leniently: a central service that does not count supporters (or
    counts them oddly) must not cost the kiosk its catalog."""
    v = p.get("supporters")
    return v if type(v) is int and 0 <= v < 2**31 else None


class _BadAsk(ValueError):
    pass


def _ask_text(a: dict[str, Any], key: str, max_len: int) -> str:
    v = a.get(key)
    if not isinstance(v, str) or not v.strip() or len(v) > max_len or not _is_utf8(v):
        raise _BadAsk(f"{key}: expected text of 1 to {max_len} characters")
    return v


def _ask_count(a: dict[str, Any], key: str, low: int, high: int) -> int:
    v = a.get(key)
    if type(v) is not int or not low <= v <= high:
        raise _BadAsk(f"{key}: expected a whole number from {low} to {high}")
    return v


def _qr_url(a: dict[str, Any]) -> str:
    """An ask's or a pledge's page: absolute, since a phone opens it from a QR code."""
    url = _ask_text(a, "url", 2048)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for a bad one
    except ValueError:
        raise _BadAsk("url: not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _BadAsk("url: expected an absolute https URL (it becomes a QR code)")
    return url


def _ask(a: Any) -> Ask:
    if not isinstance(a, dict):
        raise _BadAsk("expected an object")
    starts_at = _ask_text(a, "starts_at", 64)
    try:
        if dt.datetime.fromisoformat(starts_at).tzinfo is None:
            raise ValueError
    except ValueError:
        raise _BadAsk("starts_at: expected a date and time with its offset") from None
    url = _qr_url(a)
    needed = _ask_count(a, "needed", 1, 100_000)
    return Ask(id=_ask_text(a, "id", 64), what=_ask_text(a, "what", 200),
                    starts_at=starts_at, place=_ask_text(a, "place", 200),
                    duration_minutes=_ask_count(a, "duration_minutes", 1, 60 * 24 * 31),
                    needed=needed, signed_up=_ask_count(a, "signed_up", 0, 100_000), url=url)


def _asks(p: dict[str, Any], where: str) -> tuple[Ask, ...]:
    """Optional and read leniently: a malformed ask is dropped with its reason logged, and the
    catalog (the projects people give to) goes live without it."""
    raw = p.get("asks")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        log.warning("%s.asks dropped: expected a list", where)
        return ()
    asks: list[Ask] = []
    for n, a in enumerate(raw[:MAX_ASKS]):
        try:
            ask = _ask(a)
        except _BadAsk as e:
            log.warning("%s.asks[%d] dropped: %s", where, n, e)
            continue
        if any(other.id == ask.id for other in asks):
            log.warning("%s.asks[%d] dropped: the id %r appears twice", where, n, ask.id)
            continue
        asks.append(ask)
    if len(raw) > MAX_ASKS:
        log.warning("%s.asks: %d asks, the first %d kept", where, len(raw), MAX_ASKS)
    return tuple(asks)


def _lenient(raw: Any, where: str, read: Callable[[dict[str, Any]], T]) -> T | None:
    """An optional object read leniently, like asks: absent is None; malformed is dropped with
    its reason logged (None), and what carries it (a project, the catalog) goes live without
    it."""
    if raw is None:
        return None
    try:
        if not isinstance(raw, dict):
            raise _BadAsk("expected an object")
        return read(raw)
    except _BadAsk as e:
        log.warning("%s dropped: %s", where, e)
        return None


def _pledge_fields(raw: dict[str, Any]) -> Pledge:
    deadline = _ask_text(raw, "deadline", 10)
    try:
        dt.date.fromisoformat(deadline)
    except ValueError:
        raise _BadAsk("deadline: expected a date YYYY-MM-DD") from None
    reached = raw.get("reached")
    if not isinstance(reached, bool):
        raise _BadAsk("reached: expected true or false")
    return Pledge(id=_ask_text(raw, "id", 64), commitment=_ask_text(raw, "commitment", 200),
                  threshold=_ask_count(raw, "threshold", 1, 10_000_000),
                  count=_ask_count(raw, "count", 0, 10_000_000), deadline=deadline,
                  reached=reached, url=_qr_url(raw))


def _sponsor_fields(raw: dict[str, Any]) -> Sponsor:
    # Dropped when malformed: the kiosk then simply does not say the gift is doubled.
    budget = _ask_count(raw, "budget_cents", 1, MAX_CENTS)
    left = _ask_count(raw, "budget_left_cents", 1, budget)
    ends_on = _ask_text(raw, "ends_on", 10)
    try:
        dt.date.fromisoformat(ends_on)
    except ValueError:
        raise _BadAsk("ends_on: expected a date YYYY-MM-DD") from None
    return Sponsor(name=_ask_text(raw, "name", 120), text=_ask_text(raw, "text", 200),
                   budget_cents=budget, budget_left_cents=left, ends_on=ends_on)


def _shop_total_fields(raw: dict[str, Any]) -> ShopTotal:
    month = _ask_text(raw, "month", 7)
    if re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month) is None:
        raise _BadAsk("month: expected YYYY-MM")
    currency = raw.get("currency")
    if not isinstance(currency, str) or re.fullmatch(r"[A-Z]{3}", currency) is None:
        raise _BadAsk("currency: expected a 3-letter ISO 4217 code")
    return ShopTotal(month, _ask_count(raw, "raised_cents", 0, MAX_CENTS), currency,
                     _shop_name(raw))


def _shop_name(raw: dict[str, Any]) -> str | None:
    """Optional and lenient within the total: a malformed name is dropped (logged), the total
    kept with the generic words."""
    if raw.get("shop_name") is None:
        return None
    try:
        # One line on the slide: no newline or run of spaces from the shop's record.
        return " ".join(_ask_text(raw, "shop_name", MAX_SHOP_NAME).split())
    except _BadAsk as e:
        log.warning("catalog.shop_total.shop_name dropped: %s", e)
        return None


def _date(p: dict[str, Any], key: str, where: str) -> str | None:
    v = p.get(key)
    if v is None:
        return None
    try:
        if not isinstance(v, str):
            raise ValueError
        dt.date.fromisoformat(v)
    except ValueError:
        raise CatalogRefused(f"{where}.{key}: expected a date YYYY-MM-DD or null") from None
    return v


def _image(p: dict[str, Any], where: str, max_bytes: int) -> ImageRef | None:
    img = p.get("image")
    if img is None:
        return None
    if not isinstance(img, dict):
        raise CatalogRefused(f"{where}.image: expected an object with url, sha256, bytes")
    url = _text(img, "url", f"{where}.image", 2048)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for a bad one
    except ValueError as e:
        raise CatalogRefused(f"{where}.image.url: not a URL ({e})") from None
    if parts.scheme not in ("", "http", "https"):
        raise CatalogRefused(f"{where}.image.url: expected an https URL or a path, "
                             f"not {parts.scheme}:")
    sha = img.get("sha256")
    if not isinstance(sha, str) or re.fullmatch(r"[0-9a-f]{64}", sha) is None:
        raise CatalogRefused(f"{where}.image.sha256: expected 64 lowercase hex digits")
    size = img.get("bytes")
    if type(size) is not int or not 0 < size <= max_bytes:
        raise CatalogRefused(f"{where}.image.bytes: expected a size from 1 to {max_bytes}")
    return ImageRef(url, sha, size)


def parse_catalog(doc: Any, max_image_bytes: int,
                  max_total_bytes: int = MAX_CATALOG_IMAGE_BYTES) -> CatalogDoc:
    """The catalog body, fully checked, or :class:`CatalogRefused`."""
    if not isinstance(doc, dict):
        raise CatalogRefused("catalog: expected a JSON object")
    version = doc.get("version")
    if type(version) is int and abs(version) < 10**18:  # str() of a huge int raises
        version = str(version)
    if not isinstance(version, str) or not version or len(version) > 128 \
            or not _is_utf8(version):
        raise CatalogRefused("catalog.version: expected text of 1 to 128 characters")
    raw = doc.get("projects")
    if not isinstance(raw, list) or len(raw) > MAX_PROJECTS:
        raise CatalogRefused(f"catalog.projects: expected a list of at most {MAX_PROJECTS}")
    projects: list[ProjectEntry] = []
    seen: set[str] = set()
    for n, p in enumerate(raw):
        where = f"projects[{n}]"
        if not isinstance(p, dict):
            raise CatalogRefused(f"{where}: expected an object")
        pid = _text(p, "id", where, 128)
        where = f"project {pid!r}"
        if pid in seen:
            raise CatalogRefused(f"{where}: the id appears twice")
        seen.add(pid)
        currency = p.get("currency")
        if not isinstance(currency, str) or re.fullmatch(r"[A-Z]{3}", currency) is None:
            raise CatalogRefused(f"{where}.currency: expected a 3-letter ISO 4217 code")
        active = p.get("active")
        if not isinstance(active, bool):
            raise CatalogRefused(f"{where}.active: expected true or false")
        projects.append(ProjectEntry(
            id=pid, association=_text(p, "association", where, 200),
            title=_text(p, "title", where, 200), summary=_text(p, "summary", where, 2000),
            image=_image(p, where, max_image_bytes),
            goal_cents=_cents(p, "goal_cents", where),
            raised_cents=_cents(p, "raised_cents", where), currency=currency,
            url=_text(p, "url", where, 2048, nullable=True),
            starts_on=_date(p, "starts_on", where), ends_on=_date(p, "ends_on", where),
            active=active, supporters=_supporters(p), asks=_asks(p, where),
            sponsor=_lenient(p.get("sponsor"), f"{where}.sponsor", _sponsor_fields),
            pledge=_lenient(p.get("pledge"), f"{where}.pledge", _pledge_fields)))
    sizes = {p.image.sha256: p.image.bytes for p in projects if p.image}
    if sum(sizes.values()) > max_total_bytes:
        raise CatalogRefused(f"catalog: its images total {sum(sizes.values())} bytes, more than "
                             f"the {max_total_bytes} a kiosk keeps")
    return CatalogDoc(version, projects,
                      _lenient(doc.get("shop_total"), "catalog.shop_total", _shop_total_fields))
