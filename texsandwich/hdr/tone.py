"""Per-image tone curves: which 16-bit codes get the 8-bit bottleneck's 256 levels.

An 8-bit bottleneck that keeps the top 8 bits of a 16-bit signal spends its levels evenly over
0..65535, but HDR images (PQ) use a fraction of that range, and unevenly: a scene-referred EXR with
100 cd/m² white puts 98 % of its samples into a third of the PQ codes, and its top-8 rounding error
(58 dB) is what limits it at high qualities, where the codec is nearly transparent. A monotone curve
fitted to the image's own histogram gives dense code ranges more levels (companding); its inverse
after decoding spreads the error back. Panter & Dite: for a fine quantiser after a compander ``c``,
the mean squared error is ``Δ²/12 · ∫ p(v) / c'(v)² dv``, smallest for ``c' ∝ p^{1/3}``; ``strength``
is that exponent (0 = the plain linear map ``v / 257``).

It only pays where rounding, not the codec, limits the error: at mid rates a steeper curve is a finer
codec step bought with more bits, which the codec could have spent as well, so the recipe applies it
from a quality threshold up (``Recipe.tone``). The curve is side information: 65 knots in the
manifest, ~0.1 KB deflated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import torch

SEGMENTS = 64
"""Linear pieces over the 16-bit input range (1024 codes each): fine enough to follow PQ histograms."""
KNOT_SCALE = 64
"""Knots are stored as integers in 1/64 of a bottleneck level (exactly reproducible on every machine)."""
_FLOOR = 1e-3
"""Density floor (fraction of the samples, spread over all segments): empty code ranges still get levels,
so codec noise and samples the histogram missed stay invertible."""
_INPUT_STEP = 65535.0 / SEGMENTS


@dataclass(frozen=True)
class ToneCurve:
    """A monotone piecewise-linear map from 16-bit codes (0..65535) to the bottleneck's 0..255 scale."""

    knots: tuple[int, ...]
    """``SEGMENTS + 1`` strictly increasing outputs, in 1/``KNOT_SCALE`` of a level, from 0 to 255·64."""

    def __post_init__(self) -> None:
        k = self.knots
        if len(k) != SEGMENTS + 1 or k[0] != 0 or k[-1] != 255 * KNOT_SCALE or any(
                not isinstance(v, int) or isinstance(v, bool) for v in k) or any(b <= a for a, b in pairwise(k)):
            raise ValueError(f"a tone curve has {SEGMENTS + 1} strictly increasing integer knots from 0 to "
                             f"{255 * KNOT_SCALE}")

    def _tables(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.arange(SEGMENTS + 1, dtype=torch.float64) * _INPUT_STEP
        y = torch.tensor(self.knots, dtype=torch.float64) / KNOT_SCALE
        return x.to(like.device), y.to(like.device)

    def forward(self, signal: torch.Tensor) -> torch.Tensor:
        """16-bit codes (any float tensor) -> bottleneck scale 0..255."""
        x, y = self._tables(signal)
        return _blockwise(lambda v: _interp(v.double().clamp(0, 65535), x, y).to(signal.dtype), signal)

    def inverse(self, value: torch.Tensor) -> torch.Tensor:
        """Bottleneck scale (decoded, post-processed; clipped to 0..255) -> 16-bit codes, as floats."""
        x, y = self._tables(value)
        return _blockwise(lambda v: _interp(v.double().clamp(0, 255), y, x).to(value.dtype), value)

    def to_json(self) -> list[int]:
        """Knot differences (small integers deflate well)."""
        return [b - a for a, b in pairwise(self.knots)]

    @classmethod
    def from_json(cls, d: Any) -> ToneCurve:
        if not isinstance(d, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in d):
            raise TypeError("tone must be a list of integers")
        return cls(tuple(int(v) for v in np.concatenate([[0], np.cumsum(d, dtype=np.int64)])))


CHUNK = 1 << 20
"""Samples per block of :func:`_blockwise`: the float64 interpolation makes six full-size temporaries
(an index and four gathered knots), 2.4 GB on a 4K image at once (tools/bench_textures.py)."""


def _blockwise(fn: Callable[[torch.Tensor], torch.Tensor], t: torch.Tensor) -> torch.Tensor:
    """``fn`` (elementwise) over ``t`` in blocks of :data:`CHUNK` samples -- the same values, bounded
    temporaries. A tensor that needs a gradient (training) goes through whole, for autograd."""
    if t.requires_grad or t.numel() <= CHUNK:
        return fn(t)
    flat = t.reshape(-1)
    return torch.cat([fn(flat[i:i + CHUNK]) for i in range(0, flat.numel(), CHUNK)]).reshape(t.shape)


def _interp(v: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """``np.interp`` for tensors: piecewise-linear through (xp, fp), xp increasing; differentiable in ``v``."""
    i = torch.searchsorted(xp, v.contiguous(), right=True).clamp(1, len(xp) - 1)
    x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
    return f0 + (v - x0) * (f1 - f0) / (x1 - x0)


def fit_tone_curve(signal: np.ndarray, strength: float) -> ToneCurve:
    """The compander for ``signal`` (16-bit codes, any shape): slope ∝ (histogram density)^strength."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError("tone strength must be in [0, 1]")
    counts, _ = np.histogram(np.asarray(signal, np.float64), bins=SEGMENTS, range=(0.0, 65535.0))
    density = counts / max(1, counts.sum()) + _FLOOR / SEGMENTS
    slope = density**strength
    total = 255 * KNOT_SCALE
    # integer knots, each segment at least one unit wide, summing exactly to the full range
    widths = np.maximum(1, np.floor(slope / slope.sum() * (total - SEGMENTS)).astype(np.int64) + 1)
    widths[np.argmax(widths)] += total - int(widths.sum())
    return ToneCurve(tuple(int(v) for v in np.concatenate([[0], np.cumsum(widths)])))

