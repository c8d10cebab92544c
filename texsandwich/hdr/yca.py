"""OpenEXR luminance/chroma images (channels ``Y``, ``RY``, ``BY``) turned into RGB.

Why: OpenEXR's own sample images and some renderers' outputs store colour as full-resolution luminance
plus chroma subsampled 2×2 (``RY = R/Y - 1``, ``BY = B/Y - 1``). Read channel by channel, such a file
looks like a luminance-only image with two odd extra channels; coding only its ``Y`` would drop the
colour while saying "gray". OpenEXR's C++ ``RgbaInputFile`` converts these files to RGB on reading,
the Python binding does not, so this module does the same conversion: chroma upsampled to full
resolution, then ``R = (RY + 1)·Y``, ``B = (BY + 1)·Y``, ``G = (Y − yw_r·R − yw_b·B) / yw_g`` with the
luminance weights of the file's chromaticities (Rec.709 when it has none). The chroma is upsampled
linearly between its samples rather than with OpenEXR's 27-tap filter: chroma is smooth at half
resolution, and the difference is far below the 8-bit bottleneck's step (docs/DECISIONS.md, HDR).
"""

from __future__ import annotations

import numpy as np

REC709 = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)
"""Red, green, blue and white x/y: what an EXR without a ``chromaticities`` attribute means."""


def luminance_weights(chromaticities: tuple[float, ...] | None) -> np.ndarray:
    """The ``Y`` row of the RGB→XYZ matrix of these primaries, normalised (Rec.709: 0.2126, 0.7152, 0.0722),
    as OpenEXR's ``computeYw``."""
    xr, yr, xg, yg, xb, yb, xw, yw = chromaticities or REC709
    primaries = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in ((xr, yr), (xg, yg), (xb, yb))]).T
    white = np.array([xw / yw, 1.0, (1 - xw - yw) / yw])
    scale = np.linalg.solve(primaries, white)
    return scale / scale.sum()


def _upsample(plane: np.ndarray, step: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """A subsampled plane (sample ``i`` at pixel ``i·step``) linearly interpolated to ``shape``; the edges
    past the last sample repeat it."""
    out = np.asarray(plane, np.float32)
    for axis, (s, n) in enumerate(zip(step, shape, strict=True)):
        if s == 1 and out.shape[axis] == n:
            continue
        pos = np.minimum(np.arange(n, dtype=np.float32) / s, out.shape[axis] - 1)
        lo = np.floor(pos).astype(np.intp)
        hi = np.minimum(lo + 1, out.shape[axis] - 1)
        t = (pos - lo).reshape([-1 if a == axis else 1 for a in range(out.ndim)])
        out = np.take(out, lo, axis=axis) * (1 - t) + np.take(out, hi, axis=axis) * t
    return out


def yca_to_rgb(y: np.ndarray, ry: np.ndarray, by: np.ndarray, ry_step: tuple[int, int], by_step: tuple[int, int],
               chromaticities: tuple[float, ...] | None = None) -> np.ndarray:
    """``[H, W, 3]`` float32 RGB of a luminance/chroma image: ``y`` ``[H, W]``, ``ry``/``by`` sampled every
    ``(row, column)`` step (``(2, 2)`` in OpenEXR's files)."""
    y = np.asarray(y, np.float32)
    w = luminance_weights(chromaticities)
    r = (_upsample(ry, ry_step, y.shape) + 1) * y
    b = (_upsample(by, by_step, y.shape) + 1) * y
    g = (y - w[0] * r - w[2] * b) / w[1]
    return np.stack([r, g, b], axis=-1)
