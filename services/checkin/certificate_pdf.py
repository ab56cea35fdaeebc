"""The certificate of service as a PDF (fpdf2 with an embedded, subsetted CJK font)."""
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from services.errors import DomainError

DEFAULT_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
DEFAULT_FONT_INDEX = 2  # in the Noto CJK collection: JP, KR, SC, TC, HK


def font_path() -> tuple[Path, int]:
    """The CJK font file (CHECKIN_PDF_FONT) and its index in a collection (CHECKIN_PDF_FONT_INDEX)."""
    config = current_app.config if has_app_context() else {}
    return Path(config.get("CHECKIN_PDF_FONT", DEFAULT_FONT)), int(config.get("CHECKIN_PDF_FONT_INDEX",
                                                                              DEFAULT_FONT_INDEX))


def pdf_available() -> bool:
    """Whether the server can make the PDF (the CJK font is installed: Debian's fonts-noto-cjk)."""
    return font_path()[0].is_file()


def render_certificate(cert, *, title: str) -> bytes:
    """The certificate on one A4 page (more when the records run long)."""
    from fpdf import FPDF

    path, index = font_path()
    if not path.is_file():
        raise DomainError("pdf_unavailable", _l("The PDF cannot be made on this server (no Chinese font installed). "
                                                "Use the printable page instead."), status=503)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(title)
    pdf.set_author("ServiceCircle")
    pdf.add_font("cjk", "", str(path), collection_font_number=index) if path.suffix.lower() == ".ttc" \
        else pdf.add_font("cjk", "", str(path))
    pdf.add_page()
    pdf.set_draw_color(179, 18, 29)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.set_draw_color(190, 190, 196)
    pdf.set_line_width(0.2)
    pdf.set_font("cjk", size=24)
    pdf.set_text_color(179, 18, 29)
    pdf.ln(14)
    pdf.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(20, 20, 20)
    pdf.set_font("cjk", size=13)
    pdf.ln(6)
    hours = f"{cert.hours:g}"
    body = str(_l("This certifies that %(name)s (%(branch)s) served %(hours)s hours as a volunteer at Party-mass "
                  "service stations between %(start)s and %(end)s.",
                  name=cert.member.name, branch=cert.branch.name if cert.branch else "",
                  hours=hours, start=format_date(cert.start, "long"), end=format_date(cert.end, "long")))
    pdf.set_x(22)
    pdf.multi_cell(166, 9, body)
    pdf.ln(4)
    pdf.set_font("cjk", size=10)
    pdf.set_fill_color(244, 244, 246)
    widths = (34, 96, 36)
    pdf.set_x(22)
    for width, label in zip(widths, (_l("Date"), _l("Station"), _l("Service hours"))):
        pdf.cell(width, 8, str(label), border=1, fill=True)
    pdf.ln()
    for row in cert.records:
        pdf.set_x(22)
        pdf.cell(widths[0], 7, row.checkin.service_day.isoformat(), border=1)
        pdf.cell(widths[1], 7, row.station_name[:30], border=1)
        pdf.cell(widths[2], 7, f"{row.checkin.credited_minutes / 60:g}", border=1, align="R")
        pdf.ln()
    if not cert.records:
        pdf.set_x(22)
        pdf.cell(sum(widths), 8, str(_l("No service recorded in this period.")), border=1)
        pdf.ln()
    pdf.ln(10)
    pdf.set_font("cjk", size=12)
    pdf.set_x(22)
    pdf.cell(166, 8, str(_l("Issued on %(date)s by ServiceCircle", date=format_date(cert.issued, "long"))),
             align="R")
    return bytes(pdf.output())
