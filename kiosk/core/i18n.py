"""The screen's words in French and English, through gettext catalogs.

Message ids are English; ``kiosk/core/locale/{fr,en}/LC_MESSAGES/kiosk.po`` hold the translations
and the compiled ``.mo`` files are committed beside them
(``python -m kiosk.core.i18n`` rebuilds them
after editing a ``.po``, and the money formats table of ``kiosk.core.money``; a test checks they are
up to date).
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kiosk"
LANGUAGES = ("fr", "en")


@lru_cache(maxsize=len(LANGUAGES))
def translation(language: str) -> gettext.NullTranslations:
    """The catalog of ``language``; an unknown language is an error, not a silent fallback."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported screen language {language!r}: expected one of "
                         f"{', '.join(LANGUAGES)}")
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


def tr(message: str, language: str) -> str:
    return translation(language).gettext(message)


def compiled(po_path: Path) -> bytes:
    """The .mo bytes for one .po file (Babel's compiler)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as f:
        catalog = read_po(f)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def compile_all() -> list[Path]:
    written = []
    for language in LANGUAGES:
        po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo = po.with_suffix(".mo")
        mo.write_bytes(compiled(po))
        written.append(mo)
    return written


if __name__ == "__main__":
    from kiosk.core import money

    for path in [*compile_all(), money.write_formats()]:
        print(f"wrote {path.relative_to(LOCALE_DIR.parent.parent)}")
