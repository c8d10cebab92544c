"""Differentiable resampling used on both sides of the codec.

The same functions run in training (through the proxy) and in inference (around the real codec), so
the networks never see a filter at inference they were not trained with.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad the bottom and right of ``[..., H, W]`` by edge replication to a multiple of ``multiple``.

    Edge replication is what libjpeg does with partial blocks, so padding here costs nothing in
    fidelity to the real codec.
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x
    shape = x.shape
    y = F.pad(x.reshape(-1, 1, h, w), (0, pw, 0, ph), mode="replicate")
    return y.reshape(*shape[:-2], h + ph, w + pw)


def chroma_down(x: torch.Tensor) -> torch.Tensor:
    """2x2 mean of ``[B, C, H, W]`` (H, W even): the 4:2:0 subsampling of a bottleneck plane."""
    return F.avg_pool2d(x, 2)


def chroma_up(x: torch.Tensor) -> torch.Tensor:
    """x2 bilinear with half-pixel centres and clamped edges.

    This is libjpeg's "fancy" h2v2 upsampling (weights 3/4, 1/4), so a post-net sees the same
    chroma whether the bottleneck went through JPEG, HEIC or the proxy.
    """
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def downscale2(x: torch.Tensor) -> torch.Tensor:
    """Antialiased bicubic x1/2 of ``[B, C, H, W]`` with H, W even."""
    h, w = x.shape[-2:]
    return F.interpolate(x, size=(h // 2, w // 2), mode="bicubic", antialias=True, align_corners=False)


def _lanczos3(t: float) -> float:
    if t == 0:
        return 1.0
    if abs(t) >= 3:
        return 0.0
    return 3 * math.sin(math.pi * t) * math.sin(math.pi * t / 3) / (math.pi * t) ** 2


def _lanczos3_x2_taps(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``[2, 7]`` weights over inputs i-3..i+3 for outputs 2i and 2i+1 (half-pixel centres).

    Output 2i sits at input position i - 1/4, output 2i+1 at i + 1/4; each phase is normalised to
    sum to one so flat regions stay flat.
    """
    phases = []
    for pos in (-0.25, 0.25):
        taps = [_lanczos3(pos - d) for d in range(-3, 4)]
        phases.append([t / sum(taps) for t in taps])
    return torch.tensor(phases, dtype=dtype, device=device)


def _upscale2_axis(x: torch.Tensor) -> torch.Tensor:
    """Lanczos3 x2 along the last axis of ``[N, 1, L]`` -> ``[N, 1, 2L]``."""
    taps = _lanczos3_x2_taps(x.dtype, x.device)
    y = F.conv1d(F.pad(x, (3, 3), mode="replicate"), taps.unsqueeze(1))  # [N, 2, L]
    n, _, length = y.shape
    return y.transpose(1, 2).reshape(n, 1, 2 * length)


def upscale2(x: torch.Tensor) -> torch.Tensor:
    """Separable Lanczos3 x2 of ``[B, C, H, W]`` with half-pixel centres and replicated edges.

    Without a gradient (decoding) each plane goes into the output band by band: the separable passes
    over a whole plane make full-size temporaries, 1.4 GB at once for a 4K RGB image when all planes
    went together (0.6.4), and still 1.8 GB above the output for one plane of an 8K image (0.6.7,
    tools/profile_memory.py), more than the post-net ever holds.
    """
    if x.requires_grad and torch.is_grad_enabled():
        return _upscale2_planes(x)
    b, c, h, w = x.shape
    out = x.new_empty(b, c, 2 * h, 2 * w)
    for i in range(b):
        for j in range(c):
            _upscale2_plane_into(x[i, j], out[i, j])
    return out


BAND = 128
"""Input rows per band of the decoding upscaler: 128 rows of an 8K output are ~17 MB of temporaries."""


def _upscale2_plane_into(plane: torch.Tensor, out: torch.Tensor, band: int | None = None) -> None:
    """:func:`_upscale2_planes` of one ``[H, W]`` plane written into ``out`` (``[2H, 2W]``) band by band.

    The same arithmetic: rows replicated 3 above and below first (replication commutes with the
    horizontal pass, which treats each row alone), then each band of rows with its 3-row halo through the
    horizontal pass and the vertical taps (no padding left to add).
    """
    h, w = plane.shape
    band = band or BAND
    taps = _lanczos3_x2_taps(plane.dtype, plane.device).unsqueeze(1)
    padded = F.pad(plane[None, None], (0, 0, 3, 3), mode="replicate")[0, 0]  # [H + 6, W]
    for r0 in range(0, h, band):
        n = min(band, h - r0)
        rows = _upscale2_axis(padded[r0:r0 + n + 6].reshape(n + 6, 1, w)).reshape(n + 6, 2 * w)
        cols = rows.t().reshape(2 * w, 1, n + 6)
        y = F.conv1d(cols, taps)  # [2W, 2, n]: output rows 2r, 2r + 1 of each input row r
        out[2 * r0:2 * (r0 + n)] = y.transpose(1, 2).reshape(2 * w, 2 * n).t()


def _upscale2_planes(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    rows = _upscale2_axis(x.reshape(b * c * h, 1, w)).reshape(b, c, h, 2 * w)
    cols = rows.transpose(-1, -2).reshape(b * c * 2 * w, 1, h)
    return _upscale2_axis(cols).reshape(b, c, 2 * w, 2 * h).transpose(-1, -2).contiguous()
