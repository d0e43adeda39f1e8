"""The PDF report's explanation (in sections) and reference passages, kept apart from the
report's layout (detection.report) so each can change alone."""
from __future__ import annotations

import io

from detection import references as references_module
from detection.explain import section_list

THUMB_MM = 18
KEEP_WITH_NEXT_MM = 20  # a heading starts a new page unless this much of its text fits under it


def heading(pdf, text: str, *, size: int, height: float) -> None:
    """A heading never left alone at the foot of a page."""
    if pdf.will_page_break(height + KEEP_WITH_NEXT_MM):
        pdf.add_page()
    pdf.set_font(pdf.family, "B", size)
    pdf.cell(0, height, pdf.text_safe(text), new_x="LMARGIN", new_y="NEXT")


def explanation_block(pdf, record) -> None:
    heading(pdf, "Explanation", size=12, height=7)
    sections = section_list(record.explanation_sections)
    if not sections:  # a detection made before sections existed
        pdf.set_font(pdf.family, "", 10)
        pdf.multi_cell(0, 5, pdf.text_safe(record.explanation or ""), new_x="LMARGIN", new_y="NEXT")
        return
    for section in sections:
        heading(pdf, section["title"], size=10, height=6)
        pdf.set_font(pdf.family, "", 10)
        pdf.multi_cell(0, 5, pdf.text_safe(section["text"]), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _thumb_or_label(pdf, x: float, y: float, image: bytes | None, label: str) -> None:
    if image:
        pdf.image(io.BytesIO(image), x=x, y=y, w=THUMB_MM, h=THUMB_MM)
        return
    pdf.set_fill_color(235, 235, 235)
    pdf.rect(x, y, THUMB_MM, THUMB_MM, style="F")
    pdf.set_xy(x, y + 5)
    pdf.set_font(pdf.family, "", 6)
    pdf.multi_cell(THUMB_MM, 3, pdf.text_safe(label), align="C")


def references_block(pdf, record) -> None:
    """Each cited region beside its closest training passages: thumbnails when staff allow them
    and the training image still exists, otherwise the label in a grey box."""
    shown = references_module.references_for(record, check_files=False)
    heading(pdf, "Reference passages", size=12, height=7)
    pdf.set_font(pdf.family, "", 9)
    if not shown.regions:
        pdf.multi_cell(0, 5, pdf.text_safe(shown.note), new_x="LMARGIN", new_y="NEXT")
        return
    pdf.multi_cell(0, 4.5, pdf.text_safe(
        "For each cited region (left), the most similar patches of the model's training works: known forgeries, then "
        "authentic works, with their cosine similarity (1 = identical to the model). Comparisons for an expert, not proof."
        + (f" {shown.note}" if shown.note else "")), new_x="LMARGIN", new_y="NEXT")
    regions = references_module.region_thumbnails(record)
    for region in shown.regions:
        if pdf.h - pdf.b_margin - pdf.get_y() < THUMB_MM + 16:
            pdf.add_page()
        top = pdf.get_y() + 1
        x = pdf.l_margin
        _thumb_or_label(pdf, x, top, regions.get(region.label), region.label)
        pdf.set_xy(x, top + THUMB_MM)
        pdf.set_font(pdf.family, "B", 7)
        pdf.cell(THUMB_MM, 4, pdf.text_safe(f"{region.label}" + (f" · {round(region.p * 100)}%" if region.p is not None else "")))
        x += THUMB_MM + 5
        for _, _, refs in region.sides:
            for ref in refs:
                image = references_module.reference_thumbnail(record, label=region.label, side=ref.side, number=ref.number) if ref.thumbnail else None
                label = ref.label_text if image or not shown.thumbnails_allowed else f"{ref.label_text} ({references_module.DELETED_NOTE})"
                _thumb_or_label(pdf, x, top, image, label)
                pdf.set_xy(x, top + THUMB_MM)
                pdf.set_font(pdf.family, "", 6)
                pdf.cell(THUMB_MM, 4, pdf.text_safe(f"{'forged' if ref.label == 'forged' else 'authentic'} {ref.similarity:.2f}"))
                x += THUMB_MM + 1.5
            x += 3
        pdf.set_xy(pdf.l_margin, top + THUMB_MM + 4)
        if region.sentence:
            pdf.set_font(pdf.family, "", 8)
            pdf.multi_cell(0, 4, pdf.text_safe(region.sentence), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def knowledge_block(pdf, record) -> None:
    """The passages of staff documents the explanation cites, with their sources."""
    from detection.knowledge import knowledge_for

    shown = knowledge_for(record)
    if not shown.passages:
        return
    heading(pdf, "Documents about the artist", size=12, height=7)
    pdf.set_font(pdf.family, "", 9)
    pdf.multi_cell(0, 4.5, pdf.text_safe("Passages the explanation cites: context about the artist from documents ArtGuard's staff "
                                         "added, not evidence about this photograph."), new_x="LMARGIN", new_y="NEXT")
    for passage in shown.passages:
        pdf.set_font(pdf.family, "B", 9)
        pdf.multi_cell(0, 5, pdf.text_safe(f"[{passage.key}] {passage.source}" + (f" ({passage.note})" if passage.note else "")),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(pdf.family, "", 8)
        details = " · ".join(part for part in (passage.citation, passage.licence) if part)
        pdf.multi_cell(0, 4, pdf.text_safe(f"“{passage.text}”" + (f"\n{details}" if details else "")), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
