"""Rate-distortion losses as modules returning dicts (the CompressAI way)."""

from __future__ import annotations

import math

import torch
from torch import nn

from texsandwich.distortion import MSEDistortion


class RateDistortionLoss(nn.Module):
    """``D + λ · bits per pixel`` on the 0..255 scale, with PSNR and bpp reported alongside.

    ``D`` is the recipe's distortion (:func:`texsandwich.distortion.make_distortion`: plain MSE,
    normal-map MSE or texture-space shaded MSE). ``bits`` come from the proxy (refit to the real JPEG
    count), per image; the pixel count is the source's, so bpp means the same as a ``.tsw`` file's.
    """

    def __init__(self, lmbda: float, distortion: nn.Module | None = None) -> None:
        super().__init__()
        self.lmbda = float(lmbda)
        self.distortion = distortion or MSEDistortion()

    def forward(self, out: dict[str, torch.Tensor], x: torch.Tensor, **side: torch.Tensor) -> dict[str, torch.Tensor]:
        d = self.distortion(out["x_hat"], x, **side)
        bpp = torch.mean(out["bits"]) / (x.shape[-2] * x.shape[-1])
        loss = d["mse"] + self.lmbda * bpp
        return {"loss": loss, "mse": d["mse"].detach(), "bpp": bpp.detach(), "psnr": d["psnr"],
                "step": out["step"].detach() if "step" in out else torch.tensor(math.nan)}
