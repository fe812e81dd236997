"""The demo catalog the kiosk bundles (assets/demo-catalog), for ``central
demo-network`` and the tests: the same projects before and after a kiosk's first sync; and
the demo's two associations, which share its projects."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from kiosk.assets import DEMO_CATALOG_DIR

from central.catalog.images import image_url

DEMO_CATALOG = DEMO_CATALOG_DIR / "catalog.json"

# Each demo association: the username of its own back-office login, its name, and what a tax
# receipt names of it (made up, in the demo's Lyon).
DEMO_ASSOCIATIONS = [
    ("nord", "Réseau solidaire Nord", {
        "address": "4 rue des Capucins, 69001 Lyon",
        "purpose": "Soutenir les initiatives solidaires des quartiers nord de Lyon",
        "registration": "W691000001", "signatory": "Claire Morel, trésorière"}),
    ("sud", "Réseau solidaire Sud", {
        "address": "18 quai Rambaud, 69002 Lyon",
        "purpose": "Soutenir les initiatives solidaires des quartiers sud de Lyon",
        "registration": "W691000002", "signatory": "Karim Benali, président"}),
]


def load(path: Path = DEMO_CATALOG) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The catalog body with image URLs pointing at this service, and the images by sha256."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    images: dict[str, bytes] = {}
    projects = []
    for project in doc["projects"]:
        project = dict(project)
        data = (path.parent / project["image"]["url"]).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if sha != project["image"]["sha256"]:
            raise ValueError(f"{path}: image of {project['id']} does not match its sha256")
        images[sha] = data
        project["image"] = {"url": image_url(sha), "sha256": sha, "bytes": len(data)}
        projects.append(project)
    return {"version": doc["version"], "projects": projects}, images
