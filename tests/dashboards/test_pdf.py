"""The model card as PDF: Danish letters and dashes in an embedded Unicode font."""

from __future__ import annotations

import pytest

from dashboards.pdf import markdown_pdf
from dashboards.screens.model_card import file_stem
from testkit.evidence_factory import EvidenceStore


def test_the_model_card_becomes_a_pdf_with_an_embedded_unicode_font(
    store: EvidenceStore,
) -> None:
    card = store.evidence.validation["model_card"] + "\n\nRegion Sjælland – ≥ 5 personer på ø\n"
    pdf = markdown_pdf(card)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"DejaVuSans" in pdf and b"/FontFile2" in pdf  # TrueType embedded, not a core font
    assert len(pdf) > 5000


def test_text_a_core_pdf_font_cannot_encode_is_written() -> None:
    from fpdf import FPDF
    from fpdf.errors import FPDFUnicodeEncodingException

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    with pytest.raises(FPDFUnicodeEncodingException):
        pdf.multi_cell(0, 5, "≥ 5 – Sjælland")
    assert markdown_pdf("# ≥ 5 – Sjælland").startswith(b"%PDF-")


def test_download_names_are_safe() -> None:
    assert file_stem("home-care after/hip fracture") == "model-card-home-care-after-hip-fracture"
    assert file_stem("///") == "model-card-run"
