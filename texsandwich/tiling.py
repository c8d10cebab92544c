"""Tiled inference: run a network over a large image tile by tile, so 4K textures fit in memory.

Each tile is processed with a halo of context on every side that is not an image border; only its
centre is kept. Tile origins are multiples of the network's decimation factor (``multiple``), so
every tile sees the same down-sampling grid as the whole image would, and with a halo wider than the
receptive field the stitched result equals the untiled one up to float rounding: no seams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

TILE = 512
HALO = 32
"""Context on each side of a tile: more than the slim/medium U-Nets' receptive field."""


def fits(h: int, w: int, tile: int = TILE, halo: int = HALO) -> bool:
    """Whether an ``h`` x ``w`` image is processed whole (one tile with its halo covers it)."""
    return h <= tile + 2 * halo and w <= tile + 2 * halo


def tiles(h: int, w: int, tile: int = TILE, halo: int = HALO, multiple: int = 1
          ) -> Iterator[tuple[tuple[slice, slice], tuple[slice, slice], tuple[slice, slice]]]:
    """The tiles of an ``h`` x ``w`` image: for each, its region of the image, the region with its halo
    (what the network reads), and where the region lies inside that crop. Origins are multiples of
    ``multiple`` and so is the halo."""
    tile = max(multiple, tile // multiple * multiple)
    halo = -(-halo // multiple) * multiple
    for y0 in range(0, h, tile):
        for x0 in range(0, w, tile):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            ya, xa = max(y0 - halo, 0), max(x0 - halo, 0)
            yb, xb = min(y1 + halo, h), min(x1 + halo, w)
            yield ((slice(y0, y1), slice(x0, x1)), (slice(ya, yb), slice(xa, xb)),
                   (slice(y0 - ya, y1 - ya), slice(x0 - xa, x1 - xa)))


def tiled(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, tile: int = TILE, halo: int = HALO,
          multiple: int = 1, inplace: bool = False) -> torch.Tensor:
    """``fn(x)`` computed tile by tile (``fn`` must keep the spatial size and be local).

    ``inplace``: the result is written into ``x`` itself (the caller has no further use for it) when
    ``fn`` gives as many channels of the same type: no second full-size image (0.5 GB for a 4K
    material's eight planes). A row of tiles reads, through its halo, the bottom of the row above, so a
    row's results are held back until the row below it is done: every tile reads the same inputs and
    the result is the same, for two rows of tiles of extra memory.
    """
    h, w = x.shape[-2:]
    if fits(h, w, tile, halo):
        return fn(x)
    out: torch.Tensor | None = None
    done: list[tuple[tuple[slice, slice], torch.Tensor]] = []  # in place: the last finished row, not yet written
    current: list[tuple[tuple[slice, slice], torch.Tensor]] = []  # and the row being computed
    for region, crop, inner in tiles(h, w, tile, halo, multiple):
        part = fn(x[(..., *crop)])[(..., *inner)]
        if out is None:
            same = inplace and part.shape[-3] == x.shape[-3] and part.dtype == x.dtype and not x.requires_grad
            out = x if same else torch.empty((*x.shape[:-3], part.shape[-3], h, w), dtype=part.dtype,
                                             device=part.device)
        if out is not x:
            out[(..., *region)] = part
            continue
        if current and region[0] != current[-1][0][0]:  # a new row: the one before last has been read
            _write(x, done)
            done, current = current, []
        if part.untyped_storage().data_ptr() == x.untyped_storage().data_ptr():
            part = part.clone()  # fn gave back (a view of) its input: held, it would change under the writes
        current.append((region, part))
    if out is x:
        _write(x, done + current)
    assert out is not None
    return out


def _write(x: torch.Tensor, results: list[tuple[tuple[slice, slice], torch.Tensor]]) -> None:
    for region, part in results:
        x[(..., *region)] = part


def tiled_backward(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, target: torch.Tensor,
                   weight: float = 1.0, tile: int = TILE, halo: int = HALO, multiple: int = 1) -> float:
    """Sum of squared errors of ``fn(x)`` against ``target``, tile by tile; when ``x`` needs a gradient,
    also back-propagates ``weight`` times that sum into ``x``'s graph.

    Why: the encoder's optimisation (:mod:`texsandwich.encoder_opt`) needs the gradient of a network's
    error on a whole texture, and autograd over a 4K image would hold every activation at once. Here each
    tile's graph is built, differentiated and freed before the next, and the tiles' gradients, summed on
    a detached copy of ``x``, are pushed through ``x``'s own (cheap) graph once at the end. Only the
    gradient with respect to ``x`` is computed (``autograd.grad``): a network's weights, which may well
    require gradients, get none and are not touched. The tiles are those of :func:`tiled`
    (:func:`tiles`), so the error is that of the stitched output.
    """
    grad = x.requires_grad and torch.is_grad_enabled()
    leaf = x.detach().requires_grad_(grad)
    acc = torch.zeros_like(x) if grad else None
    h, w = x.shape[-2:]
    whole = ((slice(0, h), slice(0, w)),) * 3
    total = 0.0
    for region, crop, inner in [whole] if fits(h, w, tile, halo) else tiles(h, w, tile, halo, multiple):
        with torch.set_grad_enabled(grad):
            part = fn(leaf[(..., *crop)])[(..., *inner)]
            sse = ((part - target[(..., *region)]) ** 2).sum()
        if acc is not None:  # only the input's gradient: a network's weights get none computed
            (g,) = torch.autograd.grad(weight * sse, leaf)
            acc += g
        total += float(sse.detach())
    if acc is not None:
        x.backward(acc)
    return total
