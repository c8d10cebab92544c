"""Fixed, network-free maps between a source and its bottleneck planes.

They are the ``--model none`` sandwich of each recipe (the plain-codec adaptation: what a careful
user would do without networks) and the reference a learned model must beat. All work on float
tensors ``[B, C, H, W]`` on the 0..255 scale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from texsandwich.resample import chroma_down, chroma_up, pad_to_multiple

# ITU-R BT.601 full-range (JFIF) RGB -> YCbCr, the conversion JPEG and HEIC's default matrix use.
_RGB_TO_YCBCR = torch.tensor(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=torch.float64
)
_YCBCR_OFFSET = torch.tensor([0.0, 128.0, 128.0], dtype=torch.float64)


def _mix(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    # the constants live on the CPU; a model trained on a GPU mixes there
    return torch.einsum("oc,bchw->bohw", m.to(x.device, x.dtype), x)


def rgb_to_ycbcr(x: torch.Tensor) -> torch.Tensor:
    return _mix(x, _RGB_TO_YCBCR) + _YCBCR_OFFSET.to(x.device, x.dtype).view(1, 3, 1, 1)


def ycbcr_to_rgb(y: torch.Tensor) -> torch.Tensor:
    return _mix(y - _YCBCR_OFFSET.to(y.device, y.dtype).view(1, 3, 1, 1), torch.linalg.inv(_RGB_TO_YCBCR))


def rgb_to_luma(x: torch.Tensor) -> torch.Tensor:
    return _mix(x, _RGB_TO_YCBCR[:1])


def luma_to_rgb(y: torch.Tensor) -> torch.Tensor:
    return y.expand(-1, 3, -1, -1)


LS_CHROMA_ITERATIONS = 10
"""Conjugate-gradient steps of :func:`rgb_to_ycbcr420_ls`: converged to < 0.01 dB after 8 on photos."""


def _upsample_adjoint(r: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``U^T r`` for the decoder's x2 bilinear chroma upsampling ``U`` (exact, and differentiable)."""
    return torch.func.vjp(chroma_up, like)[1](r)[0]


def rgb_to_ycbcr420_ls(x: torch.Tensor) -> torch.Tensor:
    """YCbCr whose half-resolution chroma is the least-squares fit for the decoder's upsampling.

    A 4:2:0 layout averages chroma 2x2 and the decoder side upsamples it bilinearly; box-down and
    bilinear-up are not a matched pair, so the reconstructed chroma is blurred twice. The half-resolution
    chroma ``c`` that minimises ``||U c - C||^2`` (``U`` = the upsampling, ``C`` = full-resolution chroma)
    is found by a few conjugate-gradient steps on ``U^T U c = U^T C``. Since ``U`` is what
    :meth:`texsandwich.layout.Layout.merge` applies and YCbCr -> RGB is linear, this also minimises the
    RGB error the subsampling causes (whatever the RGB weights, both chroma planes share ``U``).
    Without any codec it lifts the 4:2:0 round trip from 49.5 to 55.3 dB on a BSD100 photo, and with
    HEIC it is worth 1-3 dB at high qualities, where 4:2:0 loses to 4:4:4.

    The planes come out at full resolution with every 2x2 block of a chroma plane equal, so the
    layout's 2x2 mean hands the codec exactly ``c``. It is linear, hence differentiable.
    """
    h, w = x.shape[-2:]
    ycc = rgb_to_ycbcr(pad_to_multiple(x, 2))
    target = ycc[:, 1:]
    c = chroma_down(target)
    r = _upsample_adjoint(target - chroma_up(c), c)
    p, rs = r, (r * r).sum()
    for _ in range(LS_CHROMA_ITERATIONS):
        if float(rs.detach()) < 1e-12 * max(1, r.numel()):
            break
        ap = _upsample_adjoint(chroma_up(p), c)
        alpha = rs / (p * ap).sum()
        c, r = c + alpha * p, r - alpha * ap
        rs_new = (r * r).sum()
        p, rs = r + (rs_new / rs) * p, rs_new
    full = c.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)
    return torch.cat([ycc[:, :1], full], dim=1)[..., :h, :w]


def carriers(height: int, width: int, like: torch.Tensor) -> torch.Tensor:
    """``[1, 2, H, W]`` Nyquist carriers: (-1)^x (horizontal) and (-1)^(x+y) (diagonal)."""
    y = torch.arange(height, device=like.device).view(height, 1)
    x = torch.arange(width, device=like.device).view(1, width)
    c1 = (1 - 2 * (x % 2)).expand(height, width)
    c2 = 1 - 2 * ((x + y) % 2)
    return torch.stack([c1, c2]).unsqueeze(0).to(like.dtype)


_BINOMIAL = (0.25, 0.5, 0.25)


def _smooth(t: torch.Tensor, horizontal: bool = True, vertical: bool = True) -> torch.Tensor:
    """[1, 2, 1]/4 along the chosen axes: zero response at the Nyquist frequency of each."""
    k = torch.tensor(_BINOMIAL, dtype=t.dtype, device=t.device)
    if horizontal:
        t = torch.nn.functional.conv2d(torch.nn.functional.pad(t, (1, 1, 0, 0), mode="replicate"),
                                       k.view(1, 1, 1, 3).expand(t.shape[1], 1, 1, 3), groups=t.shape[1])
    if vertical:
        t = torch.nn.functional.conv2d(torch.nn.functional.pad(t, (0, 0, 1, 1), mode="replicate"),
                                       k.view(1, 1, 3, 1).expand(t.shape[1], 1, 3, 1), groups=t.shape[1])
    return t


