"""The reference passages of a result: for each cited region (S1-S3, L1-L3), the closest patches
of the model's training works, authentic and forged (training.ml.reference_index), as the
result page, the PDF and the API show them.

The record keeps what was found when the image was analysed (InferenceRecord.references). Two
things are decided when the result is shown, not stored, so they apply to every past result at
once: whether staff allow this model's training patches to be shown as thumbnails
(training.serving.reference_thumbnails_allowed), and whether the training image still exists
(a deleted training dataset takes its patches with it; the reference then shows its label only).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image

from artguard.storage import processed_storage
from datasets.imaging import encode_jpeg
from detection.local_writer import PROXY_SUBLABEL
from detection.reading import as_dict

FOUND, NO_INDEX, UNAVAILABLE = "found", "no_index", "unavailable"
SIDES = (("forged", "Known forgeries"), ("authentic", "Authentic works"))
THUMBNAIL_SIDE = 112

NOTES = {
    NO_INDEX: "This model was trained before ArtGuard kept reference passages, so this result has none to show.",
    UNAVAILABLE: "The reference passages could not be looked up for this result.",
    None: "This analysis predates reference passages, so it has none to show.",
}
HIDDEN_NOTE = ("The training images of this model are confidential: its reference passages are shown by label "
               "and similarity only, without thumbnails.")
DELETED_NOTE = "training image deleted"


def status_note(status: str | None) -> str:
    """Why a result has no reference passages ("" when it has them)."""
    return "" if status == FOUND else NOTES.get(status, NOTES[None])


@dataclass
class Reference:
    side: str
    number: int  # 1-based, most similar first
    label: str
    sublabel: str | None
    similarity: float
    patch_path: str
    thumbnail: bool = False  # may be shown, and the training patch still exists
    deleted: bool = False  # allowed, but the training image is gone

    @property
    def label_text(self) -> str:
        from detection.local_writer import reference_kind

        return reference_kind({"label": self.label, "sublabel": self.sublabel})


@dataclass
class Region:
    label: str
    p: float | None
    box: list[int] | None
    sides: list[tuple[str, str, list[Reference]]]  # (side, title, references)
    sentence: str = ""

    def references(self) -> list[Reference]:
        return [ref for _, _, refs in self.sides for ref in refs]


@dataclass
class References:
    status: str | None
    note: str  # why there are none, or that thumbnails are hidden; "" otherwise
    thumbnails_allowed: bool
    regions: list[Region] = field(default_factory=list)


def _thumbnails_allowed(run_id: str | None) -> bool:
    from training.serving import reference_thumbnails_allowed

    return reference_thumbnails_allowed(run_id=run_id)


def _region_order(label: str) -> tuple:
    return (0 if label.startswith("S") else 1, label)


def references_for(record, *, check_files: bool = True) -> References:
    """The record's reference passages as shown to its owner. `check_files` looks up each allowed
    thumbnail's training patch (one existence check each, at most 36)."""
    from detection.local_writer import reference_sentence

    stored = as_dict(record.references)
    status = stored.get("status")
    if status != FOUND:
        return References(status=status, note=status_note(status), thumbnails_allowed=False)
    allowed = _thumbnails_allowed(stored.get("run_id"))
    storage = processed_storage() if allowed and check_files else None
    regions = []
    for label in sorted(as_dict(stored.get("regions")), key=_region_order):
        found = as_dict(as_dict(stored["regions"])[label])
        sides = []
        for side, title in SIDES:
            refs = []
            for number, ref in enumerate(found.get(side) or [], start=1):
                ref = as_dict(ref)
                exists = bool(storage.exists(ref["patch_path"])) if storage is not None else allowed
                refs.append(Reference(side=side, number=number, label=ref["label"], sublabel=ref.get("sublabel"),
                                      similarity=float(ref["similarity"]), patch_path=ref["patch_path"],
                                      thumbnail=allowed and exists, deleted=allowed and not exists))
            if any(ref.sublabel == PROXY_SUBLABEL for ref in refs):
                title = "Known forgeries and other artists' works"
            sides.append((side, title, refs))
        plain = {side: [{"label": r.label, "sublabel": r.sublabel, "similarity": r.similarity} for r in refs] for side, _, refs in sides}
        regions.append(Region(label=label, p=found.get("p"), box=found.get("box"), sides=sides, sentence=reference_sentence(label, plain, found.get("p"))))
    return References(status=status, note="" if allowed else HIDDEN_NOTE, thumbnails_allowed=allowed, regions=regions)


def _jpeg_thumbnail(image: Image.Image) -> bytes:
    image = image.convert("RGB")
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return encode_jpeg(image, quality=85)


def _stored_reference(record, label: str, side: str, number: int) -> dict | None:
    stored = as_dict(record.references)
    if stored.get("status") != FOUND:
        return None
    refs = as_dict(as_dict(stored.get("regions")).get(label)).get(side) or []
    if not 1 <= number <= len(refs):
        return None
    return {**as_dict(refs[number - 1]), "run_id": stored.get("run_id")}


def reference_thumbnail(record, *, label: str, side: str, number: int) -> bytes | None:
    """A small JPEG of reference `number` of region `label` on `side`; None when there is no such
    reference, staff keep the model's training images confidential, or the image was deleted."""
    ref = _stored_reference(record, label, side, number)
    if ref is None or not _thumbnails_allowed(ref["run_id"]):
        return None
    try:
        with processed_storage().open(ref["patch_path"], "rb") as handle:
            return _jpeg_thumbnail(Image.open(io.BytesIO(handle.read())))
    except FileNotFoundError:
        return None


def region_thumbnail_jpeg(crop: Image.Image) -> bytes:
    """A cited region's thumbnail, made once when the image is analysed (detection.services)."""
    return _jpeg_thumbnail(crop)


def region_thumbnails(record, labels: set[str] | None = None) -> dict[str, bytes]:
    """{label: JPEG} thumbnails of the cited regions (`labels`, default all) from the analysed
    image (the user's own photograph). Analyses store each region's thumbnail when they are made
    (`crop_path`); older ones stored the whole processed image, which is cropped instead."""
    regions = {label: as_dict(region) for label, region in as_dict(as_dict(record.references).get("regions")).items()
               if labels is None or label in labels}
    storage = processed_storage()
    found = {}
    for label, region in regions.items():
        if region.get("crop_path"):
            try:
                with storage.open(region["crop_path"], "rb") as handle:
                    found[label] = handle.read()
            except FileNotFoundError:
                pass
    boxes = {label: region["box"] for label, region in regions.items() if region.get("box") and not region.get("crop_path")}
    if not boxes or not record.processed_path:
        return found
    try:
        with storage.open(record.processed_path, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read())).convert("RGB")
    except FileNotFoundError:
        return found
    for label, box in boxes.items():
        x, y, w, h = (int(v) for v in box)
        found[label] = _jpeg_thumbnail(image.crop((x, y, x + w, y + h)))
    return found
