"""Per-file bit allocation and the quality search for a PSNR target: the searches themselves (pure), and the
pipeline around the allocation with the real codec."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from texsandwich.assets import PBR8
from texsandwich.container import read_tsw
from texsandwich.distortion import measure
from texsandwich.models import load_model
from texsandwich.pipeline import compress, reconstruct
from texsandwich.procedural import procedural_material
from texsandwich.rdo import Allocation, SizeTarget, choose_offsets, search_quality, search_size
from texsandwich.recipes import get_recipe


def test_search_moves_bits_to_the_group_whose_distortion_they_buy():
    """Two groups of one image each; group 0's quality buys 10x the distortion of group 1's. The Lagrangian
    search must make group 0 finer and group 1 coarser, and stay within the reach."""
    calls = []

    def cost(offsets):
        calls.append(offsets)
        q0, q1 = 50 + offsets[0], 50 + offsets[1]
        bits = 100.0 * (2 ** (q0 / 20) + 2 ** (q1 / 20))
        dist = 10.0 * 2 ** (-q0 / 10) + 1.0 * 2 ** (-q1 / 10)
        return bits, dist

    search = Allocation(((0,), (1,)), step=10, reach=20, rounds=3)
    offsets, record = choose_offsets(cost, 2, 50, search)
    assert offsets[0] > 0 > offsets[1] and max(map(abs, offsets)) <= 20
    assert record["lambda"] > 0 and record["tried"] == len(calls)
    assert len(set(calls)) == len(calls), "every candidate is encoded and measured once"


def test_search_keeps_the_nominal_point_when_groups_are_alike():
    def cost(offsets):
        q = [50 + o for o in offsets]
        return sum(100.0 * 2 ** (v / 20) for v in q), sum(2 ** (-v / 10) for v in q)

    offsets, _ = choose_offsets(cost, 3, 50, Allocation(((0,), (1, 2)), step=10))
    assert offsets == (0, 0, 0)


def test_images_outside_every_group_stay_at_the_nominal_quality_and_quality_bounds_hold():
    def cost(offsets):
        return 1000.0 + 10 * offsets[0] + 10 * offsets[1], 100.0 - offsets[0]

    offsets, _ = choose_offsets(cost, 3, 95, Allocation(((0, 1),), step=10, reach=30))
    assert offsets[2] == 0 and all(95 + o <= 100 for o in offsets)


@pytest.mark.parametrize("codec", ["heic"])
def test_allocated_file_records_its_offsets_and_decodes_to_what_the_encoder_measured(codec):
    r = get_recipe("pbr8-400")
    m = procedural_material(64, 64, seed=5)
    model = load_model("none", r)
    plain = compress(m.stack(PBR8), r, model, codec, 40, allocate=False)
    alloc = compress(m.stack(PBR8), r, model, codec, 40, allocate=True)
    tsw = read_tsw(alloc.data)
    assert tsw.manifest.offsets == alloc.manifest.offsets
    assert np.array_equal(reconstruct(tsw, model), alloc.reconstruction)
    assert plain.manifest.offsets == () and len(tsw.manifest.offsets) in (0, 8)
    if tsw.manifest.offsets:  # the flat third normal plane is in no group
        assert tsw.manifest.offsets[5] == 0
    # the search minimises D + lambda R; a chosen point is never worse on both axes than the nominal one
    src = m.stack(PBR8)
    d_plain = measure("shaded", plain.reconstruction, src)["mse"]
    d_alloc = measure("shaded", alloc.reconstruction, src)["mse"]
    assert not (len(alloc.data) > len(plain.data) and d_alloc > d_plain)


def test_scorer_equals_measure_with_the_source_shading_cached():
    """The allocation search scores candidates with ``mse_scorer``, which shades the source once; it must be
    the very number ``measure`` (what every report uses) gives, with and without a metallic map."""
    from texsandwich.distortion import mse_scorer

    m = procedural_material(40, 48, seed=7)
    src = m.stack(PBR8)
    rng = np.random.default_rng(0)
    rec = np.clip(src.astype(int) + rng.integers(-9, 10, src.shape), 0, 255).astype(np.uint8)
    metal = {"metallic": (rng.random((40, 48, 1)) * 255).astype(np.uint8)}
    for kind, side in (("shaded", None), ("shaded", metal), ("normal", None)):
        data = src[..., 3:6] if kind == "normal" else src
        got = rec[..., 3:6] if kind == "normal" else rec
        assert mse_scorer(kind, data, side)(got) == pytest.approx(measure(kind, got, data, side)["mse"], rel=1e-12)


def test_allocated_baseline_control_is_never_dominated_by_the_plain_baseline():
    from texsandwich.pipeline import allocated_baseline, baseline_files

    r = get_recipe("pbr8-400")
    src = procedural_material(48, 48, seed=9).stack(PBR8)
    base = next(b for b in r.baselines if b.name == "per-component-xy")
    plain_files, plain_rec = baseline_files(src, base, "heic", 30)
    files, rec = allocated_baseline(src, base, "heic", 30, "shaded")
    assert len(files) == len(plain_files) and rec.shape == src.shape and rec.dtype == np.uint8
    worse_rate = sum(map(len, files)) > sum(map(len, plain_files))
    worse_dist = measure("shaded", rec, src)["mse"] > measure("shaded", plain_rec, src)["mse"]
    assert not (worse_rate and worse_dist)


@dataclass
class _Tried:
    psnr: float


def _search(f, target):
    calls: list[int] = []

    def code(q: int) -> _Tried:
        assert q not in calls and 1 <= q <= 100, "each quality is encoded once, and only 1..100"
        calls.append(q)
        return _Tried(f(q))

    q, tried, reached = search_quality(code, target)
    return q, tried, reached, calls


@pytest.mark.parametrize("shape", ["linear", "concave", "convex", "steps"])
def test_quality_search_finds_the_lowest_quality_reaching_the_target(shape):
    rng = np.random.default_rng(1)
    counts = []
    for _ in range(300):
        a, b = rng.uniform(20, 35), rng.uniform(0.05, 0.4)
        f = {"linear": lambda q, a=a, b=b: a + b * q,
             "concave": lambda q, a=a, b=b: a + 40 * math.log1p(b * q) / math.log1p(b * 100),
             "convex": lambda q, a=a, b=b: a + b * 100 * (q / 100) ** 3,
             "steps": lambda q, a=a, b=b: a + b * 10 * (q // 10)}[shape]
        target = rng.uniform(15, 60)
        lowest = next((q for q in range(1, 101) if f(q) >= target), None)
        q, tried, reached, calls = _search(f, target)
        assert reached == (lowest is not None)
        assert q == (lowest if reached else 100) and tried.psnr == f(q)
        counts.append(len(calls))
    if shape == "linear":  # the near-linear curves real codecs give: fewer encodes than bisection's 7
        assert np.mean(counts) < 4 and max(counts) <= 5


def test_quality_search_ends_on_flat_and_falling_curves():
    """No slope to follow (a codec that saturates, a curve that falls): every try is a new quality inside
    the bracket, so the search ends, at quality 100 when nothing reaches the target."""
    for f in (lambda q: 40.0, lambda q: 60.0 - 0.1 * q, lambda q: 30.0 + (q > 97)):
        for target in (20.0, 35.0, 30.5, 70.0):
            q, tried, reached, calls = _search(f, target)
            assert len(calls) <= 12 and reached == (tried.psnr >= target)
            assert reached or q == 100


def test_quality_search_on_a_wiggly_curve_still_reaches_the_target():
    rng = np.random.default_rng(2)
    for _ in range(300):
        a, b = rng.uniform(20, 35), rng.uniform(0.05, 0.4)
        noise = rng.uniform(-0.3, 0.3, 101)
        target = rng.uniform(20, 50)
        _, tried, reached, calls = _search(lambda q, a=a, b=b, noise=noise: a + b * q + noise[q], target)
        assert (tried.psnr >= target) == reached and len(calls) <= 12


@dataclass
class _Sized:
    data: bytes


@pytest.mark.parametrize("shape", ["exponential", "steps", "flat-top"])
def test_size_search_finds_the_highest_quality_that_fits(shape):
    rng = np.random.default_rng(2)
    counts = []
    for _ in range(200):
        a, b = rng.uniform(200, 2000), rng.uniform(0.02, 0.08)
        size = {"exponential": lambda q, a=a, b=b: int(a * math.exp(b * q)),
                "steps": lambda q, a=a, b=b: int(a * math.exp(b * 10 * (q // 10))),
                "flat-top": lambda q, a=a, b=b: int(a * math.exp(b * min(q, 90)))}[shape]
        budget = int(rng.uniform(100, 300000))
        calls: list[int] = []

        def code(q: int, size=size, calls=calls) -> _Sized:
            assert q not in calls and 0 <= q <= 100
            calls.append(q)
            return _Sized(b"x" * size(q))

        q, coded, fits = search_size(code, budget)
        counts.append(len(calls))
        best = max((k for k in range(101) if size(k) <= budget), default=None)
        if best is None:
            assert not fits and q == 0
        else:
            assert fits and len(coded.data) <= budget and q == best
    assert np.mean(counts) < 7


def test_size_targets_parse_with_units_and_per_pixel():
    assert SizeTarget.parse("150K").bytes == 150_000 and SizeTarget.parse("150KiB").bytes == 153_600
    assert SizeTarget.parse("1.5M").bytes_for(10) == 1_500_000
    assert SizeTarget.parse("0.5bpp").bytes_for(1000) == 62  # bits per source pixel, rounded down
    for bad in ("0", "-5", "2x", "0bpp", ""):
        with pytest.raises(ValueError, match="not a size"):
            SizeTarget.parse(bad)
