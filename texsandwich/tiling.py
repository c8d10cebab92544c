"""Tiled inference: run a network over a large image tile by tile, so 4K textures fit in memory.

Each tile is processed with a halo of context on every side that is not an image border; only its
centre is kept. Tile origins are multiples of the network's decimation factor (``multiple``), so
every tile sees the same down-sampling grid as the whole image would, and with a halo wider than the
receptive field the stitched result equals the untiled one up to float rounding: no seams.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

TILE = 512
HALO = 32
"""Context on each side of a tile: more than the slim/medium U-Nets' receptive field."""


def tiled(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, tile: int = TILE, halo: int = HALO,
          multiple: int = 1) -> torch.Tensor:
    """``fn(x)`` computed tile by tile (``fn`` must keep the spatial size and be local)."""
    h, w = x.shape[-2:]
    if h <= tile + 2 * halo and w <= tile + 2 * halo:
        return fn(x)
    tile = max(multiple, tile // multiple * multiple)
    halo = -(-halo // multiple) * multiple
    out: torch.Tensor | None = None
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, xa = max(y0 - halo, 0), max(x0 - halo, 0)
            yb, xb = min(y1 + halo, h), min(x1 + halo, w)
            part = fn(x[..., ya:yb, xa:xb])
            if out is None:
                out = torch.empty((*x.shape[:-3], part.shape[-3], h, w), dtype=part.dtype, device=part.device)
            out[..., y0:y1, x0:x1] = part[..., y0 - ya : y1 - ya, x0 - xa : x1 - xa]
    assert out is not None
    return out


def tiled_backward(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, target: torch.Tensor,
                   weight: float = 1.0, tile: int = TILE, halo: int = HALO, multiple: int = 1) -> float:
    """Sum of squared errors of ``fn(x)`` against ``target``, tile by tile; when ``x`` needs a gradient,
    also back-propagates ``weight`` times that sum into ``x``'s graph.

    Why: the encoder's optimisation (:mod:`texsandwich.encoder_opt`) needs the gradient of a network's
    error on a whole texture, and autograd over a 4K image would hold every activation at once. Here each
    tile's graph is built, differentiated and freed before the next, and the tiles' gradients, summed on
    a detached copy of ``x``, are pushed through ``x``'s own (cheap) graph once at the end. Only the
    gradient with respect to ``x`` is computed (``autograd.grad``): a network's weights, which may well
    require gradients, get none and are not touched. The tiles
    are those of :func:`tiled`, so the error is that of the stitched output.
    """
    grad = x.requires_grad and torch.is_grad_enabled()
    leaf = x.detach().requires_grad_(grad)
    acc = torch.zeros_like(x) if grad else None
    h, w = x.shape[-2:]
    if h <= tile + 2 * halo and w <= tile + 2 * halo:
        tile = max(h, w)
    else:
        tile = max(multiple, tile // multiple * multiple)
        halo = -(-halo // multiple) * multiple
    total = 0.0
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, xa = max(y0 - halo, 0), max(x0 - halo, 0)
            yb, xb = min(y1 + halo, h), min(x1 + halo, w)
            with torch.set_grad_enabled(grad):
                part = fn(leaf[..., ya:yb, xa:xb])[..., y0 - ya : y1 - ya, x0 - xa : x1 - xa]
                sse = ((part - target[..., y0:y1, x0:x1]) ** 2).sum()
            if acc is not None:  # only the input's gradient: a network's weights get none computed
                (g,) = torch.autograd.grad(weight * sse, leaf)
                acc += g
            total += float(sse.detach())
    if acc is not None:
        x.backward(acc)
    return total
