#!/usr/bin/env python3
"""Build assets/reading-pack-key-instruments.pdf from tools/reading-pack.toml.

Usage: python3 build_reading_pack.py SOURCE.toml OUTPUT.pdf

Needs ReportLab (pip install reportlab) and, for typographic characters, the DejaVu fonts
(Debian: fonts-dejavu-core); without them it falls back to Helvetica. Output is reproducible:
ReportLab's invariant mode removes the creation date and random document id.
"""

import os
import sys
import tomllib

from reportlab import rl_config

rl_config.invariant = 1  # byte-identical output for identical input

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.enums import TA_LEFT  # noqa: E402
from reportlab.lib.pagesizes import A4, landscape  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"]
NAVY = colors.HexColor("#1f3b57")
HEAD_BG = colors.HexColor("#1f3b57")
ZEBRA = colors.HexColor("#eef3f8")
GRID = colors.HexColor("#b7c4d1")


def register_fonts():
    """Register DejaVu Sans if present; return (regular, bold, italic) font names."""
    files = {
        "DejaVuSans": "DejaVuSans.ttf",
        "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf",
        "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf",
    }
    for d in FONT_DIRS:
        if all(os.path.exists(os.path.join(d, f)) for f in files.values()):
            for name, f in files.items():
                pdfmetrics.registerFont(TTFont(name, os.path.join(d, f)))
            pdfmetrics.registerFontFamily(
                "DejaVuSans",
                normal="DejaVuSans",
                bold="DejaVuSans-Bold",
                italic="DejaVuSans-Oblique",
                boldItalic="DejaVuSans-BoldOblique",
            )
            return "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
    print("warning: DejaVu fonts not found, using Helvetica", file=sys.stderr)
    return "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"


def main(src, out):
    with open(src, "rb") as f:
        data = tomllib.load(f)
    regular, bold, italic = register_fonts()

    s_title = ParagraphStyle("title", fontName=bold, fontSize=20, leading=24, textColor=NAVY)
    s_sub = ParagraphStyle("sub", fontName=regular, fontSize=12, leading=15, textColor=NAVY)
    s_pub = ParagraphStyle("pub", fontName=italic, fontSize=9, leading=12, textColor=colors.grey)
    s_body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, alignment=TA_LEFT)
    s_h = ParagraphStyle(
        "h", fontName=bold, fontSize=13, leading=16, textColor=NAVY, spaceBefore=8, spaceAfter=4
    )
    s_note = ParagraphStyle("note", fontName=italic, fontSize=8.5, leading=11, spaceAfter=4)
    s_cell = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10)
    s_cell_b = ParagraphStyle("cellb", parent=s_cell, fontName=bold)
    s_head = ParagraphStyle("head", parent=s_cell, fontName=bold, textColor=colors.white)

    page_w, page_h = landscape(A4)
    margin = 14 * mm
    usable = page_w - 2 * margin

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(margin, 8 * mm, data["subtitle"] + " · " + data["title"])
        canvas.drawRightString(page_w - margin, 8 * mm, "Page %d" % doc.page)
        canvas.restoreState()

    def table(columns, rows, widths, bold_cols=()):
        body = [[Paragraph(c, s_head) for c in columns]]
        for r in rows:
            body.append(
                [Paragraph(str(v), s_cell_b if i in bold_cols else s_cell) for i, v in enumerate(r)]
            )
        t = Table(body, colWidths=[w * usable for w in widths], repeatRows=1)
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        for i in range(1, len(body)):
            if i % 2 == 0:
                style.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
        t.setStyle(TableStyle(style))
        return t

    story = [
        Paragraph(data["title"], s_title),
        Spacer(1, 3),
        Paragraph(data["subtitle"], s_sub),
        Paragraph(data["publisher"], s_pub),
        Spacer(1, 8),
    ]
    for para in data["intro"]:
        story += [Paragraph(para, s_body), Spacer(1, 4)]

    widths = [0.05, 0.25, 0.06, 0.34, 0.30]
    for sec in data["sections"]:
        head = [Paragraph(sec["heading"], s_h)]
        if sec.get("note"):
            head.append(Paragraph(sec["note"], s_note))
        tbl = table(data["columns"], sec["rows"], widths, bold_cols=(0, 1))
        story += [KeepTogether(head + [Spacer(1, 2)]), tbl, Spacer(1, 6)]

    sup = data["supervision"]
    story += [
        Paragraph(sup["heading"], s_h),
        table(sup["columns"], sup["rows"], [0.24, 0.20, 0.32, 0.24], bold_cols=(0,)),
        Spacer(1, 8),
    ]

    glo = data["glossary"]
    story += [
        KeepTogether(
            [
                Paragraph(glo["heading"], s_h),
                table(glo["columns"], glo["rows"], [0.24, 0.76], bold_cols=(0,)),
            ]
        ),
        Spacer(1, 8),
    ]

    items = [ListItem(Paragraph(q, s_body), leftIndent=12) for q in data["checklist"]["items"]]
    story.append(
        KeepTogether(
            [
                Paragraph(data["checklist"]["heading"], s_h),
                ListFlowable(items, bulletType="1", bulletFontName=bold, bulletFontSize=9.5),
            ]
        )
    )

    doc = SimpleDocTemplate(
        out,
        pagesize=(page_w, page_h),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=16 * mm,
        title=data["title"],
        author="Carrel Demo Academy",
        subject=data["subtitle"],
        creator="tools/build_reading_pack.py",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: build_reading_pack.py SOURCE.toml OUTPUT.pdf")
    main(sys.argv[1], sys.argv[2])
