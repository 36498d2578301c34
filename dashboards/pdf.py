"""The model card as a PDF: its Markdown laid out with fpdf2 in DejaVu Sans (æ, ø, å, –, ≥).

Only the Markdown that model cards use is understood: headings, bullet lists, tables and
paragraphs; inline marks (``**``, backticks) are dropped rather than shown.
"""

from __future__ import annotations

import re
from pathlib import Path

FONT = "DejaVu"
MONO = "DejaVuMono"
_INLINE = re.compile(r"\*\*|__|`")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+\|?$")  # the |---|---| line under a table header
_HEADING_SIZES = {1: 18, 2: 14, 3: 12}


def font_dir() -> Path:
    """DejaVu fonts bundled with matplotlib: present offline on every install of this project."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def markdown_pdf(markdown: str, title: str | None = None) -> bytes:
    """Lay a Markdown document out as an A4 PDF.

    Args:
        markdown: the document (a model card).
        title: the PDF's title metadata; default the first heading.

    Returns:
        The PDF file's bytes.
    """
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    fonts = font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font(MONO, "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    headings = [line.lstrip("#").strip() for line in markdown.splitlines() if line.startswith("#")]
    pdf.set_title(title or (headings[0] if headings else "Model card"))
    pdf.set_creator("OSCAR HOST test-bench")

    def write(text: str, family: str = FONT, style: str = "", size: int = 10, indent: float = 0):
        pdf.set_font(family, style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, size * 0.55, _INLINE.sub("", text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            write(" ".join(paragraph))
            pdf.ln(2)
            paragraph.clear()

    for raw in markdown.splitlines():
        line = raw.rstrip()
        heading = re.match(r"^(#{1,3})\s+(.*)$", line)
        if heading:
            flush()
            pdf.ln(3)
            write(heading.group(2), style="B", size=_HEADING_SIZES[len(heading.group(1))])
            pdf.ln(1)
        elif re.match(r"^\s*[-*]\s+", line):
            flush()
            write("• " + re.sub(r"^\s*[-*]\s+", "", line), indent=4)
        elif line.startswith("|"):
            flush()
            if not _TABLE_RULE.match(line):
                cells = [c.strip() for c in line.strip("|").split("|")]
                write("  ".join(cells), family=MONO, size=9)
        elif not line.strip():
            flush()
        else:
            paragraph.append(line.strip())
    flush()
    return bytes(pdf.output())
