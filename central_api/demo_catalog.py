"""Serve the bundled demo catalog (``assets/demo-catalog``) so the demo shows the same
projects after its first sync as before it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from kiosk.core.catalog import DEMO_CATALOG


def image_url(sha256: str) -> str:
    """Where the server serves an image, relative to the API base."""
    return f"v1/images/{sha256}"


def load(path: Path = DEMO_CATALOG) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The catalog body with image URLs pointing at this server, and the images by sha256."""
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
