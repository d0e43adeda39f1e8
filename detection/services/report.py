"""The printable report of a completed analysis (detection.report renders it), built once and
kept next to the record's other processed objects."""
from __future__ import annotations

import hashlib

from artguard.storage import processed_storage, store_at
from detection import references as references_module, signing
from detection.services.lifecycle import inference_prefix
from detection.tables import InferenceRecord

REPORT_VERSION = "v3"  # a new one whenever the report's content changes: kept copies are rebuilt


def report_pdf(*, record: InferenceRecord, site_url: str = "", prepared_for: str = "") -> bytes:
    """The printable report, built once per verification code and kept next to the other
    processed objects. `site_url` makes its links absolute (paper has no host); `prepared_for`
    names the reader."""
    from detection.report import render_report

    issued, not_signed = None, ""
    try:
        issued = signing.verification_issue(record)
    except signing.NotSignable as error:
        not_signed = str(error)
    prefix = inference_prefix(user_id=record.user_id, inference_id=record.inference_id)
    # Kept under its code's hash: once the owner withdraws a code, its copy is never handed out again.
    tag = hashlib.sha256(issued.code.encode()).hexdigest()[:12] if issued else "unsigned"
    path = f"{prefix}/report-{REPORT_VERSION}-{tag}.pdf"
    storage = processed_storage()
    # A report that shows training patches is never kept: hiding them, or deleting their
    # training images, must reach the next download too.
    keep = not references_module.references_for(record, check_files=False).thumbnails_allowed
    if keep and storage.exists(path):
        with storage.open(path, "rb") as handle:
            return handle.read()
    with storage.open(record.display_path, "rb") as handle:
        display = handle.read()
    with storage.open(record.heatmap_path, "rb") as handle:
        heatmap = handle.read()
    pdf = render_report(record=record, display_jpeg=display, heatmap_image=heatmap, site_url=site_url, prepared_for=prepared_for,
                        issued=issued, not_signed=not_signed)
    if issued:
        signing.report_issued(code=issued.code, pdf=pdf)  # before anyone can hold it: /verify/ knows this exact file
    if keep:
        store_at(storage, path, pdf)
    elif storage.exists(path):
        storage.delete(path)  # kept while thumbnails were hidden; now stale
    return pdf
