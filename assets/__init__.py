"""The kiosk's bundled files (fonts, the chime, the demo catalog), installed as ``kiosk.assets``.

They live at the repository's top level; setup.py maps this folder to the ``kiosk.assets``
package so a release wheel carries them and the code finds them the same way in both cases.
"""

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent
FONTS_DIR = ASSETS_DIR / "fonts"
SOUNDS_DIR = ASSETS_DIR / "sounds"
DEMO_CATALOG_DIR = ASSETS_DIR / "demo-catalog"
