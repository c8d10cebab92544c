"""Quality metrics and rate-distortion summaries.

BD-rate and BD-PSNR follow Bjøntegaard with monotone piecewise-cubic (PCHIP, scipy) interpolation
instead of the original cubic polynomial fit: PCHIP passes through every point and cannot overshoot,
so curves with few or unevenly spaced points still give a sane number. Integration runs over the
overlapping range only (optionally narrowed to a bpp window), on log rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.integrate import quad
from scipy.interpolate import PchipInterpolator


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """PSNR in dB over all samples (inf for identical arrays)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
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


def _monotone(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    front = pareto(points)
    if len(front) < 2:
        raise ValueError("a curve needs at least two points on its Pareto front")
    r, d = np.array(front).T
    return np.log10(r), d


def _window(lo: float, hi: float, bpp_range: tuple[float, float] | None) -> tuple[float, float]:
    if bpp_range is not None:
        lo, hi = max(lo, np.log10(bpp_range[0])), min(hi, np.log10(bpp_range[1]))
    return lo, hi


def bd_rate(anchor: Sequence[Point], test: Sequence[Point], bpp_range: tuple[float, float] | None = None) -> float:
    """Average rate difference (%) of ``test`` vs ``anchor`` at equal PSNR; negative = fewer bits."""
    ra, da = _monotone(anchor)
    rt, dt = _monotone(test)
    lo, hi = max(da.min(), dt.min()), min(da.max(), dt.max())
    if bpp_range is not None:  # narrow the PSNR interval to where both curves lie inside the bpp window
        fa, ft = PchipInterpolator(ra, da), PchipInterpolator(rt, dt)
        wlo, whi = _window(-np.inf, np.inf, bpp_range)
        lo = max(lo, float(fa(max(wlo, ra.min()))), float(ft(max(wlo, rt.min()))))
        hi = min(hi, float(fa(min(whi, ra.max()))), float(ft(min(whi, rt.max()))))
    if hi <= lo:
        raise ValueError("the curves do not overlap in quality")
    ia, it = PchipInterpolator(da, ra), PchipInterpolator(dt, rt)
    diff = quad(lambda d: float(it(d) - ia(d)), lo, hi, limit=200)[0] / (hi - lo)
    return float((10.0**diff - 1.0) * 100.0)


def bd_psnr(anchor: Sequence[Point], test: Sequence[Point], bpp_range: tuple[float, float] | None = None) -> float:
    """Average PSNR difference (dB) of ``test`` vs ``anchor`` at equal rate; positive = better."""
    ra, da = _monotone(anchor)
    rt, dt = _monotone(test)
    lo, hi = _window(max(ra.min(), rt.min()), min(ra.max(), rt.max()), bpp_range)
    if hi <= lo:
        raise ValueError("the curves do not overlap in rate")
    fa, ft = PchipInterpolator(ra, da), PchipInterpolator(rt, dt)
    return float(quad(lambda r: float(ft(r) - fa(r)), lo, hi, limit=200)[0] / (hi - lo))
