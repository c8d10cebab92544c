"""Quality metrics and rate-distortion summaries.

BD-rate and BD-PSNR follow Bjøntegaard with monotone piecewise-cubic (PCHIP, scipy) interpolation
instead of the original cubic polynomial fit: PCHIP passes through every point and cannot overshoot,
so curves with few or unevenly spaced points still give a sane number. Integration runs over the
overlapping range only (optionally narrowed to a bpp window), on log rate. Several curves on one side
(models of a recipe, variants of a baseline) are compared through their envelope.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from scipy.integrate import IntegrationWarning, quad
from scipy.interpolate import PchipInterpolator

_BLOCK = 1 << 20
"""Samples per block of :func:`psnr`'s float64 arithmetic."""


def psnr(a: np.ndarray, b: np.ndarray, peak: float | None = None) -> float:
    """PSNR in dB over all samples (inf for identical arrays); peak 255, or 65535 for uint16 arrays."""
    if peak is None:
        peak = 65535.0 if b.dtype == np.uint16 else 255.0
    a, b = (np.atleast_1d(x) for x in np.broadcast_arrays(a, b))
    rows = max(1, _BLOCK // max(1, a[0].size))
    # in blocks of rows: float64 copies of a whole 4K image would cost ~0.4 GB each
    sse = sum(float(np.sum((a[r:r + rows].astype(np.float64) - b[r:r + rows].astype(np.float64)) ** 2))
              for r in range(0, len(a), rows))
    mse = sse / max(1, a.size)
    return float("inf") if mse == 0 else 10.0 * np.log10(peak * peak / mse)


Point = tuple[float, float]
"""(bits per pixel, PSNR dB)"""


def pareto(points: Sequence[Point]) -> list[Point]:
    """Upper-left frontier: points not beaten by another with less or equal rate and more quality."""
    best: list[Point] = []
    for r, d in sorted(points, key=lambda p: (p[0], -p[1])):
        if not best or d > best[-1][1]:
            best.append((r, d))
    return best


Curve = Sequence[Point]


def _monotone(points: Curve) -> tuple[np.ndarray, np.ndarray]:
    """log10(bpp) and PSNR of a curve's Pareto front (strictly increasing in both)."""
    front = pareto(points)
    if len(front) < 2:
        raise ValueError("a curve needs at least two points on its Pareto front")
    r, d = np.array(front).T
    return np.log10(r), d


class _Envelope:
    """The best of several curves: max PSNR at each rate, min rate at each PSNR (each curve PCHIP-interpolated).

    Taking the envelope of the interpolated curves, not the Pareto front of their pooled points, keeps
    two nearly coincident points of different models from pulling the interpolation under both curves.
    A curve also counts beyond its ends, as the Pareto front does: below its lowest PSNR it offers its
    lowest rate (it gives more quality for that), above its highest rate its highest PSNR. Without
    that, a model dominated everywhere but reaching lower qualities would pull the envelope down there.
    """

    def __init__(self, curves: Sequence[Curve]) -> None:
        self.parts = [_monotone(c) for c in curves]
        self.d_of_r = [(r.min(), r.max(), PchipInterpolator(r, d)) for r, d in self.parts]
        self.r_of_d = [(d.min(), d.max(), PchipInterpolator(d, r)) for r, d in self.parts]
        self.r_range = (min(p[0] for p in self.d_of_r), max(p[1] for p in self.d_of_r))
        self.d_range = (min(p[0] for p in self.r_of_d), max(p[1] for p in self.r_of_d))

    def psnr(self, logr: float) -> float:
        return max(float(f(logr)) if logr <= hi else float(d.max())
                   for (lo, hi, f), (_, d) in zip(self.d_of_r, self.parts, strict=True) if lo <= logr)

    def log_rate(self, d: float) -> float:
        return min(float(f(d)) if lo <= d else float(r.min())
                   for (lo, hi, f), (r, _) in zip(self.r_of_d, self.parts, strict=True) if d <= hi)


def _integrate(f: Callable[[float], float], lo: float, hi: float) -> float:
    """Mean of ``f`` over [lo, hi]. Envelopes have kinks (where curves cross or one ends) that make
    ``quad`` warn about roundoff; its answer is still good to far below the numbers' printed precision."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        return float(quad(f, lo, hi, limit=200)[0] / (hi - lo))


def _curves(c: Curve | Sequence[Curve]) -> list[Curve]:
    """Accept one curve (a list of points) or several."""
    return [c] if c and isinstance(c[0][0], (int, float, np.floating)) else list(c)


def bd_rate(anchor: Curve | Sequence[Curve], test: Curve | Sequence[Curve],
            bpp_range: tuple[float, float] | None = None) -> float:
    """Average rate difference (%) of ``test`` vs ``anchor`` at equal PSNR; negative = fewer bits.

    Each side may be several curves; their envelope (best at every point) is compared.
    """
    ea, et = _Envelope(_curves(anchor)), _Envelope(_curves(test))
    lo, hi = max(ea.d_range[0], et.d_range[0]), min(ea.d_range[1], et.d_range[1])
    if bpp_range is not None:  # narrow the PSNR interval to where both curves lie inside the bpp window
        wlo, whi = np.log10(bpp_range[0]), np.log10(bpp_range[1])
        for e in (ea, et):
            lo = max(lo, e.psnr(max(wlo, e.r_range[0])))
            hi = min(hi, e.psnr(min(whi, e.r_range[1])))
    if hi <= lo:
        raise ValueError("the curves do not overlap in quality")
    diff = _integrate(lambda d: et.log_rate(d) - ea.log_rate(d), lo, hi)
    return float((10.0**diff - 1.0) * 100.0)


def bd_psnr(anchor: Curve | Sequence[Curve], test: Curve | Sequence[Curve],
            bpp_range: tuple[float, float] | None = None) -> float:
    """Average PSNR difference (dB) of ``test`` vs ``anchor`` at equal rate; positive = better."""
    ea, et = _Envelope(_curves(anchor)), _Envelope(_curves(test))
    lo, hi = max(ea.r_range[0], et.r_range[0]), min(ea.r_range[1], et.r_range[1])
    if bpp_range is not None:
        lo, hi = max(lo, np.log10(bpp_range[0])), min(hi, np.log10(bpp_range[1]))
    if hi <= lo:
        raise ValueError("the curves do not overlap in rate")
    return _integrate(lambda r: et.psnr(r) - ea.psnr(r), lo, hi)
