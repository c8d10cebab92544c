"""What "distortion" means for each recipe: one module per kind, returning dicts (the CompressAI way).

Training and evaluation use the same modules, so a recipe's loss and its reported quality agree:

* ``mse``    -- MSE / PSNR over every sample of the source (RGB images);
* ``normal`` -- MSE / PSNR of the encoded normal map, plus the mean angular error in degrees;
* ``hdr``    -- MSE / PSNR of a 16-bit signal (peak 65535, the same number as on the 0..255 scale
  the networks see), plus linear-light PSNR in evaluation (:mod:`texsandwich.hdr.transfer`);
* ``shaded`` -- texture-space shaded MSE / PSNR of a PBR material (:mod:`texsandwich.shading`), with
  the source's metallic map (when it has one) as side information for both sides.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from texsandwich.recipes import sample_unit
from texsandwich.shading import ShadedDistortion
from texsandwich.shading.brdf import decode_normal


def _psnr(mse: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(255.0**2 / mse.detach().clamp_min(1e-10))


class MSEDistortion(nn.Module):
    def forward(self, x_hat: torch.Tensor, x: torch.Tensor, **side: torch.Tensor) -> dict[str, torch.Tensor]:
        per_item = ((x_hat - x) ** 2).mean(dim=(1, 2, 3))
        mse = per_item.mean()
        return {"mse": mse, "per_item": per_item, "psnr": _psnr(mse)}


def angular_error_degrees(n_hat: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
    """Mean angle between two 0..255-encoded normal maps ``[B, 3, H, W]`` (each renormalised)."""
    cos = (decode_normal(n_hat) * decode_normal(n)).sum(dim=1).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.acos(cos)).mean()


class NormalDistortion(MSEDistortion):
    def forward(self, x_hat: torch.Tensor, x: torch.Tensor, **side: torch.Tensor) -> dict[str, torch.Tensor]:
        out = super().forward(x_hat, x)
        out["angular_error_deg"] = angular_error_degrees(x_hat.detach(), x)
        return out


class Shaded(nn.Module):
    """:class:`~texsandwich.shading.ShadedDistortion` behind the common signature."""

    def __init__(self, random: bool = False, k: int = 8) -> None:
        super().__init__()
        self.inner = ShadedDistortion(k=k, random=random)

    def forward(self, x_hat: torch.Tensor, x: torch.Tensor, **side: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.inner(x_hat, x, metallic=side.get("metallic"), frame=side.get("frame"), mask=side.get("mask"))


def make_distortion(kind: str, training: bool = False) -> nn.Module:
    """The distortion module of a recipe; ``training`` draws random (light, view) pairs for 'shaded'."""
    if kind in ("mse", "hdr"):
        return MSEDistortion()
    if kind == "normal":
        return NormalDistortion()
    if kind == "shaded":
        return Shaded(random=training, k=4 if training else 8)
    raise ValueError(f"unknown distortion {kind!r}")


def mse_scorer(kind: str, source: np.ndarray,
               side: dict[str, np.ndarray] | None = None) -> Callable[[np.ndarray], float]:
    """``rec -> MSE`` against one source, equal to ``measure(kind, rec, source, side)["mse"]``, for
    callers that score many reconstructions of one source (the encoder's allocation search): what
    depends only on the source -- its shading, for materials -- is computed once."""
    x, sides = _tensor(source), {k: _tensor(v) for k, v in (side or {}).items()}
    if kind != "shaded":
        module = make_distortion(kind)
        return lambda rec: float(module(_tensor(rec), x, **sides)["mse"])
    shaded = ShadedDistortion(k=8)
    extra = {k: sides.get(k) for k in ("metallic", "frame", "mask")}
    with torch.no_grad():
        ref = shaded.shade_source(x, extra["metallic"], extra["frame"])

    @torch.no_grad()
    def score(rec: np.ndarray) -> float:
        return float(shaded(_tensor(rec), x, **extra, ref=ref)["mse"])

    return score


def _tensor(a: np.ndarray) -> torch.Tensor:
    """``[H, W, C]`` array -> ``[1, C, H, W]`` float64 on the 0..255 scale (16-bit divided by 257)."""
    x = torch.from_numpy(np.ascontiguousarray(a).astype(np.float64)).permute(2, 0, 1).unsqueeze(0)
    return x / sample_unit(16) if a.dtype == np.uint16 else x


@torch.no_grad()
def measure(kind: str, reconstruction: np.ndarray, source: np.ndarray,
            side: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """Quality of a decoded ``[H, W, C]`` source: ``psnr`` in the recipe's sense, plus extras.

    16-bit arrays are measured on the 0..255 scale (divided by 257), which gives the 16-bit PSNR
    with peak 65535 and the same MSE scale training uses.
    """
    out = make_distortion(kind)(_tensor(reconstruction), _tensor(source),
                                **{k: _tensor(v) for k, v in (side or {}).items()})
    res = {k: float(v) for k, v in out.items() if k != "per_item"}
    if kind == "hdr" and source.dtype == np.uint16:
        from texsandwich.hdr.transfer import linear_psnr

        res["psnr_linear"] = linear_psnr(reconstruction, source)
    if float(out["mse"]) == 0.0:
        res["psnr"] = math.inf
    return res
