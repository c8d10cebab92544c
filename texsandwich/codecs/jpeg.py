"""JPEG through Pillow / libjpeg-turbo.

Raw mode codes planes without colour conversion and with one *flat* quantisation table (step Δ for
every coefficient and plane), the quantiser the proxy imitates:

* 4:0:0 -- a grayscale ('L') JPEG;
* 4:4:4 -- an RGB JPEG with Adobe transform 0 (``keep_rgb``): the three planes are stored as R, G, B;
* 4:2:0 -- a YCbCr JPEG fed the planes as Y, Cb, Cr directly (Pillow passes mode ``YCbCr`` through
  without conversion; ``keep_rgb`` refuses subsampling). The two half-resolution planes are decoded
  at their own resolution through libjpeg's DCT scaling (``draft`` at half size decodes chroma with
  the full 8x8 IDCT and no upsampling), so decode returns exactly the coded samples.

Custom tables are passed *without* ``quality=``: Pillow >= 11.3 flattens tables at quality=100.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from texsandwich.codecs.base import Codec, CodecSettings, own_plane, upsample_nearest
from texsandwich.errors import CodecError, UsageError

_BUFFER_LOCK = threading.Lock()


@contextmanager
def _output_buffer(height: int, width: int, planes: int):
    """Give libjpeg an output buffer that holds the whole file.

    With optimised Huffman tables libjpeg must emit the file in one go, and Pillow sizes that buffer
    at 1-2 bytes per pixel, which a fine flat step on a textured 3-plane image exceeds ("Suspension
    not allowed here"). Pillow takes the larger of its guess and ``ImageFile.MAXBLOCK``, so raise that
    for the duration of one save (4 bytes per sample bounds any baseline JPEG).
    """
    with _BUFFER_LOCK:
        saved = ImageFile.MAXBLOCK
        ImageFile.MAXBLOCK = max(saved, 4 * height * width * planes + (1 << 16))
        try:
            yield
        finally:
            ImageFile.MAXBLOCK = saved


def quality_to_step(quality: int) -> int:
    """Flat step for a 0-100 quality in raw mode.

    The IJG quality scaling applied to 16, the DC step of the standard luminance table, so that
    ``--quality`` means roughly the same for raw bottlenecks as for ordinary JPEGs (50 -> 16,
    75 -> 8, 90 -> 3, 100 -> 1).
    """
    q = min(max(quality, 1), 100)
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return int(min(max((16 * scale + 50) // 100, 1), 255))


class JpegCodec(Codec):
    name = "jpeg"
    extension = "jpg"
    bit_depths = (8,)
    chroma_upsampling = "bilinear"  # libjpeg "fancy" upsampling is the half-pixel triangle filter

    def step_for(self, settings: CodecSettings) -> int:
        return settings.step if settings.step is not None else quality_to_step(int(settings.quality))

    def encode(self, planes: Sequence[np.ndarray], settings: CodecSettings) -> bytes:
        h, w = self.check(planes, settings)
        with _output_buffer(h, w, len(planes)):
            return self._encode(planes, settings, h, w)

    def _encode(self, planes: Sequence[np.ndarray], settings: CodecSettings, h: int, w: int) -> bytes:
        buf = io.BytesIO()
        if settings.mode == "native":
            if settings.step is not None:
                raise UsageError("a flat step is a raw-mode setting; native JPEG takes a quality")
            quality = max(int(settings.quality), 1)
            if settings.chroma == "400":
                Image.fromarray(planes[0], "L").save(buf, "JPEG", quality=quality, optimize=True)
            else:
                rgb = Image.fromarray(np.stack(planes, axis=-1), "RGB")
                sub = 0 if settings.chroma == "444" else 2
                rgb.save(buf, "JPEG", quality=quality, subsampling=sub, optimize=True)
            return buf.getvalue()

        table = [self.step_for(settings)] * 64
        if settings.chroma == "400":
            Image.fromarray(planes[0], "L").save(buf, "JPEG", qtables=[table], optimize=True)
        elif settings.chroma == "444":
            im = Image.fromarray(np.stack(planes, axis=-1), "RGB")
            im.save(buf, "JPEG", qtables=[table, table], subsampling=0, keep_rgb=True, optimize=True)
        else:
            full = [planes[0]] + [upsample_nearest(p, (h, w)) for p in planes[1:]]
            im = Image.frombytes("YCbCr", (w, h), np.ascontiguousarray(np.stack(full, axis=-1)).tobytes())
            im.save(buf, "JPEG", qtables=[table, table], subsampling=2, optimize=True)
        return buf.getvalue()

    def decode(self, data: bytes, settings: CodecSettings) -> list[np.ndarray]:
        try:
            im = Image.open(io.BytesIO(data))
            if im.format != "JPEG":
                raise CodecError(f"expected a JPEG stream, found {im.format}")
            if settings.chroma == "400":
                return [own_plane(np.asarray(im.convert("L")))]
            if settings.mode == "native" or settings.chroma == "444":
                rgb = np.asarray(im.convert("RGB"))
                return [own_plane(rgb[..., c]) for c in range(3)]
            w, h = im.size
            im.draft("YCbCr", None)
            full = np.asarray(im)
            half_im = Image.open(io.BytesIO(data))
            half_im.draft("YCbCr", ((w + 1) // 2, (h + 1) // 2))
            half = np.asarray(half_im)
        except (OSError, UnidentifiedImageError, ValueError) as e:
            raise CodecError(f"cannot decode JPEG stream: {e}") from None
        if half.shape[:2] != ((h + 1) // 2, (w + 1) // 2):
            raise CodecError("JPEG stream is not a 4:2:0 image")
        return [own_plane(full[..., 0])] + [own_plane(half[..., c]) for c in (1, 2)]
