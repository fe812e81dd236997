"""Draw the demo catalog's illustrations and write catalog.json (run from the repository root:
``python assets/demo-catalog/generate.py``). Everything here is made by the project: simple
scenes drawn with Pillow, fictional associations, no downloaded media. The output is committed;
re-running it gives the same bytes."""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
# Learn-more pages: the central service serves each project at /p/<id> (the attract
# screen shows this URL as a QR code).
LEARN_MORE = "https://dons.example.org/p"
W, H = 1280, 800
Draw = ImageDraw.ImageDraw


def sky(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    for y in range(H):
        t = y / H
        d.line([(0, y), (W, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom,
                                                                                strict=True)))
    return img


def sun(d: Draw, x: int, y: int, r: int, color: str = "#ffd75e") -> None:
    d.ellipse([x - r, y - r, x + r, y + r], fill=color)


def hills(d: Draw, rng: random.Random, base: int, color: str, amp: int = 60) -> None:
    pts = [(0, H)]
    phase = rng.random() * 6
    for x in range(0, W + 40, 40):
        pts.append((x, base + int(amp * math.sin(x / 180 + phase))))
    pts.append((W, H))
    d.polygon(pts, fill=color)


def garden(d: Draw, rng: random.Random) -> None:
    sun(d, 1080, 150, 80)
    hills(d, rng, 430, "#7fb069")
    d.rectangle([0, 520, W, H], fill="#8a5a3b")
    for row in range(4):
        y = 560 + row * 60
        for x in range(60, W, 90):
            d.ellipse([x, y - 30, x + 50, y + 10], fill=rng.choice(["#3f8f3a", "#57a639"]))
            if rng.random() < 0.4:
                d.ellipse([x + 15, y - 20, x + 35, y], fill=rng.choice(["#e4572e", "#f3a712"]))
    for x in (180, 420, 900):
        d.rectangle([x, 330, x + 12, 520], fill="#6b4226")
        d.ellipse([x - 50, 250, x + 62, 360], fill="#2e7d32")


def repair(d: Draw, rng: random.Random) -> None:
    d.rectangle([0, 560, W, H], fill="#b5835a")
    d.rectangle([100, 500, 1180, 560], fill="#8d5b34")
    for cx, cy, r in ((330, 300, 110), (560, 380, 70), (900, 300, 130)):
        teeth = 12
        for k in range(teeth):
            a = 2 * math.pi * k / teeth
            d.rectangle([cx + (r + 10) * math.cos(a) - 16, cy + (r + 10) * math.sin(a) - 16,
                         cx + (r + 10) * math.cos(a) + 16, cy + (r + 10) * math.sin(a) + 16],
                        fill="#5c6b73")
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill="#7d8e96")
        d.ellipse([cx - r // 3, cy - r // 3, cx + r // 3, cy + r // 3], fill="#f4e9d8")
    d.rectangle([640, 470, 900, 500], fill="#c0392b")
    d.rectangle([880, 440, 960, 500], fill="#34495e")


def books(d: Draw, rng: random.Random) -> None:
    for shelf in (260, 500, 740):
        d.rectangle([80, shelf, 1200, shelf + 24], fill="#6d4c41")
        x = 100
        while x < 1170:
            w, h = rng.randint(28, 60), rng.randint(140, 200)
            d.rectangle([x, shelf - h, x + w, shelf], fill=rng.choice(
                ["#e63946", "#457b9d", "#f1c453", "#2a9d8f", "#f4a261", "#8e7dbe"]))
            d.line([(x + 6, shelf - h + 20), (x + w - 6, shelf - h + 20)], fill="#fdfdfd", width=4)
            x += w + rng.randint(2, 8)


def music(d: Draw, rng: random.Random) -> None:
    sun(d, 200, 160, 70, "#fff3b0")
    for line in range(5):
        y = 280 + line * 36
        d.line([(0, y + int(30 * math.sin(line))), (W, y - 40)], fill="#ffffff", width=5)
    for _ in range(9):
        x, y = rng.randint(120, 1150), rng.randint(250, 420)
        d.ellipse([x, y, x + 54, y + 40], fill="#1d3557")
        d.rectangle([x + 46, y - 120, x + 54, y + 20], fill="#1d3557")
    d.rectangle([0, 620, W, H], fill="#e9c46a")
    for x in range(80, W, 160):
        d.polygon([(x, 620), (x + 60, 520), (x + 120, 620)], fill="#e76f51")


def cats(d: Draw, rng: random.Random) -> None:
    sun(d, 1100, 130, 60, "#fffbe6")
    d.rectangle([0, 600, W, H], fill="#9c6644")
    for x in range(150, 1200, 260):
        color = rng.choice(["#f4a261", "#495057", "#e9ecef", "#d4a373"])
        d.ellipse([x - 90, 420, x + 90, 610], fill=color)
        d.ellipse([x - 60, 300, x + 60, 420], fill=color)
        d.polygon([(x - 55, 330), (x - 40, 260), (x - 15, 310)], fill=color)
        d.polygon([(x + 55, 330), (x + 40, 260), (x + 15, 310)], fill=color)
        for ex in (-25, 25):
            d.ellipse([x + ex - 9, 345, x + ex + 9, 365], fill="#2b9348")
        d.arc([x + 60, 470, x + 170, 600], 200, 340, fill=color, width=18)


def grocery(d: Draw, rng: random.Random) -> None:
    d.rectangle([0, 520, W, H], fill="#dda15e")
    for bx in (160, 560, 960):
        d.rectangle([bx - 120, 420, bx + 120, 600], fill="#bc6c25")
        d.arc([bx - 100, 300, bx + 100, 520], 180, 360, fill="#6b4226", width=14)
        for _ in range(9):
            fx, fy = bx + rng.randint(-100, 80), rng.randint(360, 430)
            d.ellipse([fx, fy, fx + 44, fy + 44], fill=rng.choice(
                ["#e63946", "#f4a261", "#90be6d", "#f9c74f"]))


def bikes(d: Draw, rng: random.Random) -> None:
    sun(d, 1000, 170, 90)
    hills(d, rng, 470, "#a7c957", amp=40)
    d.rectangle([0, 610, W, H], fill="#6c757d")
    for k in range(0, W, 120):
        d.rectangle([k, 700, k + 60, 710], fill="#f8f9fa")
    for bx, color in ((260, "#d62828"), (760, "#003049")):
        for wx in (bx, bx + 260):
            d.ellipse([wx - 90, 430, wx + 90, 610], outline="#212529", width=14)
        d.line([(bx, 520), (bx + 110, 400), (bx + 260, 520), (bx + 130, 520), (bx, 520)],
               fill=color, width=14)
        d.line([(bx + 110, 400), (bx + 130, 520)], fill=color, width=14)
        d.line([(bx + 230, 380), (bx + 260, 520)], fill=color, width=12)


def river(d: Draw, rng: random.Random) -> None:
    sun(d, 300, 140, 70)
    hills(d, rng, 380, "#6a994e")
    d.rectangle([0, 470, W, H], fill="#3a86ff")
    for _ in range(40):
        x, y = rng.randint(0, W), rng.randint(490, 780)
        d.arc([x, y, x + 80, y + 24], 200, 340, fill="#caf0f8", width=4)
    for x in (860, 980, 1100):
        d.ellipse([x, 420, x + 60, 500], fill="#ffb703")
        d.rectangle([x + 20, 500, x + 40, 560], fill="#fb8500")


PROJECTS: list[dict] = [
    dict(id="jardin-capucins", association="Les Mains Vertes du quartier des Capucins",
         title="Un jardin partagé pour tout le quartier",
         summary="Des bacs potagers, un composteur et des ateliers le samedi matin pour que "
                 "voisins, écoles et aînés cultivent ensemble au pied des immeubles.",
         goal_cents=450000, raised_cents=182500, draw=garden, colors=("#8ecae6", "#f1faee")),
    dict(id="repair-cafe-port", association="Repair Café du Vieux-Port",
         title="Réparer plutôt que jeter",
         summary="Chaque mois, des bénévoles réparent grille-pain, vélos et vêtements avec vous. "
                 "Votre don achète les outils et les pièces de l'atelier.",
         goal_cents=120000, raised_cents=87000, draw=repair, colors=("#fefae0", "#e9edc9")),
    dict(id="boites-a-livres", association="Lire dans la rue",
         title="Des boîtes à livres dans chaque square",
         summary="Six nouvelles boîtes à livres fabriquées par le lycée professionnel, "
                 "installées dans les squares et entretenues par les habitants.",
         goal_cents=90000, raised_cents=23000, draw=books, colors=("#f8edeb", "#fcd5ce")),
    dict(id="fanfare-ecoles", association="Fanfare des écoles de la Croix-Rousse",
         title="Un instrument pour chaque enfant",
         summary="Prêter trompettes, tambours et clarinettes aux élèves de CM1 et CM2 pour "
                 "qu'ils jouent à la fête du quartier en juin.",
         goal_cents=300000, raised_cents=141000, draw=music, colors=("#a8dadc", "#457b9d")),
    dict(id="refuge-chats", association="Les Chats du Clos",
         title="Soigner les chats libres du quartier",
         summary="Stérilisation, vaccins et abris pour l'hiver : l'association veille sur les "
                 "chats des cours et des jardins depuis dix ans.",
         goal_cents=200000, raised_cents=154000, draw=cats, colors=("#ffe5ec", "#ffc2d1")),
    dict(id="epicerie-passerelle", association="Épicerie solidaire La Passerelle",
         title="Des produits frais pour l'épicerie solidaire",
         summary="Acheter fruits et légumes aux maraîchers voisins pour les familles qui font "
                 "leurs courses à petit prix à La Passerelle.",
         goal_cents=500000, raised_cents=96000, draw=grocery, colors=("#fefae0", "#faedcd")),
    dict(id="velo-ecole", association="Vélo pour tous",
         title="Apprendre le vélo à tout âge",
         summary="Des cours gratuits pour adultes qui n'ont jamais appris, et des vélos "
                 "remis en état prêtés pendant trois mois.",
         goal_cents=150000, raised_cents=61000, draw=bikes, colors=("#bde0fe", "#e0fbfc")),
    dict(id="berges-propres", association="Les Amis de la Saône",
         title="Nettoyer les berges au printemps",
         summary="Gants, sacs et bennes pour la grande journée de nettoyage des berges, "
                 "avec les écoles et les clubs d'aviron.",
         goal_cents=60000, raised_cents=58000, draw=river, colors=("#caf0f8", "#90e0ef")),
]


def render(draw: Callable[[Draw, random.Random], None], colors: tuple[str, str],
           seed: int) -> bytes:
    top, bottom = (tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in colors)
    img = sky(top, bottom)  # type: ignore[arg-type]
    draw(ImageDraw.Draw(img), random.Random(seed))
    img = img.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def main() -> None:
    projects = []
    for n, spec in enumerate(PROJECTS):
        spec = dict(spec)
        data = render(spec.pop("draw"), spec.pop("colors"), seed=n)
        name = f"images/{spec['id']}.jpg"
        (HERE / name).write_bytes(data)
        projects.append({**spec, "image": {"url": name, "sha256": hashlib.sha256(data).hexdigest(),
                                           "bytes": len(data)},
                         "currency": "EUR", "url": f"{LEARN_MORE}/{spec['id']}",
                         "starts_on": "2026-01-01",
                         "ends_on": None, "active": True})
    doc = {"version": "demo-2026.11", "projects": projects}
    (HERE / "catalog.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")


if __name__ == "__main__":
    main()
