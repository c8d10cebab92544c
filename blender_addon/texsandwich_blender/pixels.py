"""Blender image pixels to PNG files and back, without any imaging library but Blender's numpy.

Byte images hold their stored 8-bit values in ``Image.pixels`` (no colour management applied), so
``round(v * 255)`` gives the file's codes back exactly; float images are clipped to 0..1 first.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np


def image_array(image) -> np.ndarray:
    """``[H, W, 4]`` uint8, top row first (Blender stores bottom row first)."""
    w, h = image.size
    if w == 0 or h == 0:
        raise ValueError(f"image {image.name} has no pixels (missing file?)")
    px = np.empty(w * h * image.channels, np.float32)
    image.pixels.foreach_get(px)
    a = px.reshape(h, w, image.channels)
    if image.channels < 4:  # gray or RGB buffers: make RGBA
        rgb = np.repeat(a[..., :1], 3, axis=2) if image.channels < 3 else a[..., :3]
        a = np.concatenate([rgb, np.ones((h, w, 1), np.float32)], axis=2)
    return np.round(np.clip(a[::-1], 0.0, 1.0) * 255.0).astype(np.uint8)


def write_png(path: Path, array: np.ndarray) -> None:
    """An 8-bit RGB/RGBA/gray PNG (top row first) via zlib: enough for handing maps to the CLI."""
    a = np.ascontiguousarray(array)
    if a.ndim == 2:
        a = a[..., None]
    h, w, c = a.shape
    colour = {1: 0, 3: 2, 4: 6}[c]
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    tmp = Path(str(path) + ".part")
    tmp.write_bytes(png)
    tmp.replace(path)


def set_pixels(image, array: np.ndarray) -> None:
    """Fill a Blender image (same size) from ``[H, W, 3|4]`` uint8, top row first."""
    h, w = array.shape[:2]
    rgba = np.ones((h, w, 4), np.float32)
    rgba[..., : array.shape[2]] = array[..., :4] / 255.0
    image.pixels.foreach_set(rgba[::-1].ravel())
