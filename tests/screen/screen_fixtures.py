"""Test material for the screen: a small catalog with photos drawn here, a real ledger, and a
scripted payment port.

The screen tests pay through the real bridge and the terminal simulator
(tests/helpers/real_bridge.py).
``ScriptedPort`` speaks the outcome shapes of docs/internal-apis.md section 3 and stands in
only where the real bridge cannot give a case on cue: a cancel tapped while the bridge is still
connecting (it is cancellable only while it opens the device), a faulty bridge's answers
(tests/payment/test_payment_runner.py), and the owner screens' donations
(tests/owner/owner_ui_driver.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from kiosk.core.catalog import Project
from kiosk.core.ledger import Ledger, Limits
from kiosk.payment.client import BridgeOutcome, BridgeStatus

PALETTE = [(42, 157, 143), (233, 196, 106), (244, 162, 97), (231, 111, 81), (38, 70, 83),
           (131, 56, 236)]
TITLES = [
    ("Les Jardins Partagés du Canal", "Un potager pour le quartier",
     "Des bacs de culture et des ateliers pour les écoles du quartier."),
    ("Association Lire Ensemble", "Une bibliothèque de rue",
     "Des livres en libre accès et des lectures pour les enfants chaque mercredi."),
    ("Vélos Solidaires", "Réparer 200 vélos",
     "Un atelier d’autoréparation ouvert à tous, deux soirs par semaine."),
    ("Les Amis du Lavoir", "Restaurer le vieux lavoir",
     "Rendre au quartier son lavoir du XIXᵉ siècle et y accueillir des concerts."),
    ("Épicerie Solidaire Sainte-Anne", "Des paniers pour l’hiver",
     "Des produits frais à prix doux pour les familles qui en ont besoin."),
    ("Chorale des Quatre Saisons", "Un piano pour la chorale",
     "Un piano d’occasion pour répéter et chanter avec les aînés de la résidence."),
]


def draw_photo(path: Path, colour: tuple[int, int, int], size: tuple[int, int],
               seed: int) -> Path:
    w, h = size
    im = Image.new("RGB", size, colour)
    d = ImageDraw.Draw(im)
    for i in range(8):
        r = (seed * 37 + i * 53) % (h // 3) + h // 10
        x, y = (seed * 97 + i * 211) % w, (seed * 61 + i * 149) % h
        shade = tuple(min(255, c + 25 * (i % 4)) for c in colour)
        d.ellipse((x - r, y - r, x + r, y + r), fill=shade)
    d.rectangle((0, int(h * 0.75), w, h), fill=tuple(max(0, c - 50) for c in colour))
    im.save(path, "JPEG", quality=85)
    return path


def make_projects(directory: Path, count: int = 6,
                  photo_size: tuple[int, int] = (960, 640)) -> list[Project]:
    directory.mkdir(parents=True, exist_ok=True)
    projects = []
    for i in range(count):
        association, title, summary = TITLES[i % len(TITLES)]
        photo = directory / f"p{i}-{photo_size[0]}x{photo_size[1]}.jpg"
        if not photo.exists():  # drawn once, reused by later runs (benchmarks)
            draw_photo(photo, PALETTE[i % len(PALETTE)], photo_size, i)
        projects.append(Project(
            id=f"proj-{i + 1}", association=association, title=title, summary=summary,
            image_path=photo, goal_cents=300000 + 50000 * i, raised_cents=124000 + 33300 * i,
            currency="EUR", url=f"https://example.org/projets/{i + 1}", starts_on=None,
            ends_on=None, active=True))
    return projects


def open_ledger(path: Path, offline_cap_cents: int = 300000) -> Ledger:
    return Ledger.open(path, Limits(max_donation_cents=15000,
                                    offline_cap_cents=offline_cap_cents,
                                    min_free_disk_bytes=0))


class FakeClock:
    """A clock that stands still until a test moves ``now``."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedPort:
    """Answers ``pay`` with a scripted outcome after the documented progress stages.

    Like the real bridge on Concert V2, a payment can be cancelled only while ``connecting``
    (before the request reaches the terminal). ``connect_wait_s``: time spent connecting;
    ``card_wait_s``: time in ``waiting_card``; ``outcome``: a bridge status (approved,
    declined, cancelled, timeout, link_error, unknown).
    """

    def __init__(self, outcome: str = "approved", card_wait_s: float = 0.3,
                 connected: bool = True, record: Path | None = None,
                 connect_wait_s: float = 0.0):
        self.outcome, self.card_wait_s, self.connected = outcome, card_wait_s, connected
        self.connect_wait_s = connect_wait_s
        self.record = record
        self.pay_calls: list[dict[str, Any]] = []
        self.cancel_calls: list[str] = []
        self._cancelled = threading.Event()
        self.first_request_at: float | None = None

    def pay(self, reference: str, amount_cents: int, currency: str,
            on_progress: Callable[[str, bool], None]) -> BridgeOutcome:
        self.first_request_at = time.perf_counter()
        self.pay_calls.append({"reference": reference, "amount_cents": amount_cents,
                               "currency": currency})
        self._cancelled.clear()
        on_progress("connecting", True)
        if self._cancelled.wait(self.connect_wait_s):
            status = "cancelled"
        else:
            on_progress("sending", False)
            on_progress("waiting_card", False)
            time.sleep(self.card_wait_s)
            on_progress("receiving", False)
            status = self.outcome
        answer = BridgeOutcome(
            status, reference, amount_cents, currency,
            auth_code="A1B2C3" if status == "approved" else None,
            card_suffix="4242" if status == "approved" else None,
            reason=None if status in ("approved", "cancelled") else f"scripted {status}")
        if self.record is not None:
            with self.record.open("a") as f:
                f.write(json.dumps({"event": "outcome", **answer.as_dict()}) + "\n")
        return answer

    def cancel(self, reference: str) -> bool:
        self.cancel_calls.append(reference)
        self._cancelled.set()
        return True

    def result(self, reference: str) -> BridgeOutcome:
        return BridgeOutcome("not_found", reference)

    def status(self) -> BridgeStatus:
        return BridgeStatus(self.connected, False, "concert-v2", "scripted", None,
                            None if self.connected else "terminal unplugged")
