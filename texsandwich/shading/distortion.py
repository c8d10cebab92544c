"""Texture-space shaded distortion (paper §IV-E): shade source and reconstruction per texel, compare.

Per texel, both material maps are shaded for K (light, view) pairs with the texel's own frame and
the squared error of the displayed sRGB colours is averaged. Computed in texture space, the loss is
local, so training works on crops; evaluation uses a fixed set of pairs so numbers are comparable.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from texsandwich.shading.brdf import shade

NO_GRAD_PAIRS = 2
"""(light, view) pairs shaded at once when nothing needs a gradient (scoring, evaluation)."""
MIN_ELEVATION = math.radians(20.0)
"""Grazing directions below 20 degrees are left out: they dominate nothing a viewer looks at."""


def _hemisphere(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Map ``u, v`` in [0, 1) to unit vectors uniformly over the sphere cap above MIN_ELEVATION."""
    zmin = math.sin(MIN_ELEVATION)
    z = zmin + (1.0 - zmin) * u
    r = torch.sqrt((1.0 - z * z).clamp_min(0.0))
    phi = 2.0 * math.pi * v
    return torch.stack([r * torch.cos(phi), r * torch.sin(phi), z], dim=-1)


def eval_directions(k: int = 8, sphere: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed evaluation set: K lights and K views on golden-angle spirals (``[K, 3]`` each).

    ``sphere=True`` spreads them over the whole sphere: for mesh frames, where directions are in
    object space and every side of the object should be lit and seen.
    """
    i = torch.arange(k, dtype=torch.float64) + 0.5
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    light = _hemisphere(i / k, (i * golden) % 1.0)
    view = _hemisphere(((i * 0.618 + 0.37) % 1.0), ((i * golden + 0.5) % 1.0))
    if sphere:  # z from the cap's [sin 20deg, 1] onto [-1, 1]
        zmin = math.sin(MIN_ELEVATION)
        for d in (light, view):
            z = (d[:, 2] - zmin) / (1.0 - zmin) * 2.0 - 1.0
            r = torch.sqrt((1.0 - z * z).clamp_min(0.0)) / d[:, :2].norm(dim=1).clamp_min(1e-9)
            d[:, :2] *= r[:, None]
            d[:, 2] = z
    return light.float(), view.float()


def random_directions(batch: int, k: int,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """K random (light, view) pairs per batch item, ``[B, K, 3]`` each: a fresh set every step."""
    u = torch.rand(4, batch, k, generator=generator)
    return _hemisphere(u[0], u[1]), _hemisphere(u[2], u[3])


def _pairs(light: torch.Tensor, view: torch.Tensor, pairs: slice) -> tuple[torch.Tensor, torch.Tensor]:
    """Some of the (light, view) pairs: ``[K, 3]``, ``[B, K, 3]`` or per texel ``[B, K, 3, H, W]``."""
    return light[pairs] if light.ndim == 2 else light[:, pairs], view[pairs] if view.ndim == 2 else view[:, pairs]


class ShadedDistortion(nn.Module):
    """MSE and PSNR (peak 255) of shaded sRGB colours between reconstruction and source maps.

    ``training=True`` draws K random pairs per item each call; otherwise the fixed evaluation set.
    Returns a dict (``mse``, ``psnr``, ``per_item`` MSE), as every loss module here does.
    """

    def __init__(self, k: int = 8, random: bool = False) -> None:
        super().__init__()
        self.k = k
        self.random = random
        light, view = eval_directions(k)
        self.register_buffer("light", light, persistent=False)
        self.register_buffer("view", view, persistent=False)
        light, view = eval_directions(k, sphere=True)
        self.register_buffer("light_sphere", light, persistent=False)
        self.register_buffer("view_sphere", view, persistent=False)

    def directions(self, frame: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed (light, view) set this module shades with (evaluation mode)."""
        return (self.light_sphere, self.view_sphere) if frame is not None else (self.light, self.view)

    @torch.no_grad()
    def shade_source(self, x: torch.Tensor, metallic: torch.Tensor | None = None,
                     frame: torch.Tensor | None = None) -> torch.Tensor:
        """The source's shading under the fixed set: what ``forward(..., ref=)`` reuses (shaded in the
        same groups of pairs as ``forward`` shades a reconstruction, so equal maps compare exactly equal)."""
        light, view = self.directions(frame)
        return torch.cat([shade(x, *_pairs(light, view, p), metallic, frame) for p in self._groups(False)], dim=1)

    def _groups(self, grad: bool) -> list[slice]:
        """The pairs shaded at once: all with a gradient, :data:`NO_GRAD_PAIRS` at a time without."""
        step = self.k if grad else NO_GRAD_PAIRS
        return [slice(k0, k0 + step) for k0 in range(0, self.k, step)]

    def forward(self, x_hat: torch.Tensor, x: torch.Tensor, metallic: torch.Tensor | None = None,
                frame: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                ref: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """``frame``: ``[B, 9, H, W]`` mesh frames (else flat); ``mask``: ``[B, 1, H, W]`` texels that are surface.

        With a mesh frame, a (texel, view) pair whose surface faces away from the viewer is not seen
        and does not count; texels outside the mask (atlas background) never count. ``ref``: the
        source's shading from :meth:`shade_source` (evaluation mode), for callers that score many
        reconstructions of one source (the encoder's allocation search).
        """
        if self.random:
            light, view = random_directions(x.shape[0], self.k)
            light, view = light.to(x.device), view.to(x.device)
        else:
            light, view = self.directions(frame)
        if self.random:
            ref = None  # a fresh set of pairs: nothing given can match it
        # without a gradient the pairs go a few at a time: a 512² crop shaded for all 8 in float64 is
        # ~0.8 GB of temporaries, which the encoder's allocation search held on top of a 4K material
        error = weights = torch.zeros(())
        for pairs in self._groups(x_hat.requires_grad):
            lt, vw = _pairs(light, view, pairs)
            with torch.no_grad():
                source = shade(x, lt, vw, metallic, frame) if ref is None else ref[:, pairs]
            with torch.enable_grad() if x_hat.requires_grad else torch.no_grad():
                out = shade(x_hat, lt, vw, metallic, frame)
            err = ((out - source) ** 2).mean(dim=2, keepdim=True)  # [B, k, 1, H, W]
            weight = torch.ones_like(err)
            if frame is not None:
                v = (vw if vw.ndim == 3 else vw.expand(x.shape[0], -1, -1)).to(x.dtype)[..., None, None]
                weight = weight * ((frame[:, 6:9].unsqueeze(1) * v).sum(dim=2, keepdim=True) > 0).to(err.dtype)
            if mask is not None:
                weight = weight * mask.unsqueeze(1).to(err.dtype)
            error = error + (err * weight).sum(dim=(1, 2, 3, 4))
            weights = weights + weight.sum(dim=(1, 2, 3, 4))
        per_item = error / weights.clamp_min(1.0)
        mse = per_item.mean()
        return {"mse": mse, "per_item": per_item,
                "psnr": 10.0 * torch.log10(255.0**2 / mse.detach().clamp_min(1e-10))}
