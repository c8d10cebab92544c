"""BD-rate / BD-PSNR pinned on curves with hand-checked answers, and the Pareto front."""

from __future__ import annotations

import numpy as np
import pytest

from texsandwich.metrics import bd_psnr, bd_rate, pareto, psnr

ANCHOR = [(0.25, 30.0), (0.5, 33.0), (1.0, 36.0), (2.0, 39.0)]


def test_same_curve_is_zero():
    assert bd_rate(ANCHOR, ANCHOR) == pytest.approx(0.0, abs=1e-9)
    assert bd_psnr(ANCHOR, ANCHOR) == pytest.approx(0.0, abs=1e-9)


def test_halving_every_rate_is_minus_fifty_percent():
    half = [(r / 2, d) for r, d in ANCHOR]
    assert bd_rate(ANCHOR, half) == pytest.approx(-50.0, abs=1e-6)
    # 3 dB per doubling of rate, linear in log rate: halving the rate is +3 dB at equal rate
    assert bd_psnr(ANCHOR, half) == pytest.approx(3.0, abs=1e-6)


def test_constant_psnr_offset():
    better = [(r, d + 1.5) for r, d in ANCHOR]
    assert bd_psnr(ANCHOR, better) == pytest.approx(1.5, abs=1e-9)
    # 1.5 dB at 3 dB per octave = half an octave: 2**-0.5 - 1
    assert bd_rate(ANCHOR, better) == pytest.approx((2**-0.5 - 1) * 100, abs=1e-6)


def test_bpp_window_restricts_integration():
    kinked = [(0.25, 30.0), (0.5, 33.0), (1.0, 36.0), (2.0, 41.0)]  # same up to 1 bpp, better above
    full = bd_psnr(ANCHOR, kinked)
    low = bd_psnr(ANCHOR, kinked, bpp_range=(0.25, 0.5))
    assert low == pytest.approx(0.0, abs=1e-9) and full > 0


def test_no_overlap_is_an_error():
    with pytest.raises(ValueError):
        bd_rate(ANCHOR, [(10.0, 50.0), (20.0, 55.0)])


def test_pareto_keeps_the_upper_left_frontier():
    pts = [(1.0, 30.0), (0.5, 31.0), (2.0, 35.0), (1.5, 34.0), (1.7, 33.0)]
    assert pareto(pts) == [(0.5, 31.0), (1.5, 34.0), (2.0, 35.0)]


def test_psnr():
    a = np.zeros((4, 4))
    assert psnr(a, a) == float("inf")
    assert psnr(a, a + 1) == pytest.approx(20 * np.log10(255))
    # summed in blocks of rows (bounded memory): the same as the whole-image mean, 16-bit peak by dtype
    rng = np.random.default_rng(0)
    x, y = (rng.integers(0, 65536, (700, 900, 3)).astype(np.uint16) for _ in range(2))
    whole = 10 * np.log10(65535.0**2 / np.mean((x.astype(np.float64) - y) ** 2))
    assert psnr(x, y) == pytest.approx(whole, abs=1e-9)


def test_several_curves_compare_through_their_envelope():
    low = [(0.25, 31.0), (0.5, 33.5), (1.0, 35.0), (2.0, 37.0)]  # better than ANCHOR at low rates only
    high = [(0.25, 29.0), (0.5, 32.5), (1.0, 37.0), (2.0, 40.0)]  # better at high rates only
    both = bd_psnr(ANCHOR, [low, high])
    assert both > max(bd_psnr(ANCHOR, low), bd_psnr(ANCHOR, high))
    assert bd_psnr([low, high], [low, high]) == pytest.approx(0.0, abs=1e-9)
    assert bd_rate(ANCHOR, [ANCHOR, [(r * 2, d) for r, d in ANCHOR]]) == pytest.approx(0.0, abs=1e-6)


def test_a_dominated_curve_reaching_lower_quality_does_not_pull_the_envelope_down():
    # worse than ANCHOR at every rate, but reaching below its lowest PSNR (as a weaker model of a recipe can)
    dominated = [(0.5, 27.0), (1.0, 29.0), (2.0, 31.0)]
    base = [(0.2, 28.0), (0.4, 31.0), (0.8, 34.0), (1.6, 37.0)]
    alone, both = bd_rate(base, ANCHOR), bd_rate(base, [ANCHOR, dominated])
    # the Pareto front of both is ANCHOR plus its lowest point offered for lower qualities: nearly the same
    # number, where taking the dominated curve below 30 dB as the envelope cost 34 points (before 0.2.2)
    assert abs(both - alone) < 6
    assert bd_psnr(base, [ANCHOR, dominated]) == pytest.approx(bd_psnr(base, ANCHOR), abs=0.2)
