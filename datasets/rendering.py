"""Server-side pictures for the staff pages: a processed image with its patch boxes drawn on."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw

from artguard.storage import processed_storage
from datasets.tables import ImageRecord, PatchRecord

OVERLAY_MAX_SIDE = 1024
DETAIL_COLOUR = (255, 196, 0)  # full-resolution (scale 1) patches
CONTEXT_COLOUR = (0, 190, 255)  # patches of the downscaled context grid


def patch_overlay_png(*, record: ImageRecord, patches: list[PatchRecord]) -> bytes:
    """The processed image (long side at most OVERLAY_MAX_SIDE) with each patch's box and number."""
    with processed_storage().open(record.processed_path, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read())).convert("RGB")
    factor = min(1.0, OVERLAY_MAX_SIDE / max(image.size))
    if factor < 1.0:
        image = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(image)
    for patch in patches:
        colour = DETAIL_COLOUR if (patch.patch_scale or 1.0) >= 1.0 else CONTEXT_COLOUR
        box = [patch.patch_x * factor, patch.patch_y * factor, (patch.patch_x + patch.patch_width) * factor - 1, (patch.patch_y + patch.patch_height) * factor - 1]
        draw.rectangle(box, outline=colour, width=2)
        label = patch.patch_id.rsplit("-", 1)[-1]
        draw.rectangle([box[0] + 2, box[1] + 2, box[0] + 6 + 7 * len(label), box[1] + 15], fill=(0, 0, 0))
        draw.text((box[0] + 4, box[1] + 3), label, fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