COMPOSITE_GAIN = 1.0


def rgb_to_composite(x: torch.Tensor) -> torch.Tensor:
    """One gray plane carrying colour like composite video: ``Y + k (Cb-128) c1 + k (Cr-128) c2``.

    Cb rides on the horizontal Nyquist carrier (-1)^x and Cr on the diagonal one (-1)^(x+y), where
    natural images have little luma energy; flat quantisation (JPEG flat tables, HEVC's default flat
    scaling) keeps them at the same cost as any other frequency.
    """
    ycc = rgb_to_ycbcr(x)
    c = carriers(x.shape[-2], x.shape[-1], x)
    return ycc[:, :1] + COMPOSITE_GAIN * ((ycc[:, 1:] - 128.0) * c).sum(dim=1, keepdim=True)


def composite_to_rgb(g: torch.Tensor) -> torch.Tensor:
    """Demodulate: luma = horizontal [1,2,1] (nulls both carriers); chroma = carrier x residual, smoothed."""
    luma = _smooth(g, vertical=False)
    c = carriers(g.shape[-2], g.shape[-1], g)
    chroma = _smooth((g - luma) * c) / COMPOSITE_GAIN + 128.0
    return ycbcr_to_rgb(torch.cat([luma, chroma], dim=1))


def normal_to_xy(x: torch.Tensor) -> torch.Tensor:
    """Keep n_x, n_y of a 0..255-encoded unit normal: n_z >= 0 follows from them."""
    return x[:, :2]


def xy_to_normal(y: torch.Tensor) -> torch.Tensor:
    """Rebuild n_z = sqrt(1 - n_x^2 - n_y^2) (the "custom" normal-map baseline of the papers)."""
    n = y / 127.5 - 1.0
    z = torch.sqrt((1.0 - (n * n).sum(dim=1, keepdim=True)).clamp_min(0.0))
    return torch.cat([y, z * 127.5 + 127.5], dim=1)


def normal_to_xy_flat(x: torch.Tensor) -> torch.Tensor:
    """n_x, n_y and a flat plane: three planes for one 4:4:4 / 4:2:0 image, n_z rebuilt on decode."""
    return torch.cat([x[:, :2], torch.full_like(x[:, 2:3], 128.0)], dim=1)


def xy_flat_to_normal(y: torch.Tensor) -> torch.Tensor:
    return xy_to_normal(y[:, :2])


def pbr8_to_planes(x: torch.Tensor) -> torch.Tensor:
    """Albedo as YCbCr, the normal as n_x, n_y and a flat plane, roughness and occlusion as they are.

    Each of the eight planes is then one gray image: colour decorrelated as a codec would, and n_z
    (which follows from n_x, n_y) costs a flat image's few hundred bytes instead of a full map.
    """
    flat = torch.full_like(x[:, 5:6], 128.0)
    return torch.cat([rgb_to_ycbcr(x[:, 0:3]), x[:, 3:5], flat, x[:, 6:8]], dim=1)


def planes_to_pbr8(y: torch.Tensor) -> torch.Tensor:
    return torch.cat([ycbcr_to_rgb(y[:, 0:3]), xy_to_normal(y[:, 3:5]), y[:, 6:8]], dim=1)


def to_top8(x: torch.Tensor) -> torch.Tensor:
    """The top 8 bits of a 16-bit signal (given on the 0..255 scale, i.e. divided by 257): ``v >> 8``."""
    return torch.floor((x * 257.0).round() / 256.0).clamp(0, 255)


def from_top8(y: torch.Tensor) -> torch.Tensor:
    """Midpoint reconstruction of ``v >> 8`` (``256 y + 128``), back on the 0..255 scale."""
    return (y.round() * 256.0 + 128.0) / 257.0


@dataclass(frozen=True)
class Adapter:
    """A fixed pre-processor and its post-processor."""

    name: str
    pre: Callable[[torch.Tensor], torch.Tensor]
    post: Callable[[torch.Tensor], torch.Tensor]
    why: str
    positional: bool = False
    """The maps depend on the pixel position (carriers): networks around it get the carriers as inputs."""


ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        Adapter("identity", lambda x: x, lambda y: y, "planes are the source channels"),
        Adapter("ycbcr", rgb_to_ycbcr, ycbcr_to_rgb, "BT.601 full-range YCbCr, as the codec itself would"),
        Adapter("ycbcr420ls", rgb_to_ycbcr420_ls, ycbcr_to_rgb,
                "BT.601 YCbCr with least-squares chroma for 4:2:0 (fitted to the decoder's bilinear upsampling)"),
        Adapter("luma", rgb_to_luma, luma_to_rgb, "BT.601 luma; the gray image is shown as RGB"),
        Adapter("composite", rgb_to_composite, composite_to_rgb,
                "luma plus chroma on Nyquist carriers (composite-video style), demodulated by fixed filters",
                positional=True),
        Adapter("normal_xy", normal_to_xy, xy_to_normal, "n_x, n_y of a unit normal; n_z rebuilt on decode"),
        Adapter("normal_xy_flat", normal_to_xy_flat, xy_flat_to_normal,
                "n_x, n_y and a flat plane in one image; n_z rebuilt on decode"),
        Adapter("top8", to_top8, from_top8, "the top 8 bits of a 16-bit signal, midpoint reconstruction"),
        Adapter("pbr8", pbr8_to_planes, planes_to_pbr8,
                "albedo YCbCr, normal n_x/n_y (+ a flat plane; n_z rebuilt), roughness, occlusion"),
    )
}
