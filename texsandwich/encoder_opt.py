"""Encoder-side optimisation: the coded planes of one image, tuned against the real codec and post-net.

Why: the pre-net is one function for every image and every quality; it was trained through a proxy
(a JPEG-like quantiser) and gives each image what works on average. The encoder, though, holds the
source, the real codec and the decoder's post-net, so for *this* image at *this* quality it can
measure what the decoder will show and move the coded planes towards a lower ``D + λ·R`` -- what
learned codecs call latent refinement (Campos et al. 2019, Yang et al. 2020), done here on the
samples a standard decoder reads. Nothing changes on the decode side: the file is an ordinary
HEIC/JPEG bitstream plus the same post-net.

Each step codes the current planes with the real codec, runs the post-net on the decoded planes and
back-propagates the error to the planes *through the decoder's upsampling* (``Layout.merge``), with
the codec itself passed straight through (its reconstruction in the forward pass, the identity in the
backward one). Optimising the planes the codec sees, not the full-resolution bottleneck, matters for
``rgb-hr2``: a gradient on the full-resolution bottleneck is mostly in what the ×½ resize throws away
(measured: +0.34 vs +0.23 dB on two held-out photos). A rate term, the proxy's log-rate scaled to the
real bit count of the starting planes, pulls against detail the codec would charge for.

λ is the image's own slope at the requested quality (real encodes of the unoptimised planes at that
quality and 5 finer), and the planes kept are those of the step with the lowest *measured*
``MSE + λ·bpp`` -- the starting planes included, so the result is never worse in that sense than plain
encoding. The rate can go up: at a fixed quality x265 spends more on more detail, and the comparison
that counts is the rate-distortion curve over many qualities (``texsandwich eval --encoder-steps``).

Cost: each step is one real encode and decode plus a forward and backward pass of the post-net at full
resolution, tile by tile (:func:`texsandwich.tiling.tiled_backward`, so memory stays bounded on 4K
textures): about 4 s per step per megapixel with the medium post-net on 2 CPU cores, nearly all of it the
post-net's forward and backward pass (``tools/bench_encoder_opt.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import torch

from texsandwich.codecs import CodecSettings
from texsandwich.errors import UsageError
from texsandwich.layout import CodecImage
from texsandwich.models import SandwichModel
from texsandwich.pipeline import code_planes
from texsandwich.proxy import ImageCodecProxy
from texsandwich.proxy.quant import clip_round
from texsandwich.recipes import Recipe
from texsandwich.tiling import tiled_backward

LR = 0.3
"""Adam step on the 0..255 code scale: 0.25 / 0.3 / 0.5 / 1.0 scanned on three held-out photos (docs/ZOO.md).
Constant: a cosine decay to 0.03 over 10 steps measured the same (+0.119 vs +0.120 dB over plain, 7
training images, docs/ZOO.md)."""
RATE_WEIGHT = 3.0
"""Multiplier on λ for the proxy rate term's gradient (1 / 3 / 8 scanned; 8 suppresses the gain)."""
SLOPE_STEP = 5
"""Quality step of the secant that measures λ."""

DISTORTIONS = ("mse", "normal", "hdr")
"""Recipes whose distortion is plain MSE on the networks' scale; ``shaded`` (materials) needs the
renderer and side maps and has its own encoder search (per-plane qualities, :mod:`texsandwich.rdo`)."""


@dataclass(frozen=True)
class Outcome:
    """What the optimisation measured: the objective before and after, and where the best step was."""

    steps: int
    best_step: int
    lmbda: float
    before: tuple[float, float]
    """``(bpp, MSE)`` of the unoptimised planes: real codec files (with their heads, which the container
    packs; λ is a difference quotient, so it does not see them), post-net output before rounding."""
    after: tuple[float, float]
    history: tuple[tuple[float, float], ...] = ()
    """``(bpp, MSE)`` measured at every step, the starting planes first: whether more steps would pay."""


