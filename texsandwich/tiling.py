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
