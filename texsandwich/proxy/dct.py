"""Orthonormal 8x8 block DCT-II, the transform JPEG uses (its FDCT is orthonormal after level shift)."""

from __future__ import annotations

import functools
import math

import torch

from texsandwich.resample import pad_to_multiple

BLOCK = 8


@functools.cache
def _basis(n: int) -> torch.Tensor:
    k = torch.arange(n, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(n, dtype=torch.float64).unsqueeze(0)
    d = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
    d[0] /= math.sqrt(2.0)
    return d


def dct_matrix(n: int = BLOCK, dtype: torch.dtype = torch.float32, device: torch.device | None = None) -> torch.Tensor:
    """``D`` with rows the orthonormal DCT-II basis: ``D @ D.T == I``."""
    return _basis(n).to(dtype=dtype, device=device)


def to_blocks(x: torch.Tensor) -> torch.Tensor:
    """``[B, h, w]`` -> ``[B, h/8, w/8, 8, 8]`` after edge-replicate padding to whole blocks."""
    x = pad_to_multiple(x, BLOCK)
    b, h, w = x.shape
    return x.reshape(b, h // BLOCK, BLOCK, w // BLOCK, BLOCK).permute(0, 1, 3, 2, 4)


def from_blocks(blocks: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Inverse of :func:`to_blocks`, cropped to ``height`` x ``width``."""
    b, nh, nw, _, _ = blocks.shape
    x = blocks.permute(0, 1, 3, 2, 4).reshape(b, nh * BLOCK, nw * BLOCK)
    return x[:, :height, :width]


def block_dct(blocks: torch.Tensor) -> torch.Tensor:
    """2-D DCT of every 8x8 block: ``D X D^T``."""
    d = dct_matrix(BLOCK, blocks.dtype, blocks.device)
    return d @ blocks @ d.T


def block_idct(coeffs: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`block_dct`: ``D^T C D``."""
    d = dct_matrix(BLOCK, coeffs.dtype, coeffs.device)
    return d.T @ coeffs @ d
