"""The tax receipt as a PDF: a « reçu au titre des dons à certains organismes d'intérêt
général » carrying the mentions of the Cerfa 11580 model (articles 200 and 978 du CGI;
this kiosk only takes gifts from individuals, so article 200).

reportlab draws it: mature, maintained, pure Python with its C accelerators optional, and it
embeds a TrueType font, so any name a donor types (accents, ligatures, other scripts covered
by DejaVu) prints as typed."""

from __future__ import annotations

import io
from dataclasses import dataclass

from kiosk.assets import FONTS_DIR
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@dataclass(frozen=True)
class ReceiptText:
    number: str
    association: str
    association_address: str
    association_purpose: str
    association_registration: str
    association_kind: str
    signatory: str
    donor_name: str
    donor_address: str
    amount: str  # in figures, formatted in French
    amount_words: str
    gift_date: str
    issued_on: str
    # An annual receipt lists each gift: (date, amount), both formatted in French.
    gifts: tuple[tuple[str, str], ...] = ()


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))


class _Page:
    """A top-down writer: one call per line or paragraph, wrapping at the margin."""

    def __init__(self, canvas: Canvas) -> None:
        self.c, self.y, self.left = canvas, A4[1] - 20 * mm, 20 * mm
        self.width = A4[0] - 40 * mm

    def text(self, value: str, size: float = 10, bold: bool = False, gap: float = 1.5) -> None:
        font = BOLD if bold else FONT
        for paragraph in value.splitlines() or [""]:
            line = ""
            for word in paragraph.split(" "):
                trial = f"{line} {word}".strip()
                if line and pdfmetrics.stringWidth(trial, font, size) > self.width:
                    self._line(line, font, size)
                    line = word
                else:
                    line = trial
            self._line(line, font, size)
        self.y -= gap * mm

    def _line(self, line: str, font: str, size: float) -> None:
        self.c.setFont(font, size)
        self.c.drawString(self.left, self.y, line)
        self.y -= size * 1.35

    def heading(self, value: str) -> None:
        self.y -= 2 * mm
        self.c.setFillGray(0.92)
        self.c.rect(self.left - 2 * mm, self.y - 2 * mm, self.width + 4 * mm, 6.5 * mm,
                    stroke=0, fill=1)
        self.c.setFillGray(0)
        self.text(value, 11, bold=True, gap=2)


def render(r: ReceiptText) -> bytes:
    _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Reçu au titre des dons n° {r.number}")
    canvas.setAuthor(r.association)
    p = _Page(canvas)
    p.text("Reçu au titre des dons à certains organismes d'intérêt général", 15, bold=True)
    p.text("Article 200 du code général des impôts (modèle Cerfa n° 11580)", 9)
    p.text(f"Numéro d'ordre du reçu : {r.number}", 11, bold=True, gap=3)
    p.heading("Bénéficiaire des versements")
    p.text(f"Nom ou dénomination : {r.association}")
    if r.association_registration:
        p.text(f"N° SIREN ou RNA : {r.association_registration}")
    p.text(f"Adresse : {r.association_address}")
    p.text(f"Objet : {r.association_purpose}")
    p.text(r.association_kind)
    p.heading("Donateur")
    p.text(f"Nom : {r.donor_name}")
    p.text(f"Adresse : {r.donor_address}")
    p.heading("Versement")
    p.text("Le bénéficiaire reconnaît avoir reçu au titre des dons et versements ouvrant droit "
           "à réduction d'impôt, la somme de :")
    p.text(f"*** {r.amount} ***", 13, bold=True)
    p.text(f"Somme en toutes lettres : {r.amount_words}")
    p.text(f"Date du versement ou du don : {r.gift_date}")
    if r.gifts:
        p.text(f"Reçu annuel : {len(r.gifts)} dons, dont le détail suit.")
        for day, amount in r.gifts:
            p.text(f"    {day} : {amount}", gap=0)
        p.text("")
    p.text("Forme du don : déclaration de don manuel")
    p.text("Nature du don : numéraire")
    p.text("Mode de versement : carte bancaire")
    p.heading("Certification")
    p.text("Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit "
           "ouvrent droit à la réduction d'impôt prévue à l'article 200 du CGI.")
    p.text(f"Fait le {r.issued_on}, pour {r.association} : {r.signatory}")
    canvas.showPage()
    canvas.save()
    return out.getvalue()