def check_supported(recipe: Recipe, settings: CodecSettings) -> None:
    """Refuse recipes and settings the optimisation has no objective for, before any work."""
    if recipe.distortion not in DISTORTIONS:
        raise UsageError(f"--encoder-steps works on image and normal-map recipes, not {recipe.id} "
                         "(materials already get per-map quality offsets: --allocate)")
    if settings.quality is None:
        raise UsageError("--encoder-steps needs --quality (it measures the rate slope between qualities)")


@torch.enable_grad()  # the encoder runs under no_grad; this is the one place it differentiates
def optimise_planes(
    source: torch.Tensor, bottleneck: torch.Tensor, model: SandwichModel, recipe: Recipe, codec: str,
    settings: CodecSettings, steps: int, scale: float = 1.0, multiple: int = 2,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[list[CodecImage], Outcome]:
    """Tune the codec images of ``bottleneck`` (code scale, ``[1, P, H, W]``) for ``source`` (0..255).

    ``scale``: code values per 0..255 unit (10-bit bottlenecks: 4). Returns the planes to encode (not
    rounded; the encoder rounds) and what was measured.
    """
    check_supported(recipe, settings)
    assert settings.quality is not None
    layout = recipe.layout
    height, width = source.shape[-2:]
    pixels = height * width
    post = partial(model.post, codec=codec, quality=settings.quality)

    def measure(planes: list[CodecImage], s: CodecSettings, grad: bool) -> tuple[float, float]:
        """(bpp, MSE) through the real codec; with ``grad``, also back-propagate the MSE to ``planes``."""
        size, decoded = code_planes([[p.detach() for p in img] for img in planes], layout, codec, s)
        count = pixels * source.shape[1]
        if grad:  # straight through the codec: its values forward, the identity backward
            decoded = [[p + (d - p).detach() for p, d in zip(img, dec, strict=True)]
                       for img, dec in zip(planes, decoded, strict=True)]
        # without a gradient the decoded planes carry no graph, and tiled_backward only measures
        sse = tiled_backward(post, layout.merge(decoded, height, width) / scale, source, 1.0 / count,
                             multiple=multiple)
        return 8.0 * size / pixels, sse / count

    with torch.no_grad():
        start = [[p.detach().clone() for p in img] for img in layout.split(bottleneck)]
    finer = replace(settings, quality=min(settings.quality + SLOPE_STEP, 100))
    if finer.quality == settings.quality:  # at quality 100 the secant goes the other way
        finer = replace(settings, quality=settings.quality - SLOPE_STEP)
    b_f, d_f = measure(start, finer, grad=False)

    planes = [[p.clone().requires_grad_(True) for p in img] for img in start]
    flat = [p for img in planes for p in img]
    proxy = ImageCodecProxy(layout, step=float(getattr(model, "step", 16.0)), bit_depth=settings.bit_depth,
                            rate="fixed", learn_step=False)
    opt = torch.optim.Adam(flat, lr=LR * scale)
    lmbda, per_nat = 0.0, 0.0
    best: tuple[float, int, tuple[float, float], list[CodecImage]] | None = None
    before = (0.0, 0.0)
    history: list[tuple[float, float]] = []
    for k in range(steps + 1):
        opt.zero_grad()
        bpp, mse = measure(planes, settings, grad=k < steps)
        history.append((bpp, mse))
        if k == 0:
            before = (bpp, mse)
            lmbda = max((mse - d_f) / (b_f - bpp), 0.0) if b_f != bpp else 0.0
        j = mse + lmbda * bpp
        if best is None or j < best[0]:
            best = (j, k, (bpp, mse), [[p.detach().clone() for p in img] for img in planes])
        if on_step is not None:
            on_step(k, steps)
        if k == steps:
            break
        if lmbda > 0:
            step = proxy.step()
            nats = sum(proxy.code_plane(clip_round(p, proxy.peak), step)[1].sum() for p in flat)
            if per_nat == 0.0:
                per_nat = bpp / max(float(nats.detach()), 1e-9)  # the proxy's log-rate, scaled to the real rate
            (RATE_WEIGHT * lmbda * per_nat * nats).backward()
        opt.step()
    assert best is not None
    return best[3], Outcome(steps, best[1], lmbda, before, best[2], tuple(history))
