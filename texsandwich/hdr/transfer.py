"""The one mapping between scene-linear HDR (EXR) and the 16-bit integer signal the ``hdr-*`` recipes code.

SMPTE ST 2084 (PQ), the transfer function of HDR10 video, with scene-linear 1.0 placed at
:data:`WHITE_NITS` = 100 cd/m² (SDR reference white): ``code = round(65535 * PQ(L * 100 / 10000))``.
PQ spaces codes by the eye's contrast sensitivity from 0.0001 to 10000 cd/m², so a fixed error in
code values is about equally visible everywhere -- which is what makes PSNR on the 16-bit signal (the
papers' d-bit PSNR, peak 65535) a sensible HDR measure. Linear values above 100x white (6.6 stops,
10000 cd/m²) are clipped -- with a warning saying how many samples -- as are NaN, infinite and
negative values.

A second measure, linear-light PSNR, compares ``L`` clipped to ``[0, LINEAR_RANGE]`` (up to 4 stops
over white, what a display shows after exposure) with peak ``LINEAR_RANGE``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

WHITE_NITS = 100.0
PQ_PEAK_NITS = 10000.0
LINEAR_RANGE = 16.0
"""Linear-light PSNR is measured on ``L`` clipped to [0, 16] (4 stops over reference white)."""
_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def sanitize(linear: np.ndarray, name: str) -> np.ndarray:
    """Scene-linear float32 with NaN / infinite / negative / out-of-range samples clamped, each counted in a warning."""
    a = np.asarray(linear, np.float32)
    nan = int(np.isnan(a).sum())
    inf = int(np.isposinf(a).sum())
    neg = int((a < 0).sum())  # includes -inf
    top = PQ_PEAK_NITS / WHITE_NITS
    over = int((np.nan_to_num(a, posinf=0.0) > top).sum())
    for count, what, value in ((nan, "NaN", "0"), (inf, "infinite", f"{top:g}"), (neg, "negative", "0"),
                               (over, f"above {top:g}x reference white (PQ's 10000 cd/m²)", f"{top:g}")):
        if count:
            warnings.warn(f"{name}: {count} {what} sample(s) clamped to {value}", stacklevel=3)
    return np.clip(np.nan_to_num(a, nan=0.0, posinf=top, neginf=0.0), 0.0, top)


CHUNK = 1 << 20
"""Samples per block of the float64 arithmetic below: a 4K image's full-size float64 temporaries cost
~0.4 GB each, and the transfer functions made five of them at once (tools/bench_textures.py)."""


def _blockwise(fn: Callable[[np.ndarray], np.ndarray], a: np.ndarray, dtype: type) -> np.ndarray:
    """``fn`` (elementwise) over ``a`` in blocks of rows of about :data:`CHUNK` samples: the same values
    as one call, with temporaries bounded by the block instead of the image."""
    a = np.asarray(a)
    flat = np.atleast_1d(a)
    out = np.empty(flat.shape, dtype)
    rows = max(1, CHUNK // max(1, flat[0].size))
    for r in range(0, len(flat), rows):
        out[r:r + rows] = fn(flat[r:r + rows])
    return out.reshape(a.shape)


def _pq_encode(linear: np.ndarray) -> np.ndarray:
    y = np.clip(np.asarray(linear, np.float64) * (WHITE_NITS / PQ_PEAK_NITS), 0.0, 1.0)
    yp = y**_M1
    v = ((_C1 + _C2 * yp) / (1.0 + _C3 * yp)) ** _M2
    return np.round(v * 65535.0)


def _pq_decode(code: np.ndarray) -> np.ndarray:
    v = np.clip(np.asarray(code, np.float64) / 65535.0, 0.0, 1.0) ** (1.0 / _M2)
    y = (np.maximum(v - _C1, 0.0) / (_C2 - _C3 * v)) ** (1.0 / _M1)
    return y * (PQ_PEAK_NITS / WHITE_NITS)


def linear_to_pq16(linear: np.ndarray) -> np.ndarray:
    """Scene-linear (1.0 = reference white, already sanitised) -> PQ 16-bit codes ``uint16``."""
    return _blockwise(_pq_encode, linear, np.uint16)


def pq16_to_linear(code: np.ndarray) -> np.ndarray:
    """PQ 16-bit codes -> scene-linear float32 (1.0 = reference white)."""
    return _blockwise(_pq_decode, code, np.float32)


def linear_psnr(reconstruction: np.ndarray, source: np.ndarray) -> float:
    """PSNR (dB) of two PQ 16-bit signals compared in linear light clipped to [0, LINEAR_RANGE]."""
    a = np.clip(pq16_to_linear(reconstruction), 0, LINEAR_RANGE).astype(np.float64)
    b = np.clip(pq16_to_linear(source), 0, LINEAR_RANGE).astype(np.float64)
    mse = float(((a - b) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(LINEAR_RANGE**2 / mse)
