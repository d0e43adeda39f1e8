"""Files an upload must refuse, each with the words the person who sent it reads: shared by the
service and API tests of detection."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from tests.images import image_bytes


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height but carries almost no data: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def animated_png() -> bytes:
    frames = [Image.new("RGB", (80, 80), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def solid(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


# case: (file bytes, file name, the refusal's words)
BAD_INPUTS = {
    "not-an-image": (b"hello, I am a text file", "notes.jpg", "The file is not an image ArtGuard can read (JPEG, PNG, WebP, TIFF or HEIC)."),
    "empty": (b"", "empty.jpg", "The file is empty."),
    "truncated": (image_bytes(400, 300)[:2000], "cut.jpg", "The image is damaged or truncated"),
    "one-pixel": (image_bytes(1, 1, fmt="PNG"), "dot.png", "The image is 1×1 pixels; at least 224 px on each side is needed"),
    "under-a-patch": (image_bytes(300, 200, fmt="PNG"), "small.png", "The image is 300×200 pixels; at least 224 px on each side is needed: the model reads"),
    "solid-black": (solid((0, 0, 0)), "black.jpg", "The image shows too little texture to analyse (0% of it has visible detail"),
    "solid-grey": (solid((128, 128, 128)), "grey.jpg", "The image shows too little texture to analyse (0% of it has visible detail"),
    "solid-white": (solid((255, 255, 255)), "white.jpg", "The image shows too little texture to analyse (0% of it has visible detail"),
    "bomb": (png_header_only(30000, 30000), "bomb.png", "megapixels; this one has 900. Upload a smaller export of the photograph."),
    "animated": (animated_png(), "anim.png", "Animated or multi-page images are not accepted; upload a single still photograph."),
    "gif": (image_bytes(100, 100, fmt="GIF"), "x.gif", "GIF images are not accepted; use JPEG, PNG, WebP, TIFF or HEIC."),
}
