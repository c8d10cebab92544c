"""HEIC through pillow-heif (libheif with the x265 encoder and the libde265 decoder).

Raw mode uses the identity colour matrix (``matrix_coefficients=0``), under which HEVC stores
G as its luma plane and B, R as its two chroma planes. Plane 0 always goes to G, so the bottleneck's
first plane is coded as HEVC luma and planes 1, 2 as Cb, Cr (B, R) -- x265 spends bits differently on
luma and chroma, and with plane 0 on G a YCbCr bottleneck codes exactly like native HEIC. In 4:2:0,
planes 1 and 2 are half resolution, replicated 2x2 so that the encoder's subsampling returns them
exactly; libheif upsamples chroma by replication when it decodes, so every other sample gives the
decoded half-resolution planes back exactly.

10-bit planes travel in pillow-heif's 16-bit modes, shifted left by 6 (libheif writes the top 10
bits) and shifted back on decode.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pillow_heif

from texsandwich.codecs.base import HEIC_TUNINGS, Codec, CodecSettings, own_plane, upsample_nearest
from texsandwich.errors import CodecError, UsageError

_SHIFT10 = 6


class HeicCodec(Codec):
    name = "heic"
    extension = "heic"
    bit_depths = (8, 10)
    chroma_upsampling = "nearest"
    chroma_qp_offsets = True
    tunable = True

    def encode(self, planes: Sequence[np.ndarray], settings: CodecSettings) -> bytes:
        return self._encode(planes, settings, lossless=False)

    def encode_lossless(self, planes: Sequence[np.ndarray], settings: CodecSettings) -> bytes:
        """x265's lossless mode (transquant bypass; libheif's quality -1): standard HEVC every decoder reads.
        A gray plane only: a raw RGB image would go through a colour conversion first."""
        if settings.chroma != "400":
            raise UsageError("lossless HEIC is offered for 4:0:0 images")
        return self._encode(planes, settings, lossless=True)

    def _encode(self, planes: Sequence[np.ndarray], settings: CodecSettings, lossless: bool) -> bytes:
        h, w = self.check(planes, settings)
        if settings.step is not None:
            raise UsageError("HEIC takes a quality (0-100), not a flat quantiser step")
        deep = settings.bit_depth > 8
        kwargs: dict[str, object] = {"quality": -1 if lossless else int(settings.quality)}
        if settings.chroma == "400":
            arrays = [planes[0]]
        elif settings.mode == "native":
            arrays = list(planes)
            kwargs["chroma"] = settings.chroma
        else:
            full = list(planes)
            if settings.chroma == "420":
                full[1:] = [upsample_nearest(p, (h, w)) for p in planes[1:]]
            arrays = [full[2], full[0], full[1]]  # R, G, B = planes 2, 0, 1
            kwargs.update(chroma=settings.chroma, matrix_coefficients=0)
        if settings.chroma_qp != (0, 0) and settings.chroma != "400":
            if settings.mode != "raw":
                raise UsageError("chroma QP offsets apply to raw-mode images")
            cb, cr = settings.chroma_qp  # Cb is plane 1 (B), Cr plane 2 (R) under the identity matrix
            kwargs["enc_params"] = {"x265:cbqpoffs": str(cb), "x265:crqpoffs": str(cr)}
        if settings.tuning != "default":
            extra = {f"x265:{k}": v for k, v in HEIC_TUNINGS[settings.tuning].items()}
            kwargs["enc_params"] = {**kwargs.get("enc_params", {}), **extra}
        if deep:
            arrays = [a.astype(np.uint16) << _SHIFT10 for a in arrays]
        pixels = np.ascontiguousarray(arrays[0] if len(arrays) == 1 else np.stack(arrays, axis=-1))
        if len(arrays) == 1:
            mode = "I;16" if deep else "L"
        else:
            mode = "RGB;16" if deep else "RGB"
        try:
            heif = pillow_heif.from_bytes(mode, (w, h), pixels.tobytes())
            buf = io.BytesIO()
            heif.save(buf, **kwargs)
        except (ValueError, RuntimeError) as e:
            raise CodecError(f"HEIC encoder refused the image: {e}") from None
        return buf.getvalue()

    def decode(self, data: bytes, settings: CodecSettings) -> list[np.ndarray]:
        try:
            heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=settings.bit_depth == 8)
            arr = np.asarray(heif[0])
        except (ValueError, RuntimeError, OSError) as e:
            raise CodecError(f"cannot decode HEIC stream: {e}") from None
        if settings.bit_depth > 8:
            arr = arr >> _SHIFT10
        if arr.ndim == 3 and settings.chroma == "400":
            arr = arr[..., 0]
        if arr.ndim != (2 if settings.chroma == "400" else 3):
            raise CodecError("HEIC stream does not have the expected number of planes")
        if settings.chroma == "400":
            return [own_plane(arr)]
        if settings.mode == "native":
            return [own_plane(arr[..., c]) for c in range(3)]
        sub = 2 if settings.chroma == "420" else 1
        return [own_plane(arr[..., 1])] + [own_plane(arr[::sub, ::sub, c]) for c in (2, 0)]
